package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/sandbox/vm"
)

// maxKillAttempts is how many kills a trial tries. A kill that comes after
// the run has finished is no trial, so the trial draws another kill point
// and runs again in a fresh state directory.
const maxKillAttempts = 3

// restartTimeout bounds the run after the kill. It has to outlast the
// engine's runner lease, which the killed process held and which a new
// process takes over only after it expires (at least 5 s).
const restartTimeout = 90 * time.Second

// runKillNine times the run's progress lines in calibration runs. Then it
// provisions the example request in a fresh state directory per trial and
// kills the run with SIGKILL at a random point of its progress, or of its
// startup in every 20th trial. It runs the request again and checks that
// the open execution finished, that no completed task ran again and that
// nothing was created twice.
func runKillNine(ctx context.Context, s *session) {
	request := s.example("aws-privatelink.json")
	start := time.Now()
	cal, err := calibrate(ctx, s, request)
	if err != nil {
		s.report.fail(SuiteKillNine, "calibration", time.Since(start), err.Error())
		return
	}
	s.report.pass(SuiteKillNine, "calibration", time.Since(start), describeCalibration(cal))

	spread := newKillSpread()
	forEach(ctx, s.cfg.Parallel, s.cfg.Trials, func(i int) {
		name := fmt.Sprintf("trial %03d", i+1)
		if reason := budgetLeft(ctx); reason != "" {
			s.report.fail(SuiteKillNine, name, 0, reason)
			return
		}
		// Each trial draws from its own stream, so that a seed repeats
		// its kill points whatever order the trials run in.
		rng := rand.New(rand.NewPCG(uint64(s.cfg.Seed), uint64(i+1)))
		killTrial(ctx, s, i+1, isStartupTrial(i+1), cal, rng, request, spread)
	})
	spread.report(s, cal)
}

// killArgs returns the arguments of the run that a trial kills and
// resumes. The sandbox clouds respond at once, except that the sandbox
// Snowflake reports the new endpoint pending for 500 ms. The poller then
// finds it pending when the wait is registered and live at its next check
// 1 s later, so the endpoint wait lasts about 1 s and holds a registered
// wait that a kill can interrupt. Without the delay it lasts about 1 ms.
func killArgs(stateDir, request string) []string {
	return []string{"run", "--sandbox", "--sandbox-latency", "none", "--sandbox-endpoint-delay", endpointDelay.String(),
		"--state-dir", stateDir, request}
}

// endpointDelay is how long the sandbox Snowflake reports a new endpoint
// pending in the runs that the trials kill.
const endpointDelay = 500 * time.Millisecond

// forEach calls fn(i) for i in [0, n), at most parallel at a time, and
// returns when every call has returned.
func forEach(ctx context.Context, parallel, n int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(parallel, 1) {
		wg.Go(func() {
			for i := range work {
				fn(i)
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

// killOutcome is the state that a kill left: whether the run had already
// finished, and the executions that the killed run left behind.
type killOutcome struct {
	missed bool // the run had finished before the kill
	before []execution
}

// closedBeforeKill reports whether the killed run had already finished its
// execution.
func (k killOutcome) closedBeforeKill() bool {
	if k.missed {
		return true
	}
	for _, x := range k.before {
		if x.Status == "SUCCEEDED" {
			return true
		}
	}
	return false
}

func (k killOutcome) String() string {
	switch {
	case k.missed:
		return "the run finished before the kill"
	case len(k.before) == 0:
		return "no execution yet"
	}
	var parts []string
	for _, x := range k.before {
		parts = append(parts, fmt.Sprintf("%s %s in %s", x.Name, x.Status, x.CurrentState))
	}
	return strings.Join(parts, ", ")
}

// killTrial kills a run at a drawn point and checks the run that resumes
// it. A startup trial draws its points in the process startup. A kill that
// comes after the run finished counts as missed, and the trial tries
// another point, maxKillAttempts times in all.
func killTrial(ctx context.Context, s *session, n int, startup bool, cal calibration, rng *rand.Rand, request string,
	spread *killSpread) {
	name := fmt.Sprintf("trial %03d", n)
	start := time.Now()
	var missed []string
	for attempt := 1; attempt <= maxKillAttempts; attempt++ {
		dirName := fmt.Sprintf("%03d", n)
		if attempt > 1 {
			dirName += fmt.Sprintf("-attempt%d", attempt)
		}
		label := "killnine-" + dirName
		stateDir := s.dir(SuiteKillNine, dirName)
		args := killArgs(stateDir, request)
		point := cal.draw(rng, startup)
		where := cal.describe(point)

		outcome, err := killRun(ctx, s, label, stateDir, point, args)
		if err != nil {
			s.report.fail(SuiteKillNine, name, time.Since(start), fmt.Sprintf("%s: %v", where, err))
			return
		}
		if outcome.closedBeforeKill() {
			spread.addMissed()
			missed = append(missed, fmt.Sprintf("attempt %d, %s: %s", attempt, where, outcome))
			keepWorld(s, stateDir)
			continue
		}
		detail, problems := checkResume(ctx, s, label, stateDir, args, outcome, point, spread)
		if len(missed) > 0 {
			detail += fmt.Sprintf(" (after %d kills that came after the run had finished)", len(missed))
		}
		s.report.check(SuiteKillNine, name, time.Since(start), where+": "+detail, problems)
		return
	}
	s.report.fail(SuiteKillNine, name, time.Since(start),
		fmt.Sprintf("every one of %d kills came after the run had finished, so the trial tested no kill mid-run:\n%s",
			maxKillAttempts, strings.Join(missed, "\n")))
}

// checkResume runs the killed run again and checks what it left. It
// returns where the kill landed and the problems found.
func checkResume(ctx context.Context, s *session, label, stateDir string, args []string, outcome killOutcome,
	point killPoint, spread *killSpread) (string, []string) {
	restartAt := time.Now()
	runCtx, cancel := context.WithTimeout(ctx, restartTimeout)
	restart := s.repolink(runCtx, label+"-restart", childEnv(), args...)
	cancel()

	var problems []string
	if !restart.succeededRun() {
		problems = append(problems, "the run after the kill did not succeed: "+restart.describe())
	}
	events, execProblems := checkExecutions(ctx, s, label, stateDir, outcome)
	problems = append(problems, execProblems...)
	problems = append(problems, rerunTasks(events, restartAt)...)
	state, lastEvent := landing(events, restartAt)
	spread.addLanded(point, state)

	w, err := readWorld(stateDir)
	if err != nil {
		problems = append(problems, err.Error())
	}
	problems = append(problems, w.checkOneOfEach()...)
	s.secrets.addWorld(w)
	if err := vm.StopAll(filepath.Join(stateDir, "sandbox", "vms")); err != nil {
		problems = append(problems, "stop leftover proxy VMs: "+err.Error())
	}

	detail := "landed " + state
	if state == beforeStart {
		detail += ", during startup, so the second run started the execution afresh"
	}
	if state != beforeStart && state != noStateYet {
		detail = fmt.Sprintf("landed in %s after %s", state, lastEvent)
	}
	return detail, problems
}

// keepWorld registers the secrets of a state directory whose kill came
// after the run finished, for the secret scan, and stops its proxy VMs.
func keepWorld(s *session, stateDir string) {
	if w, err := readWorld(stateDir); err == nil {
		s.secrets.addWorld(w)
	}
	_ = vm.StopAll(filepath.Join(stateDir, "sandbox", "vms"))
}

// killRun starts a run and sends it SIGKILL at point, unless it exits
// first. It returns the executions that the killed run left behind.
func killRun(ctx context.Context, s *session, label, stateDir string, point killPoint, args []string) (killOutcome, error) {
	c, err := s.startChild(ctx, label+"-killed", childEnv(), s.cfg.Binary, args...)
	if err != nil {
		return killOutcome{}, err
	}
	done := make(chan childResult, 1)
	go func() { done <- c.wait() }()

	var outcome killOutcome
	segmentStart, res, err := waitSegment(ctx, c, done, point.segment)
	switch {
	case err != nil:
		return outcome, err
	case res != nil:
		return finishedBeforeKill(ctx, s, label, stateDir, *res)
	}

	timer := time.NewTimer(time.Until(segmentStart.Add(point.offset)))
	defer timer.Stop()
	select {
	case res := <-done:
		return finishedBeforeKill(ctx, s, label, stateDir, res)
	case <-timer.C:
		if err := c.kill(); err != nil {
			<-done
			return outcome, fmt.Errorf("send SIGKILL: %w", err)
		}
		<-done
	case <-ctx.Done():
		_ = c.kill()
		<-done
		return outcome, fmt.Errorf("%s", budgetLeft(ctx))
	}

	outcome.before, err = s.listExecutions(ctx, label+"-list-killed", stateDir)
	return outcome, err
}

// waitSegment waits until segment begins: at the process start for
// segment 0, and when progress line segment arrives for the others. It
// returns the start time of the segment, or the result of a child that
// exited first.
func waitSegment(ctx context.Context, c *child, done <-chan childResult, segment int) (time.Time, *childResult, error) {
	if segment == 0 {
		return c.start, nil, nil
	}
	for {
		if at, ok := c.stdout.lineTime(segment); ok {
			return at, nil, nil
		}
		select {
		case <-c.stdout.lineArrived:
		case res := <-done:
			return time.Time{}, &res, nil
		case <-ctx.Done():
			_ = c.kill()
			<-done
			return time.Time{}, nil, fmt.Errorf("%s", budgetLeft(ctx))
		}
	}
}

// finishedBeforeKill returns the outcome of a run that exited before the
// kill, or an error when it failed.
func finishedBeforeKill(ctx context.Context, s *session, label, stateDir string, res childResult) (killOutcome, error) {
	if res.code != 0 {
		return killOutcome{}, fmt.Errorf("the run exited on its own before the kill: %s", res.describe())
	}
	before, err := s.listExecutions(ctx, label+"-list-killed", stateDir)
	return killOutcome{missed: true, before: before}, err
}

// checkExecutions checks that the run after the kill finished the
// execution that the killed run left open, or started the only one, and
// that no execution was lost or started twice. It returns the history of
// that execution.
func checkExecutions(ctx context.Context, s *session, label, stateDir string, outcome killOutcome) ([]historyEvent, []string) {
	after, err := s.listExecutions(ctx, label+"-list-after", stateDir)
	if err != nil {
		return nil, []string{err.Error()}
	}
	var problems []string
	for _, x := range after {
		if x.Status != "SUCCEEDED" {
			problems = append(problems, fmt.Sprintf("execution %s is %s in %s, want SUCCEEDED", x.Name, x.Status, x.CurrentState))
		}
	}
	if len(after) != 1 {
		problems = append(problems, fmt.Sprintf("%d executions after the restart, want 1: %v", len(after), after))
	}
	names := map[string]bool{}
	for _, x := range after {
		names[x.Name] = true
	}
	for _, x := range outcome.before {
		if !names[x.Name] {
			problems = append(problems, fmt.Sprintf("execution %s, which the killed run left %s, is gone", x.Name, x.Status))
		}
	}
	if len(after) == 0 {
		return nil, problems
	}

	events, err := s.history(ctx, label+"-history", stateDir, after[0].Name)
	if err != nil {
		return nil, append(problems, err.Error())
	}
	counts := map[string]int{}
	for _, ev := range events {
		counts[ev.Type]++
	}
	if counts["ExecutionStarted"] != 1 || counts["ExecutionSucceeded"] != 1 {
		problems = append(problems, fmt.Sprintf("history of %s has %d ExecutionStarted and %d ExecutionSucceeded events, want 1 each",
			after[0].Name, counts["ExecutionStarted"], counts["ExecutionSucceeded"]))
	}
	return events, problems
}
