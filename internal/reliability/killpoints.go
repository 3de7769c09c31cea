package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sandbox/vm"
)

// calibrationRuns is how many uninterrupted runs measure the timing of the
// run's progress lines before the trials start.
const calibrationRuns = 3

// minMidRunShare is the share of kill attempts that must land while the
// execution is under way: after its ExecutionStarted event and before it
// closed. An attempt whose run had finished first tests only a restart
// after success, and a kill before ExecutionStarted tests only a fresh run.
const minMidRunShare = 0.9

// startupTrialEvery makes every 20th trial a startup trial, which draws its
// kills in segment 0, from the process start to the execution line. Such a
// kill mostly lands before the ExecutionStarted event, while the process
// starts the sandbox. The other trials draw from the later segments only,
// so startup kills stay at 5% of the trials or less. Drawing segment 0 as
// one of the 16 segments of the example run would give each trial a 1 in
// 16 chance of a startup kill. Then 3 or more of 20 trials, which fail the
// 90%, would land during startup in about one run in eight (a binomial
// estimate).
const startupTrialEvery = 20

// calibration is the timing of an uninterrupted run, measured on the
// progress lines that repolink run prints as the execution goes. The run
// is cut into segments: segment 0 lasts from the process start to the
// first line, which names the execution, and segment i from line i to line
// i+1. The last segment ends with the line of the last step, so every
// segment ends before the execution closes.
type calibration struct {
	// labels names the line that starts each segment, "process start" for
	// segment 0.
	labels []string
	// gaps is the median length of each segment.
	gaps []time.Duration
	// took is the median time of a whole run, from the process start to
	// its exit.
	took time.Duration
	// states are the Task states of the execution in the order it
	// entered them. A kill cannot land in a Choice, Pass or Succeed state,
	// because the engine records each of them with the next Task state
	// in one commit.
	states []string
}

// killPoint is the moment at which a trial sends SIGKILL: offset after the
// start of one segment of the run.
type killPoint struct {
	segment int
	offset  time.Duration
}

// isStartupTrial reports whether trial n, counted from 1, kills the run
// during its startup.
func isStartupTrial(n int) bool {
	return n%startupTrialEvery == 0
}

// draw picks a kill point. A startup draw takes segment 0. Any other draw
// picks one of the later segments uniformly, so that every step gets about
// as many kills. The offset is uniform within the segment's calibrated
// length.
func (cal calibration) draw(rng *rand.Rand, startup bool) killPoint {
	segment := 0
	if !startup && len(cal.gaps) > 1 {
		segment = 1 + rng.IntN(len(cal.gaps)-1)
	}
	return killPoint{segment: segment, offset: time.Duration(rng.Int64N(max(int64(cal.gaps[segment]), 1)))}
}

func (cal calibration) describe(p killPoint) string {
	return fmt.Sprintf("kill %s after %s (segment %d of %d)",
		p.offset.Round(10*time.Microsecond), cal.labels[p.segment], p.segment+1, len(cal.gaps))
}

// calibrate runs the request calibrationRuns times without a kill and
// measures the segments of the run. Every run must print the same step
// lines, end SUCCEEDED and leave one of each resource.
func calibrate(ctx context.Context, s *session, request string) (calibration, error) {
	var cal calibration
	var gaps [][]time.Duration
	var took []time.Duration
	for i := range calibrationRuns {
		label := fmt.Sprintf("killnine-calibration-%d", i+1)
		stateDir := s.dir(SuiteKillNine, fmt.Sprintf("calibration-%d", i+1))
		labels, runGaps, runTook, err := calibrationRun(ctx, s, label, stateDir, killArgs(stateDir, request))
		if err != nil {
			return cal, err
		}
		if i == 0 {
			cal.labels = labels
			if cal.states, err = executionStates(ctx, s, label, stateDir); err != nil {
				return cal, err
			}
		} else if !slices.Equal(labels, cal.labels) {
			return cal, fmt.Errorf("calibration run %d printed the steps %q, run 1 printed %q", i+1, labels, cal.labels)
		}
		gaps = append(gaps, runGaps)
		took = append(took, runTook)
	}

	cal.took = median(took)
	for segment := range cal.labels {
		var column []time.Duration
		for _, run := range gaps {
			column = append(column, run[segment])
		}
		cal.gaps = append(cal.gaps, median(column))
	}
	return cal, nil
}

// calibrationRun runs the request once to the end and returns the label
// and length of each segment and the time of the whole run.
func calibrationRun(ctx context.Context, s *session, label, stateDir string, args []string) ([]string, []time.Duration, time.Duration, error) {
	c, err := s.startChild(ctx, label, childEnv(), s.cfg.Binary, args...)
	if err != nil {
		return nil, nil, 0, err
	}
	res := c.wait()
	defer func() { _ = vm.StopAll(filepath.Join(stateDir, "sandbox", "vms")) }()
	if !res.succeededRun() {
		return nil, nil, 0, fmt.Errorf("calibration run did not succeed: %s", res.describe())
	}
	w, err := readWorld(stateDir)
	if err != nil {
		return nil, nil, 0, err
	}
	s.secrets.addWorld(w)
	if problems := w.checkOneOfEach(); len(problems) > 0 {
		return nil, nil, 0, fmt.Errorf("calibration run: %s", strings.Join(problems, "; "))
	}

	lines, times := c.stdout.lines()
	steps := slices.Index(lines, "")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "execution ") || steps < 2 {
		return nil, nil, 0, fmt.Errorf("calibration run printed no execution line and step lines:\n%s", indent(res.stdout))
	}
	labels := []string{"process start"}
	gaps := []time.Duration{times[0].Sub(c.start)}
	for i := 1; i < steps; i++ {
		labels = append(labels, lineLabel(lines[i-1]))
		gaps = append(gaps, times[i].Sub(times[i-1]))
	}
	return labels, gaps, res.took, nil
}

// lineLabel shortens a progress line to its step and action, such as
// "secret created", or "execution line" for the first line. A line of a
// step's related resource, such as a load balancer's listener, has no step
// name, and its label is its action after "related", because the
// resource's ID differs from run to run.
func lineLabel(line string) string {
	fields := strings.Fields(line)
	switch {
	case strings.HasPrefix(line, "execution "):
		return "execution line"
	case len(fields) >= 2 && strings.HasPrefix(line, strings.Repeat(" ", relatedIndent)):
		return "'related " + fields[0] + "'"
	case len(fields) >= 2:
		return "'" + fields[0] + " " + fields[1] + "'"
	}
	return "'" + strings.TrimSpace(line) + "'"
}

// relatedIndent is the least number of spaces before the action on a
// progress line of a related resource, whose step column is blank. A step
// line has two.
const relatedIndent = 4

// executionStates returns the Task states that the only execution of
// stateDir entered, in order.
func executionStates(ctx context.Context, s *session, label, stateDir string) ([]string, error) {
	executions, err := s.listExecutions(ctx, label+"-list", stateDir)
	if err != nil {
		return nil, err
	}
	if len(executions) != 1 {
		return nil, fmt.Errorf("calibration run left %d executions, want 1", len(executions))
	}
	events, err := s.history(ctx, label+"-history", stateDir, executions[0].Name)
	if err != nil {
		return nil, err
	}
	var states []string
	for _, ev := range events {
		if ev.Type == "TaskStateEntered" && !slices.Contains(states, ev.State) {
			states = append(states, ev.State)
		}
	}
	return states, nil
}

func median(values []time.Duration) time.Duration {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// Landings of kills before the first Task state. beforeStart is a kill
// while the process started the sandbox, checked the request or started
// the execution. noStateYet is a kill after the ExecutionStarted event
// committed and before the entry of the first state did.
const (
	beforeStart = "before ExecutionStarted"
	noStateYet  = "after ExecutionStarted"
)

// landing returns the state that the killed run entered last and the type
// of its last event, read from the history of the resumed execution. The
// killed run wrote the events stamped before restartAt, because the
// restart began after the killed process had exited.
func landing(events []historyEvent, restartAt time.Time) (state, lastEvent string) {
	for _, ev := range events {
		if !ev.Timestamp.Before(restartAt) {
			break
		}
		lastEvent = ev.Type
		if strings.HasSuffix(ev.Type, "StateEntered") {
			state = ev.State
		}
	}
	switch {
	case lastEvent == "":
		return beforeStart, ""
	case state == "":
		return noStateYet, lastEvent
	}
	return state, lastEvent
}

// rerunTasks returns a problem for each task that succeeded before the
// kill and was scheduled, started or succeeded again in the same visit of
// its state after it. The definition enters some states more than once by
// design, such as AwaitEndpoint again after EndpointNotLive. A StateEntered
// event that follows the state's StateExited event starts a new visit,
// whose task runs afresh. A StateEntered event without a StateExited
// event before it continues the open visit.
func rerunTasks(events []historyEvent, restartAt time.Time) []string {
	type visit struct {
		state string
		n     int
	}
	current := map[string]int{} // number of the last visit of each state
	exited := map[string]bool{} // whether the last visit of each state has exited
	succeeded := map[visit]bool{}
	reported := map[visit]bool{}
	var problems []string
	for _, ev := range events {
		switch {
		case strings.HasSuffix(ev.Type, "StateEntered"):
			if current[ev.State] == 0 || exited[ev.State] {
				current[ev.State]++
				exited[ev.State] = false
			}
		case strings.HasSuffix(ev.Type, "StateExited"):
			exited[ev.State] = true
		}

		v := visit{ev.State, current[ev.State]}
		before := ev.Timestamp.Before(restartAt)
		taskType := engine.TaskEventType(ev.Type)
		switch {
		case taskType == "TaskSucceeded" && before:
			succeeded[v] = true
		case !before && succeeded[v] && !reported[v] &&
			(taskType == "TaskScheduled" || taskType == "TaskStarted" || taskType == "TaskSucceeded"):
			reported[v] = true
			problems = append(problems, fmt.Sprintf("task of state %s succeeded before the kill and ran again after it in the same visit (visit %d, %s, event %d)",
				ev.State, max(v.n, 1), ev.Type, ev.ID))
		}
	}
	return problems
}

// killSpread collects where the kills of the trials landed. It is safe for
// concurrent use.
type killSpread struct {
	mu sync.Mutex
	// attempts counts every kill, missed counts the kills that came after
	// the run had finished, and startup the kills that landed before the
	// ExecutionStarted event.
	attempts int
	missed   int
	startup  int
	// states counts the valid kills by the state that the run entered
	// last, and segments by the segment of their kill point.
	states   map[string]int
	segments map[int]int
}

func newKillSpread() *killSpread {
	return &killSpread{states: map[string]int{}, segments: map[int]int{}}
}

func (k *killSpread) addMissed() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.attempts++
	k.missed++
}

func (k *killSpread) addLanded(p killPoint, state string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.attempts++
	k.states[state]++
	k.segments[p.segment]++
	if state == beforeStart {
		k.startup++
	}
}

// report adds the case that checks the share of mid-run kills, and notes
// that list where the kills landed. The kills during startup get a line of
// their own. The mid-run kills get one line per state, in the order the
// run enters them, with a bar of one # per kill.
func (k *killSpread) report(s *session, cal calibration) {
	k.mu.Lock()
	defer k.mu.Unlock()

	midRun := k.attempts - k.missed - k.startup
	detail := fmt.Sprintf("%d of %d kills landed after ExecutionStarted and before the execution closed, want at least %.0f%%; "+
		"%d landed during startup, before ExecutionStarted, and %d came after the run had finished",
		midRun, k.attempts, minMidRunShare*100, k.startup, k.missed)
	if k.attempts > 0 && float64(midRun) >= minMidRunShare*float64(k.attempts) {
		s.report.pass(SuiteKillNine, "kills mid-run", 0, detail)
	} else {
		s.report.fail(SuiteKillNine, "kills mid-run", 0, detail)
	}

	s.report.note(SuiteKillNine, fmt.Sprintf("kills during startup, before ExecutionStarted, which test a fresh run: %d", k.startup))
	order := append([]string{noStateYet}, cal.states...)
	for state := range k.states {
		if state != beforeStart && !slices.Contains(order, state) {
			order = append(order, state)
		}
	}
	s.report.note(SuiteKillNine, "mid-run kills by the state that the killed run entered last:")
	for _, state := range order {
		n := k.states[state]
		s.report.note(SuiteKillNine, fmt.Sprintf("  %-24s %3d %s", state, n, strings.Repeat("#", n)))
	}
	var parts []string
	for segment := range cal.gaps {
		parts = append(parts, fmt.Sprintf("%d", k.segments[segment]))
	}
	s.report.note(SuiteKillNine, "kills by segment 1 to "+fmt.Sprint(len(cal.gaps))+": "+strings.Join(parts, " "))
}

// describeCalibration returns the case detail of a calibration: the run's
// median time and the median length of each segment.
func describeCalibration(cal calibration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d runs, median %s, %d segments; median length of each:",
		calibrationRuns, cal.took.Round(time.Millisecond), len(cal.gaps))
	for i, gap := range cal.gaps {
		fmt.Fprintf(&b, "\n%2d from %-32s %s", i+1, cal.labels[i], gap.Round(10*time.Microsecond))
	}
	return b.String()
}
