package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
)

// provisionResult is the output of the provision subcommand.
type provisionResult struct {
	Request string `json:"request"`
	Route   string `json:"route"`
	// Zero is the wall time of runs with no cloud delays.
	Zero zeroRuns `json:"zero"`
	// Realistic are runs with sandbox.RealisticDelays on a scaled clock.
	Realistic []realisticRun `json:"realistic"`
	// Waits are runs with no other cloud delays and a long endpoint wait.
	Waits []waitRun `json:"waits"`
}

type zeroRuns struct {
	Seconds     []float64   `json:"seconds"`
	Median      float64     `json:"median"`
	Transitions transitions `json:"transitions"`
}

type realisticRun struct {
	Scale  float64       `json:"scale"`
	Poll   time.Duration `json:"poll_ns"`
	Status string        `json:"status"`
	// Total is the execution's duration on the sandbox clock.
	Total time.Duration `json:"total_ns"`
	// Critical is the sum of the cloud delays that the run waits for one
	// after the other.
	Critical time.Duration `json:"critical_ns"`
	// Work is the time that task functions ran, on the sandbox clock.
	Work time.Duration `json:"work_ns"`
	// FirstSight is how long after the connection turned available the
	// sandbox Snowflake first saw it so, which starts the endpoint's delay.
	FirstSight time.Duration `json:"first_sight_ns"`
	// Detection is how long after the endpoint turned CREATED the run left
	// AwaitEndpoint.
	Detection   time.Duration `json:"detection_ns"`
	Steps       []stepTime    `json:"steps"`
	Transitions transitions   `json:"transitions"`
	WallSeconds float64       `json:"wall_seconds"`
}

// Beyond is the time beyond the critical path on the sandbox clock.
func (r realisticRun) Beyond() time.Duration { return r.Total - r.Critical }

// BeyondAtWallSpeed is Beyond with the task functions' work counted at its
// wall-clock length, which the scaled clock stretches Scale times.
func (r realisticRun) BeyondAtWallSpeed() time.Duration {
	return r.Beyond() - r.Work + time.Duration(float64(r.Work)/r.Scale)
}

// BeyondWithoutFirstSight is BeyondAtWallSpeed without FirstSight. The
// sandbox Snowflake starts an endpoint's delay when a query first finds its
// connection available, which during the wait is the poller's next poll,
// but Snowflake itself does not wait for a query.
func (r realisticRun) BeyondWithoutFirstSight() time.Duration {
	return r.BeyondAtWallSpeed() - r.FirstSight
}

// Target is one poll interval plus 5% of the critical path.
func (r realisticRun) Target() time.Duration {
	return r.Poll + r.Critical/20
}

// stepTime is the time that one state took in the realistic run.
type stepTime struct {
	State    string        `json:"state"`
	Duration time.Duration `json:"duration_ns"`
	// Delay is the cloud delay that the state waits for, if any.
	Delay    time.Duration `json:"delay_ns"`
	Work     time.Duration `json:"work_ns"`
	Attempts int           `json:"attempts"`
}

// Beyond is the state's time beyond its cloud delay.
func (s stepTime) Beyond() time.Duration { return s.Duration - s.Delay }

type waitRun struct {
	Wait        time.Duration `json:"wait_ns"`
	Scale       float64       `json:"scale"`
	Status      string        `json:"status"`
	Error       string        `json:"error,omitempty"`
	Transitions transitions   `json:"transitions"`
	// Awaited is how long the AwaitEndpoint state lasted on the sandbox
	// clock.
	Awaited     time.Duration `json:"awaited_ns"`
	WallSeconds float64       `json:"wall_seconds"`
}

// provisionSettings are the flags of the provision subcommand.
type provisionSettings struct {
	repolink, request string
	runs              int
	realisticRuns     int
	scale, waitScale  float64
	poll              time.Duration
	waits             []time.Duration
}

func provisionCommand(args []string) error {
	fs := flag.NewFlagSet("provision", flag.ExitOnError)
	var s provisionSettings
	fs.StringVar(&s.repolink, "repolink", "bin/repolink", "repolink binary to run")
	fs.StringVar(&s.request, "request", "examples/aws-privatelink.json", "request to provision")
	fs.IntVar(&s.runs, "runs", 5, "runs with no cloud delays, for the median wall time")
	fs.IntVar(&s.realisticRuns, "realistic-runs", 5, "runs with realistic delays, for the median time beyond the critical path")
	fs.Float64Var(&s.scale, "scale", 60, "clock scale of the run with realistic delays")
	fs.Float64Var(&s.waitScale, "wait-scale", 6000, "clock scale of the runs with a long endpoint wait")
	fs.DurationVar(&s.poll, "poll", time.Minute, "poll interval of the scaled runs, on the sandbox clock")
	waits := fs.String("waits", "1h,23h,168h", "comma-separated endpoint waits")
	fs.Parse(args)
	for _, text := range strings.Split(*waits, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(text))
		if err != nil {
			return fmt.Errorf("invalid -waits entry %q: %w", text, err)
		}
		s.waits = append(s.waits, d)
	}
	if s.runs < 1 || s.realisticRuns < 1 {
		return fmt.Errorf("-runs and -realistic-runs must be at least 1, not %d and %d", s.runs, s.realisticRuns)
	}

	result, err := measureProvision(context.Background(), s)
	if err != nil {
		return err
	}
	return printJSON(os.Stdout, result)
}

func measureProvision(ctx context.Context, s provisionSettings) (provisionResult, error) {
	data, err := request.ReadFileLimited(s.request, request.MaxSize)
	if err != nil {
		return provisionResult{}, err
	}
	req, err := request.Parse(data)
	if err != nil {
		return provisionResult{}, fmt.Errorf("%s: %w", s.request, err)
	}
	if req.Route != request.RouteAWSPrivateLink {
		return provisionResult{}, fmt.Errorf("%s has route %s; the critical path is known for %s only", s.request, req.Route, request.RouteAWSPrivateLink)
	}
	result := provisionResult{Request: s.request, Route: string(req.Route)}

	for i := range s.runs {
		run, err := runProvision(ctx, s, "--sandbox-latency", "none")
		if err != nil {
			return provisionResult{}, fmt.Errorf("run %d with no cloud delays: %w", i+1, err)
		}
		if run.exec.Status != engine.StatusSucceeded {
			return provisionResult{}, fmt.Errorf("run %d with no cloud delays ended %s: %s", i+1, run.exec.Status, run.exec.Cause)
		}
		result.Zero.Seconds = append(result.Zero.Seconds, run.wall.Seconds())
		result.Zero.Transitions = countTransitions(run.history)
	}
	result.Zero.Median = median(result.Zero.Seconds)

	for i := range s.realisticRuns {
		run, err := runProvision(ctx, s, "--sandbox-latency", "realistic",
			"--sandbox-clock-scale", fmt.Sprint(s.scale), "--poll-interval", s.poll.String())
		if err != nil {
			return provisionResult{}, fmt.Errorf("run %d with realistic delays: %w", i+1, err)
		}
		if run.exec.Status != engine.StatusSucceeded {
			return provisionResult{}, fmt.Errorf("run %d with realistic delays ended %s: %s", i+1, run.exec.Status, run.exec.Cause)
		}
		result.Realistic = append(result.Realistic, realisticTimes(run, s.scale, s.poll, *sandbox.RealisticDelays))
	}

	for _, wait := range s.waits {
		run, err := runProvision(ctx, s, "--sandbox-latency", "none", "--sandbox-endpoint-delay", wait.String(),
			"--sandbox-clock-scale", fmt.Sprint(s.waitScale), "--poll-interval", s.poll.String())
		if err != nil {
			return provisionResult{}, fmt.Errorf("run with a %s endpoint wait: %w", wait, err)
		}
		w := waitRun{
			Wait:        wait,
			Scale:       s.waitScale,
			Status:      run.exec.Status,
			Transitions: countTransitions(run.history),
			WallSeconds: run.wall.Seconds(),
		}
		if run.exec.Status != engine.StatusSucceeded {
			w.Error = run.exec.Error
		}
		for _, step := range stateTimes(run.history) {
			if step.State == "AwaitEndpoint" {
				w.Awaited = step.Duration
			}
		}
		result.Waits = append(result.Waits, w)
	}
	return result, nil
}

// provisionRun is one finished run of repolink and its execution.
type provisionRun struct {
	wall    time.Duration
	exec    engine.Execution
	history []engine.Event
	// availableSince is when the sandbox Snowflake first saw the
	// endpoint's connection available, or zero.
	availableSince time.Time
}

// runProvision runs repolink on the request in a fresh state directory and
// reads the execution back from its engine store. A run whose execution
// failed is returned without error; the caller decides.
func runProvision(ctx context.Context, s provisionSettings, flags ...string) (provisionRun, error) {
	dir, err := os.MkdirTemp("", "benchengine-run-")
	if err != nil {
		return provisionRun{}, err
	}
	defer os.RemoveAll(dir)
	defer func() {
		// Stop any proxy VM that the run left behind.
		_ = sandbox.Reset(filepath.Join(dir, "sandbox"))
	}()

	args := append([]string{"run", "--sandbox", "--state-dir", dir}, flags...)
	args = append(args, s.request)
	cmd := exec.CommandContext(ctx, s.repolink, args...)
	cmd.Env = append(os.Environ(), "SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true", "AWS_EC2_METADATA_DISABLED=true")
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	var exitErr *exec.ExitError
	if runErr != nil && !(errors.As(runErr, &exitErr) && exitErr.ExitCode() == 1) {
		return provisionRun{}, fmt.Errorf("%s %s: %w\n%s", s.repolink, strings.Join(args, " "), runErr, output.String())
	}

	e, err := engine.Open(filepath.Join(dir, "engine.db"), engine.Options{})
	if err != nil {
		return provisionRun{}, err
	}
	defer e.Close()
	executions, err := e.List(ctx)
	if err != nil {
		return provisionRun{}, err
	}
	if len(executions) != 1 {
		return provisionRun{}, fmt.Errorf("the run left %d executions in its store, not 1\n%s", len(executions), output.String())
	}
	history, err := e.History(ctx, executions[0].Name)
	if err != nil {
		return provisionRun{}, err
	}
	since, err := endpointAvailableSince(filepath.Join(dir, "sandbox"))
	if err != nil {
		return provisionRun{}, err
	}
	return provisionRun{wall: wall, exec: executions[0], history: history, availableSince: since}, nil
}

// endpointAvailableSince reads from the sandbox Snowflake's saved world when
// it first saw a private endpoint's connection available. A run provisions
// one endpoint; zero means none was seen available.
func endpointAvailableSince(sandboxDir string) (time.Time, error) {
	world, err := sfsim.ReadWorld(filepath.Join(sandboxDir, "snowflake"))
	if err != nil {
		return time.Time{}, err
	}
	for _, account := range world.Accounts {
		for _, ep := range account.Endpoints {
			if ep.AvailableSince != nil {
				return *ep.AvailableSince, nil
			}
		}
	}
	return time.Time{}, nil
}

// realisticTimes splits the realistic run's time into the cloud delays
// that its states wait for and the time beyond them.
func realisticTimes(run provisionRun, scale float64, poll time.Duration, delays sandbox.Delays) realisticRun {
	// The cloud delays that the aws-privatelink route waits for one after
	// the other. Target health checks start when the proxy is registered,
	// before the load balancer exists, so their delay passes within the
	// load balancer's. The connection turns available and then the
	// endpoint CREATED while AwaitEndpoint waits.
	waitsFor := map[string]time.Duration{
		"ProxyVM":       delays.InstanceRunning,
		"LoadBalancer":  max(delays.LoadBalancerActive, delays.TargetHealthy),
		"AwaitEndpoint": delays.ConnectionAvailable + delays.EndpointCreated,
	}
	r := realisticRun{
		Scale:       scale,
		Poll:        poll,
		Status:      run.exec.Status,
		Total:       run.exec.StoppedAt.Sub(run.exec.StartedAt),
		Transitions: countTransitions(run.history),
		WallSeconds: run.wall.Seconds(),
	}
	for _, step := range stateTimes(run.history) {
		step.Delay = waitsFor[step.State]
		r.Critical += step.Delay
		r.Work += step.Work
		r.Steps = append(r.Steps, step)
	}

	// The connection turns available ConnectionAvailable after the
	// Connection state accepted it; its exit is a few milliseconds of wall
	// time after the acceptance.
	accepted, acceptedOK := lastExit(run.history, "Connection")
	awaited, awaitedOK := lastExit(run.history, "AwaitEndpoint")
	if acceptedOK && awaitedOK && !run.availableSince.IsZero() {
		r.FirstSight = max(run.availableSince.Sub(accepted.Add(delays.ConnectionAvailable)), 0)
		r.Detection = awaited.Sub(run.availableSince.Add(delays.EndpointCreated))
	}
	return r
}

// lastExit returns when state last exited.
func lastExit(history []engine.Event, state string) (time.Time, bool) {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].State == state && strings.HasSuffix(history[i].Type, "StateExited") {
			return history[i].Timestamp, true
		}
	}
	return time.Time{}, false
}

// stateTimes returns, per state in order of first entry, the time from
// StateEntered to StateExited or to the end of the execution, the time its
// task function ran (TaskStarted
// to the task's outcome or, for a callback, its submission) and the number
// of attempts. A state entered more than once adds up.
func stateTimes(history []engine.Event) []stepTime {
	var order []string
	steps := map[string]*stepTime{}
	entered := map[string]time.Time{}
	started := map[string]time.Time{}
	for _, ev := range history {
		taskType := engine.TaskEventType(ev.Type)
		switch {
		case strings.HasSuffix(ev.Type, "StateEntered"):
			if steps[ev.State] == nil {
				steps[ev.State] = &stepTime{State: ev.State}
				order = append(order, ev.State)
			}
			entered[ev.State] = ev.Timestamp
		case strings.HasSuffix(ev.Type, "StateExited"):
			if at, ok := entered[ev.State]; ok && steps[ev.State] != nil {
				steps[ev.State].Duration += ev.Timestamp.Sub(at)
				delete(entered, ev.State)
			}
		case taskType == "TaskScheduled":
			if steps[ev.State] != nil {
				steps[ev.State].Attempts++
			}
		case taskType == "TaskStarted":
			started[ev.State] = ev.Timestamp
		case slices.Contains([]string{"TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskSubmitted"}, taskType):
			if at, ok := started[ev.State]; ok && steps[ev.State] != nil {
				steps[ev.State].Work += ev.Timestamp.Sub(at)
				delete(started, ev.State)
			}
		case strings.HasPrefix(ev.Type, "Execution") && ev.Type != "ExecutionStarted":
			// A state that fails the execution has no StateExited event.
			for name, at := range entered {
				steps[name].Duration += ev.Timestamp.Sub(at)
				delete(entered, name)
			}
		}
	}
	out := make([]stepTime, 0, len(order))
	for _, name := range order {
		out = append(out, *steps[name])
	}
	return out
}

// median returns the middle value, or the mean of the two middle values.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}
