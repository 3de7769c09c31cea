package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/repolink/repolink/functions/plan"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
)

// planReport is the plan of a request with the executions it already has.
type planReport struct {
	plan.Report
	// Execution is the request's latest execution, if any, and NextRun the
	// name that a new run would take.
	Execution *executionView `json:"execution,omitempty"`
	NextRun   string         `json:"next_run,omitempty"`
	// Teardown is the request's latest teardown execution when it started
	// after Execution. Its status shows whether the resources of Execution
	// still exist.
	Teardown *executionView `json:"teardown,omitempty"`
	// TeardownResume is the advice that names the commands which resume
	// or drop the running Teardown when no process runs it
	// (undrivenAdvice), or "". Such a teardown never closes by itself.
	TeardownResume string `json:"teardown_resume,omitempty"`
	// Rejected is the reason that a run of the request would be rejected
	// before it starts, such as a changed route while an earlier run's
	// resources exist.
	Rejected string `json:"rejected,omitempty"`
}

func planCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plan", "plan [--sandbox] [--state-dir DIR] [--output text|json] REQUEST", stderr)
	sandboxMode := fs.Bool("sandbox", false, "look in the local sandbox on 127.0.0.1 instead of real clouds and Snowflake")
	stateDir := stateDirFlag(fs)
	output := outputFlag(fs)
	verbose := fs.Bool("verbose", false, "log adapter details to stderr")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := checkOutput(*output); err != nil {
		return err
	}
	if len(positional) != 1 {
		return usagef("plan takes one request file; got %d arguments", len(positional))
	}
	if err := checkRequestFileArg("plan", positional[0]); err != nil {
		return err
	}
	req, err := readRequest(positional[0])
	if err != nil {
		return err
	}
	dir, err := stateDirOf(*stateDir)
	if err != nil {
		return err
	}
	// Without another process running the sandbox, plan starts one on the
	// world in the state directory, which needs the directory.
	if *sandboxMode {
		if dir, err = prepareStateDir(dir, warnTo(stderr)); err != nil {
			return usagef("%v", err)
		}
	}

	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	rt, err := openRuntime(ctx, runtimeOptions{dir: dir, sandbox: *sandboxMode, hosts: requestHosts(req), logger: logger, readOnly: true})
	if err != nil {
		return err
	}
	defer rt.Close()
	var report planReport
	if err := addExecutions(ctx, dir, req, commandFlags(*sandboxMode, *stateDir), commandFlags(false, *stateDir), &report); err != nil {
		return err
	}
	if err := addServedRejection(*stateDir, req, &report); err != nil {
		return err
	}
	// A sandbox that plan started itself has no Snowflake account, user or
	// secrets for the request yet, so every Snowflake item would be unknown.
	// The sandbox of another process is prepared by that process, and seed
	// leaves it alone. A run that would be rejected prepares nothing, so
	// neither does its plan. A failed seed, such as for an unset env:
	// reference, still leaves a plan of the cloud items, so it is only a
	// warning.
	if report.Rejected == "" {
		if err := rt.seed(ctx, req); err != nil {
			if reason, ok := requestChange(err); ok {
				// Only a change to the request fixes it, so a run
				// would be rejected before it starts.
				report.Rejected = reason
			} else {
				printText(stderr, "repolink: warning: prepare sandbox for request %s failed, so its Snowflake items may be unknown: %v\n", req.ID, err)
			}
		}
	}
	closeReservations, err := readReservations(rt, dir)
	if err != nil {
		return err
	}
	defer closeReservations()

	report.Report = plan.Plan(ctx, rt.env, req)
	if *output == "json" {
		if err := writeJSONTo(stdout, report); err != nil {
			return err
		}
	} else {
		printPlan(stdout, report, commandFlags(false, *stateDir))
	}
	if report.Rejected != "" {
		// The report names the reason already, so only the exit status
		// is added, for a script that checks whether a run would start.
		return &usageError{msg: "a run would be rejected: " + report.Rejected, printed: true}
	}
	return conflictStatus(report.Report)
}

// conflictStatus returns the error that sets plan's exit status when the
// plan has a conflict, at which a run would stop. It is a usage error,
// status 2, when only a change to the request fixes every conflict. It is
// a plain error, status 1, when a resource must change too.
func conflictStatus(r plan.Report) error {
	n := r.Count(plan.Conflict)
	if n == 0 {
		return nil
	}
	msg := fmt.Sprintf("a run would stop at the %d conflicts of the plan; change what their lines name", n)
	if n == 1 {
		msg = "a run would stop at the conflict of the plan; change what its line names"
	}
	if r.RequestAtFault() {
		return &usageError{msg: msg}
	}
	return errors.New(msg)
}

// readReservations opens the endpoint reservation store of the state
// directory, when it has one, so that plan counts the places that runs
// reserved as preflight does. Plan only checks the store and holds no
// place. It also opens the engine store, when there is one, to count the
// place of a run that closed before its endpoint step as free. The
// returned function closes both stores.
func readReservations(rt *runtime, dir string) (func(), error) {
	path := filepath.Join(dir, reservationStore)
	if _, err := os.Stat(path); err != nil {
		return func() {}, nil
	}
	eng, _, err := readEngineStore(dir)
	if err != nil && !errors.Is(err, errNoStore) {
		return nil, err
	}
	store, err := reservations.Open(path)
	if err != nil {
		if eng != nil {
			eng.Close()
		}
		return nil, err
	}
	if eng != nil {
		store.SetEnded(closedBeforeEndpoint(eng))
	}
	rt.env.EndpointReservations = store
	return func() {
		store.Close()
		if eng != nil {
			eng.Close()
		}
	}, nil
}

// addExecutions adds the request's latest execution from the engine store,
// when the state directory has one, the teardown that started after it,
// and why a run would be rejected. flags are the flags of the commands
// that the reason suggests, and storeFlags those of the suggested history
// and stop commands, which take no --sandbox.
func addExecutions(ctx context.Context, dir string, req request.Request, flags, storeFlags string, report *planReport) error {
	report.NextRun = request.ExecutionName(req.ID)
	eng, _, err := readEngineStore(dir)
	if errors.Is(err, errNoStore) {
		return nil
	}
	if err != nil {
		return err
	}
	defer eng.Close()
	err = checkIntake(ctx, eng, req, flags)
	var conflict intakeConflict
	if errors.As(err, &conflict) {
		report.Rejected = conflict.Error()
	} else if err != nil {
		return err
	}
	latest, free, err := latestRun(ctx, eng, req.ID)
	if err != nil {
		return err
	}
	report.NextRun = free
	if latest == nil {
		return nil
	}
	v := newView(*latest)
	report.Execution = &v
	if latest.Status == engine.StatusRunning {
		report.NextRun = ""
		return nil
	}

	teardown, err := latestExecution(ctx, eng, teardownMachine, req.ID)
	if err != nil {
		return err
	}
	if teardown != nil && !teardown.StartedAt.Before(latest.StartedAt) {
		tv := newView(*teardown)
		report.Teardown = &tv
		if undriven(ctx, eng, dir, *teardown) {
			report.TeardownResume = undrivenAdvice(*teardown, teardownResumeTarget(ctx, eng, *teardown), flags, storeFlags)
		}
	}
	return nil
}

// addServedRejection sets report.Rejected when the repolink up serving dir
// rejects a credential reference or the CodeArtifact domain of req. Run
// checks both against up's lists before the intake checks of
// addExecutions, so their reasons replace any reason of those. The report
// names both lists' reasons, where run stops at the first.
func addServedRejection(dir string, req request.Request, report *planReport) error {
	if serving, _ := serviceStatus(dir); !serving {
		return nil
	}
	var reasons []string
	for _, check := range []func(string, request.Request) (string, error){servedLocalRefsRejection, servedDomainsRejection} {
		reason, err := check(dir, req)
		if err != nil {
			return err
		}
		if reason != "" {
			reasons = append(reasons, reason)
		}
	}
	if len(reasons) > 0 {
		report.Rejected = strings.Join(reasons, "\n")
	}
	return nil
}

// printPlan writes the plan for a terminal. flags are the flags that a
// suggested status command needs, such as " --state-dir DIR".
func printPlan(w io.Writer, r planReport, flags string) {
	printText(w, "plan for %s (%s); nothing was changed\n\n", r.Request, r.Route)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tRESOURCE\tNAME\tPLAN\tID OR DETAIL")
	for _, it := range r.Items {
		detail := it.ID
		if it.Detail != "" {
			if detail != "" {
				detail += ", "
			}
			detail += it.Detail
		}
		if keepWholeDetail(it) {
			detail = strings.Join(strings.Fields(detail), " ")
		} else {
			detail = oneLine(detail, 120)
		}
		printText(tw, "%s\t%s\t%s\t%s\t%s\n", it.Step, it.Kind, it.Name, it.State, detail)
	}
	tw.Flush()

	// The JSON plan has the same counts in its "summary" field.
	s := r.Summary
	printText(w, "\n%d to create, %d to update, %d to adopt, %d in conflict, %d unknown, %d unchecked\n",
		s.Create, s.Update, s.Adopt, s.Conflict, s.Unknown, s.Unchecked)
	if shared := sharedSteps(r.Items); len(shared) > 0 {
		printText(w, "a run's summary counts steps, not items, so the items of %s count once there\n",
			strings.Join(shared, ", "))
	}
	if s.Conflict > 0 {
		fmt.Fprintln(w, "a run stops at the first conflict; its line says what to change")
	}
	if s.Unchecked > 0 {
		fmt.Fprintln(w, "plan cannot look up the unchecked items; check each one as its line says, because a run stops where one is missing")
	}
	switch {
	case r.Rejected != "":
		printText(w, "a run would be rejected: %s\n", r.Rejected)
	case r.Execution != nil && r.NextRun == "":
		printText(w, "execution %s is running; follow it with 'repolink status%s %s'\n", r.Execution.Name, flags, r.Execution.Name)
	case r.Teardown != nil:
		printTeardown(w, r, flags)
	case r.Execution != nil:
		printText(w, "latest execution %s is %s; a new run would be %s\n", r.Execution.Name, r.Execution.Status, r.NextRun)
	default:
		printText(w, "no execution yet; a run would be %s\n", r.NextRun)
	}
}

// keepWholeDetail reports whether the text plan prints the whole detail of
// it. The detail of an item that a run changes or that may stop it, such as
// an update, a conflict or an unknown lookup, gives what the run would do
// or what to change. A replaced value is one that a person may still need.
// So none of them is shortened, and only the details of items that a run
// keeps, runs or skips are cut to one short line.
func keepWholeDetail(it plan.Item) bool {
	if it.Replaces != "" || len(it.Unreplaced) > 0 {
		return true
	}
	switch it.State {
	case plan.Adopt, plan.Run, plan.Skip:
		return false
	}
	return true
}

// printTeardown writes the line of a plan whose latest execution a teardown
// followed, so that a SUCCEEDED provision execution is not read as a
// repository that still exists.
func printTeardown(w io.Writer, r planReport, flags string) {
	t := r.Teardown
	switch {
	case t.Status == engine.StatusRunning && r.TeardownResume != "":
		printText(w, "teardown of execution %s: %s\n", r.Execution.Name, r.TeardownResume)
	case t.Status == engine.StatusRunning:
		printText(w, "teardown %s of execution %s is running since %s; follow it with 'repolink status%s %s'\n",
			t.Name, r.Execution.Name, t.StartedAt.Format(time.RFC3339), flags, t.Name)
	case t.Status == engine.StatusSucceeded:
		printText(w, "request %s was torn down by %s (%s, stopped %s); a new run would be %s\n",
			r.Request, t.Name, t.Status, stopTime(t), r.NextRun)
	default:
		printText(w, "teardown %s of execution %s is %s (stopped %s), so some resources may remain; "+
			"'repolink status%s %s' shows why; a new run would be %s\n",
			t.Name, r.Execution.Name, t.Status, stopTime(t), flags, t.Name, r.NextRun)
	}
}

// stopTime returns when an execution stopped, or "unknown" when its view
// has no stop time.
func stopTime(v *executionView) string {
	if v.StoppedAt == nil {
		return "unknown"
	}
	return v.StoppedAt.Format(time.RFC3339)
}

// sharedSteps returns, in plan order, the steps that have more than one
// counted item, such as load_balancer with its load balancer and listener.
// Each step records one action, so the summary of a run counts it once.
func sharedSteps(items []plan.Item) []string {
	counted := map[string]int{}
	var order []string
	for _, it := range items {
		if !plan.Counted(it.State) {
			continue
		}
		if counted[it.Step] == 0 {
			order = append(order, it.Step)
		}
		counted[it.Step]++
	}
	var shared []string
	for _, step := range order {
		if counted[step] > 1 {
			shared = append(shared, step)
		}
	}
	return shared
}
