package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/notify"
	"github.com/repolink/repolink/shared/storehealth"
	"github.com/repolink/repolink/shared/waits"
	"github.com/repolink/repolink/shared/workflow"
)

// engineStore is the file name of the engine store in a state directory.
const engineStore = "engine.db"

// reservationStore is the file name of the endpoint reservation store in a
// state directory.
const reservationStore = "reservations.db"

// errNoStore is returned by openEngineStore for a state directory without
// an engine store.
var errNoStore = errors.New("no engine store")

// openEngineStore opens the engine store of a state directory for the
// operator commands, which read and change executions that repolink up or
// repolink run may be running at the same time. It creates nothing: a
// directory without a store is errNoStore.
func openEngineStore(stateDir string) (*engine.Engine, string, error) {
	return openStoreWith(stateDir, openConverting)
}

// readEngineStore opens the engine store of a state directory as
// openEngineStore does, for a command that only reads it. It writes
// nothing to the store, so the command works on a full file system and
// leaves a store of an older format for an older repolink to open.
func readEngineStore(stateDir string) (*engine.Engine, string, error) {
	return openStoreWith(stateDir, engine.OpenReadOnly)
}

// openStoreWith opens the engine store of a state directory with open,
// after checkStateLinks found no symbolic link in the directory.
func openStoreWith(stateDir string, open func(string, engine.Options) (*engine.Engine, error)) (*engine.Engine, string, error) {
	dir, err := stateDirOf(stateDir)
	if err != nil {
		return nil, dir, err
	}
	path := filepath.Join(dir, engineStore)
	if _, err := os.Stat(path); err != nil {
		return nil, dir, errNoStore
	}
	eng, err := open(path, engine.Options{})
	if err != nil {
		if !writable(dir) {
			return nil, dir, usagef("state directory %s is not writable: the engine store needs write access to its directory even to be read, "+
				"because SQLite keeps its write-ahead log and shared-memory files there; run the command as a user who can write %s", dir, dir)
		}
		return nil, dir, storehealth.Classify(dir, fmt.Errorf("open engine store: %w", err))
	}
	return eng, dir, nil
}

// noStoreError returns the usage error for the state directory dir, which
// has no engine store. It names a directory that does not exist, or is no
// directory, because a mistyped --state-dir is the likely cause. context,
// such as "no execution named DATA-1", prefixes the message unless empty.
func noStoreError(dir, context string) error {
	var reason string
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		reason = fmt.Sprintf("state directory %s does not exist", dir)
	case err == nil && !info.IsDir():
		reason = fmt.Sprintf("state directory %s is not a directory", dir)
	default:
		reason = fmt.Sprintf("%s has no executions", dir)
	}
	if context != "" {
		reason = context + ": " + reason
	}
	return usagef("%s; check --state-dir", reason)
}

// writable reports whether this process can create files in dir.
func writable(dir string) bool {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// describeOrUsage describes an execution, turning an unknown name into a
// usage error that points to the list command.
func describeOrUsage(ctx context.Context, eng *engine.Engine, dir, name string) (engine.Execution, error) {
	x, err := eng.Describe(ctx, name)
	if errors.Is(err, engine.ErrExecutionNotFound) {
		return x, usagef("no execution named %s in %s; run 'repolink list --state-dir %s' for the names", name, dir, shellQuote(dir))
	}
	return x, err
}

// outputFlag registers --output for read commands.
func outputFlag(fs *flag.FlagSet) *string {
	return fs.String("output", "text", "output format: text or json")
}

func checkOutput(output string) error {
	if output != "text" && output != "json" {
		return usagef("--output must be text or json, not %q", output)
	}
	return nil
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func listCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("list", "list [--state-dir DIR] [--output text|json]", stderr)
	stateDir := stateDirFlag(fs)
	output := outputFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkOutput(*output); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("list takes no arguments; got %q", strings.Join(fs.Args(), " "))
	}

	var views []executionView
	eng, dir, err := readEngineStore(*stateDir)
	switch {
	case errors.Is(err, errNoStore):
		// A directory without a store has no executions yet, but a
		// missing one is more likely a mistyped --state-dir.
		if info, statErr := os.Stat(dir); statErr != nil || !info.IsDir() {
			return noStoreError(dir, "")
		}
	case err != nil:
		return err
	default:
		defer eng.Close()
		execs, err := eng.List(ctx)
		if err != nil {
			return err
		}
		for _, x := range execs {
			views = append(views, newView(x))
		}
	}

	if *output == "json" {
		if views == nil {
			views = []executionView{}
		}
		return writeJSONTo(stdout, views)
	}
	if len(views) == 0 {
		printText(stdout, "no executions in %s\n", dir)
		return nil
	}
	rows := [][]string{{"NAME", "STATUS", "STEP", "STARTED", "TOOK"}}
	for _, v := range views {
		step := v.CurrentStep
		if v.FailedStep != "" {
			step = v.FailedStep
		}
		if step == "" || v.Status == engine.StatusSucceeded {
			step = "-"
		}
		took := "-"
		if v.StoppedAt != nil {
			took = elapsed(v.StoppedAt.Sub(v.StartedAt.Time))
		}
		rows = append(rows, []string{displayName(v.Name), terminalText(v.Status), terminalText(step), v.StartedAt.Format(time.RFC3339), took})
	}
	if err := writeTable(stdout, rows); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func statusCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("status", "status [--state-dir DIR] [--output text|json] NAME", stderr)
	stateDir := stateDirFlag(fs)
	output := outputFlag(fs)
	name, err := parseName(fs, args, output)
	if err != nil {
		return err
	}

	eng, dir, x, err := openStoredExecution(ctx, *stateDir, name)
	if err != nil {
		return err
	}
	defer eng.Close()
	v, err := describeExecution(ctx, eng, name)
	if err != nil {
		return err
	}

	flags := hintFlags(dir, *stateDir)
	var resume string
	if undriven(ctx, eng, dir, x) {
		resume = undrivenAdvice(x, teardownResumeTarget(ctx, eng, x), flags, commandFlags(false, *stateDir))
	}
	next, err := closedAdvice(ctx, eng, dir, x, v, flags, commandFlags(false, *stateDir))
	if err != nil {
		return err
	}
	queued, err := queuedText(ctx, eng, x, v, flags, commandFlags(false, *stateDir))
	if err != nil {
		return err
	}
	notifications, err := readNotificationViews(ctx, dir, name)
	if err != nil {
		return err
	}
	tornDown, err := tornDownBy(ctx, eng, x, v.RequestID)
	if err != nil {
		return err
	}
	var rebuilt *rebuildRef
	if tornDown != nil {
		if rebuilt, err = rebuiltBy(ctx, eng, *tornDown, v.RequestID); err != nil {
			return err
		}
	}
	var waiting *waits.Waiting
	if x.Status == engine.StatusRunning {
		if waiting, err = waits.ReadWaiting(ctx, filepath.Join(dir, "waits.db"), name); err != nil {
			return err
		}
	}
	if *output == "json" {
		sv := newStatusView(v, next, resume)
		sv.Wait = waiting
		sv.Queued = queued
		sv.Notifications = notifications
		sv.TornDownBy = tornDown
		sv.RebuiltBy = rebuilt
		return writeJSONTo(stdout, sv)
	}
	writeStatusWaiting(stdout, x, v, waiting, flags, next)
	if rebuilt != nil {
		printText(stdout, "torn down:     %s\n", rebuiltText(*tornDown, *rebuilt, storeFlagsOf(flags)))
	} else if tornDown != nil {
		printText(stdout, "torn down:     %s\n", tornDownText(*tornDown, storeFlagsOf(flags)))
	}
	if queued != "" {
		printText(stdout, "queued:        %s\n", queued)
	}
	writeNotifications(stdout, name, notifications, storeFlagsOf(flags))
	if resume != "" {
		printText(stdout, "next:          %s\n", resume)
	}
	return nil
}

// statusView is the JSON output of status: the execution's view and the
// operator's next action, which the text output prints as its next line.
type statusView struct {
	executionView
	// Next is the next action for an execution that did not succeed, or
	// the advice to resume or stop a running execution that no process
	// runs. It is empty otherwise.
	Next string `json:"next,omitempty"`
	// Wait is the open wait of a running execution in await_endpoint, with
	// the latest poll outcome that the poller stored. It is nil otherwise.
	Wait *waits.Waiting `json:"wait,omitempty"`
	// Queued describes the task results that send-task-success or
	// send-task-failure stored for the running execution and that the
	// engine has not applied yet. It is empty when there are none.
	Queued string `json:"queued,omitempty"`
	// Notes lists the notes of all resources, ordered by resource key, which
	// the text output prints as its note: lines. It is empty when no
	// resource has a note.
	Notes []string `json:"notes,omitempty"`
	// Notifications is the delivery state of the notification of each run
	// of the execution, the first run first. It is empty when the request
	// has no notify.url.
	Notifications []notify.View `json:"notifications,omitempty"`
	// TornDownBy is the latest teardown of the request that started after
	// this provision execution, whose resources it removed or, unless it
	// succeeded, may have removed in part. It is nil when there is none.
	TornDownBy *teardownRef `json:"torn_down_by,omitempty"`
	// RebuiltBy is the latest run of the request that started after
	// TornDownBy and may have built the request's resources again. It is
	// nil when there is none.
	RebuiltBy *rebuildRef `json:"rebuilt_by,omitempty"`
}

// teardownRef names a teardown execution, its status, and when it
// started and stopped.
type teardownRef struct {
	Name      string         `json:"name"`
	Status    string         `json:"status"`
	StartedAt execview.Time  `json:"started_at"`
	StoppedAt *execview.Time `json:"stopped_at,omitempty"`
}

// tornDownBy returns the latest teardown of the request with ID id that
// started after the provision execution x, or nil when x is not a
// provision execution or no teardown started after it.
func tornDownBy(ctx context.Context, eng *engine.Engine, x engine.Execution, id string) (*teardownRef, error) {
	if x.Machine != provisionMachine || id == "" {
		return nil, nil
	}
	teardown, err := latestTeardown(ctx, eng, id, x.Name)
	if err != nil || teardown == nil {
		return nil, err
	}
	return &teardownRef{Name: teardown.Name, Status: teardown.Status,
		StartedAt: execview.At(teardown.StartedAt), StoppedAt: execview.StopTime(teardown.StoppedAt)}, nil
}

// tornDownText describes the teardown t of a provision execution's
// resources for the status text, with the flags of a status command.
func tornDownText(t teardownRef, flags string) string {
	switch t.Status {
	case engine.StatusSucceeded:
		return fmt.Sprintf("by %s (SUCCEEDED), so the resources of this run no longer exist", t.Name)
	case engine.StatusRunning:
		return fmt.Sprintf("by %s, which is running; follow it with 'repolink status%s %s'", t.Name, flags, t.Name)
	}
	return fmt.Sprintf("by %s (%s), so some resources of this run may no longer exist; see 'repolink status%s %s'",
		t.Name, t.Status, flags, t.Name)
}

// queuedText describes the queued task results of the running execution
// x, whose view is v, and ends with queuedResultAdvice for runFlags and
// storeFlags. It returns "" when x is not running or has no queued result.
// A result stays queued until the engine next runs the execution.
func queuedText(ctx context.Context, eng *engine.Engine, x engine.Execution, v executionView, runFlags, storeFlags string) (string, error) {
	if x.Status != engine.StatusRunning {
		return "", nil
	}
	results, err := eng.QueuedResults(ctx, x.Name)
	if err != nil || len(results) == 0 {
		return "", err
	}
	task := stepLabel(v.CurrentStep, v.CurrentState)
	var texts []string
	for _, r := range results {
		if r.Succeeded {
			texts = append(texts, "a success result for "+task+", sent with send-task-success")
		} else {
			texts = append(texts, fmt.Sprintf("a failure result (%s) for %s, sent with send-task-failure", r.Error, task))
		}
	}
	return strings.Join(texts, "; ") + ". " + queuedResultAdvice(x, teardownResumeTarget(ctx, eng, x), runFlags, storeFlags), nil
}

// queuedResultAdvice returns the advice, as whole sentences, on when a
// result that send-task-success or send-task-failure queued for the
// execution x takes effect. The engine applies it only while a process runs
// the execution, so the advice names the commands that resume x
// (resumeAdvice), with the flags and environment that repolink up needs for
// x's request. Redrive accepts only closed executions, so it applies none.
// An x without a machine, for a task that was not found, gets the advice
// for either machine. provisioned is the provision execution that
// 'repolink teardown' resumes a teardown x with, or "". runFlags are the
// flags of the suggested commands, such as " --sandbox --state-dir DIR",
// and storeFlags those of history.
func queuedResultAdvice(x engine.Execution, provisioned, runFlags, storeFlags string) string {
	apply := resumeAdvice(x, provisioned, "", runFlags, storeFlags)
	if x.Machine == "" {
		apply = fmt.Sprintf("%s, or, for a provision execution, run 'repolink run%s FILE' with the request file that started it",
			upResumeAdvice(x, runFlags), runFlags)
	}
	return "The engine applies a queued result only when a process runs the execution again. To apply it, " + apply
}

// newStatusView returns the status view of the execution whose view is v.
// next is the next action when the execution closed without success, and
// resume is the undrivenAdvice for it, or "" while a process runs it.
func newStatusView(v executionView, next, resume string) statusView {
	sv := statusView{executionView: v, Next: resume, Notes: collectResourceNotes(v.Resources)}
	if v.Status != engine.StatusRunning && v.Status != engine.StatusSucceeded {
		sv.Next = next
	}
	return sv
}

// requestPlaceholder stands for the request file in a suggested command
// when the command that suggests it did not read the file.
const requestPlaceholder = "REQUEST"

// nextCommands returns the commands that continue execution name of
// machine. flags are the flags that they need, such as " --sandbox
// --state-dir DIR", and requestFile is the request file that a changed
// request is written to. Only a provision run starts again from a changed
// request file or is torn down. An egress-refresh run starts again from a
// changed request outside repolink's commands. Other runs, such as a
// teardown, take their request from a provision run.
func nextCommands(machine, name, flags, requestFile string) workflow.NextCommands {
	cmds := workflow.NextCommands{Redrive: fmt.Sprintf("run 'repolink redrive%s %s'", flags, name)}
	switch machine {
	case provisionMachine:
		cmds.Run = fmt.Sprintf("run 'repolink run%s %s'", flags, shellQuote(requestFile))
		cmds.Rerun = cmds.Run + " with the changed request file"
		cmds.Teardown = fmt.Sprintf("run 'repolink teardown%s %s'", flags, name)
	case egressRefreshMachine:
		cmds.Rerun = workflow.RerunEgressRefresh
	}
	return cmds
}

// nextAction returns the operator's next action for the closed execution
// x. flags and requestFile are as for nextCommands.
func nextAction(x engine.Execution, flags, requestFile string) string {
	cmds := nextCommands(x.Machine, x.Name, flags, requestFile)
	return sandboxLimitNext(x, flags, cmds.Run, nextActionOf(x, cmds))
}

// nextActionOf is nextAction with the commands cmds.
func nextActionOf(x engine.Execution, cmds workflow.NextCommands) string {
	if !lacksRequest(x) {
		_, cause := failedStep(x)
		return workflow.NextActionForCause(x.Status, x.Error, cause, cmds)
	}
	return workflow.NextActionForInput(x.Status, x.Error, x.Input, inputShape(x.Machine), cmds)
}

// closedAdvice returns the next action for the execution x, whose view is
// v. It is supersededAdvice when x has closed and a later run or a
// teardown of its request started after it, and nextAction otherwise.
// status and stop print it as their next line and in the "next" field of
// their JSON. flags and statusFlags are as for supersededAdvice. For a
// provision run that a ticket hook of the repolink up serving dir started,
// the advice changes the ticket in place of a request file.
func closedAdvice(ctx context.Context, eng *engine.Engine, dir string, x engine.Execution, v executionView, flags, statusFlags string) (string, error) {
	next, err := supersededAdvice(ctx, eng, x, v.RequestID, flags, statusFlags)
	if err != nil || next != "" {
		return next, err
	}
	cmds := nextCommands(x.Machine, x.Name, flags, requestPlaceholder)
	if x.Machine == provisionMachine && v.RequestID != "" {
		system, err := ticketSystemOf(ctx, dir, x.Name)
		if err != nil {
			return "", err
		}
		if system != "" {
			cmds.Rerun = ticketRerun(system, v.RequestID)
		}
	}
	return sandboxLimitNext(x, flags, cmds.Run, nextActionOf(x, cmds)), nil
}

// supersededAdvice returns the next action for the closed execution x of
// the request with ID id when redrive rejects x because a later execution
// of the request started after it. A provision execution x is rejected
// after a later run or teardown (checkLatestRun), and a teardown x after a
// later run (checkNotSuperseded). It returns "" otherwise. flags are as for
// nextCommands, and statusFlags are those of a suggested status command.
func supersededAdvice(ctx context.Context, eng *engine.Engine, x engine.Execution, id, flags, statusFlags string) (string, error) {
	if id == "" || x.Status == engine.StatusRunning || x.Status == engine.StatusSucceeded {
		return "", nil
	}
	switch x.Machine {
	case provisionMachine:
		return supersededRunAdvice(ctx, eng, x, id, flags, statusFlags)
	case teardownMachine:
		return supersededTeardownAdvice(ctx, eng, x, id, flags, statusFlags)
	}
	return "", nil
}

// supersededTeardownAdvice is supersededAdvice for the teardown x. It names
// the latest execution of the request: the latest provision execution that
// started after x, or a teardown that started after that one.
func supersededTeardownAdvice(ctx context.Context, eng *engine.Engine, x engine.Execution, id, flags, statusFlags string) (string, error) {
	run, err := laterRun(ctx, eng, x, id)
	if err != nil || run == nil {
		return "", err
	}
	reason := fmt.Sprintf("execution %s of request %s started after this teardown and is %s, so %s cannot be redriven, "+
		"because a redrive would delete what %s built", run.Name, id, run.Status, x.Name, run.Name)
	teardown, err := latestTeardown(ctx, eng, id, run.Name)
	if err != nil {
		return "", err
	}
	if teardown != nil {
		return fmt.Sprintf("%s; the latest execution of the request is teardown %s (%s), and 'repolink status%s %s' shows it and how to continue it",
			reason, teardown.Name, teardown.Status, statusFlags, teardown.Name), nil
	}
	next := fmt.Sprintf("%s; 'repolink status%s %s' shows it and how to continue it", reason, statusFlags, run.Name)
	if run.Status == engine.StatusRunning {
		// A teardown is rejected while a run of its request runs.
		return next, nil
	}
	return fmt.Sprintf("%s, or run 'repolink teardown%s %s' to remove the request's resources, which starts a new teardown",
		next, flags, run.Name), nil
}

// supersededRunAdvice is supersededAdvice for the provision execution x.
func supersededRunAdvice(ctx context.Context, eng *engine.Engine, x engine.Execution, id, flags, statusFlags string) (string, error) {
	run := nextCommands(x.Machine, x.Name, flags, requestPlaceholder).Run
	later, err := eng.ListMachine(ctx, provisionMachine, x.StartedAt)
	if err != nil {
		return "", err
	}
	// ListMachine returns the latest started first.
	for _, other := range later {
		if other.Name == x.Name || !runOf(other, provisionMachine, id) {
			continue
		}
		return fmt.Sprintf("execution %s of request %s started after this one and is %s, so %s cannot be redriven; "+
			"'repolink status%s %s' shows it and how to continue it, or %s to start a new execution",
			other.Name, id, other.Status, x.Name, statusFlags, other.Name, run), nil
	}
	teardown, err := latestTeardown(ctx, eng, id, x.Name)
	if err != nil || teardown == nil {
		return "", err
	}
	return fmt.Sprintf("teardown %s of request %s started after this execution and is %s, so %s cannot be redriven; "+
		"%s to provision afresh, which starts a new execution",
		teardown.Name, id, teardown.Status, x.Name, run), nil
}

// lacksRequest reports whether x is an execution of one of repolink's
// machines, which all read the request at $.request, without a request in
// its input. A redrive of it fails the same way.
func lacksRequest(x engine.Execution) bool {
	_, repolinkMachine := machineDefinitions[x.Machine]
	return repolinkMachine && workflow.RemedyForInput(x.Error, x.Input, inputShape(x.Machine)) == workflow.RemedyStartWithRequest
}

// printStatus writes execution x, whose view is v, for a terminal, with the
// commands that continue it when it did not succeed. flags are the flags
// that those commands need.
func printStatus(w io.Writer, x engine.Execution, v executionView, flags string) {
	writeStatus(w, x, v, flags, nextAction(x, flags, requestPlaceholder))
}

// writeStatus is printStatus with next as the next action of an execution
// that did not succeed.
func writeStatus(w io.Writer, x engine.Execution, v executionView, flags, next string) {
	writeStatusWaiting(w, x, v, nil, flags, next)
}

// writeStatusWaiting is writeStatus that also writes waiting, the
// execution's open wait, under the current step. A nil waiting writes no
// wait lines.
func writeStatusWaiting(w io.Writer, x engine.Execution, v executionView, waiting *waits.Waiting, flags, next string) {
	printText(w, "execution:     %s\n", v.Name)
	if v.RequestID != "" {
		printText(w, "request:       %s\n", v.RequestID)
	}
	printText(w, "status:        %s\n", v.Status)
	if v.CurrentState != "" && v.Status == engine.StatusRunning {
		printText(w, "current step:  %s\n", stepLabel(v.CurrentStep, v.CurrentState))
	}
	if waiting != nil {
		writeWaiting(w, *waiting)
	}
	printText(w, "started:       %s\n", v.StartedAt.Format(time.RFC3339))
	if v.StoppedAt != nil {
		printText(w, "stopped:       %s (took %s)\n", v.StoppedAt.Format(time.RFC3339), elapsed(v.StoppedAt.Sub(v.StartedAt.Time)))
	}
	if v.RedriveCount > 0 {
		printText(w, "redrives:      %d\n", v.RedriveCount)
	}
	if v.Status != engine.StatusRunning && v.Status != engine.StatusSucceeded {
		if v.FailedStep != "" {
			printText(w, "failed step:   %s\n", v.FailedStep)
		}
		if reason := failureText(x, flags); reason != "" {
			printText(w, "error:         %s\n", terminalBlock(reason, len("error:         ")))
		}
		printText(w, "next:          %s\n", next)
	}

	resources := decodeResources(v.Resources)
	if len(resources) == 0 {
		return
	}
	fmt.Fprintln(w, "resources:")
	steps := resourceSteps(x, resources)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// The keys of v.Resources are in step order (describeExecution).
	for _, key := range execview.ObjectKeys(v.Resources) {
		step := steps[key]
		r := resources[key]
		result := resultOf(key, r.Action, r.ID, r.Reason, r.Status)
		// The action ends a line without an ID, because tabwriter pads
		// every cell but the last.
		if result.ID == "" {
			printText(tw, "  %s\t%s\n", step, result.Action)
			continue
		}
		printText(tw, "  %s\t%s\t%s\n", step, result.Action, result.ID)
		for _, related := range r.Related {
			printText(tw, "  \t%s\t%s\n", related.Action, related.ID)
		}
	}
	tw.Flush()
	for _, n := range collectResourceNotes(v.Resources) {
		printText(w, "note:          %s\n", n)
	}
	for _, warning := range collectResourceWarnings(v.Resources) {
		printText(w, "warning:       %s: %s\n", warning.Check, warning.Detail)
		if warning.Fix != "" {
			printText(w, "               fix: %s\n", warning.Fix)
		}
	}
}

// resourceSteps maps the key under $.resources of each of resources to
// the name of the step that wrote it, as run prints it. The keys are
// shared by the routes, so proxy_vm is the result of azure_proxy_vm on
// azure-privatelink. A key that no step of x's route writes keeps its own
// name.
func resourceSteps(x engine.Execution, resources map[string]resourceStatus) map[string]string {
	var doc workflow.Document
	_ = json.Unmarshal(x.Input, &doc)
	written := execview.ResultSteps(x.Machine, string(doc.Request.Route))
	steps := make(map[string]string, len(resources))
	for key := range resources {
		step, ok := written[key]
		if !ok {
			step = key
		}
		steps[key] = step
	}
	return steps
}

// resourceStatus is one entry of $.resources as status reads it.
type resourceStatus struct {
	workflow.Result
	Status   string             `json:"status"`
	Notes    []string           `json:"notes"`
	Warnings []workflow.Warning `json:"warnings"`
}

// collectResourceWarnings returns the warnings of all resources in raw,
// which is $.resources, ordered by resource key.
func collectResourceWarnings(raw []byte) []workflow.Warning {
	resources := decodeResources(raw)
	var warnings []workflow.Warning
	for _, key := range sortedKeys(resources) {
		warnings = append(warnings, resources[key].Warnings...)
	}
	return warnings
}

// decodeResources decodes $.resources by resource key. It returns nil
// when raw is empty or not a JSON object of resources.
func decodeResources(raw []byte) map[string]resourceStatus {
	var resources map[string]resourceStatus
	if json.Unmarshal(raw, &resources) != nil {
		return nil
	}
	return resources
}

// collectResourceNotes returns the notes of all resources in raw, which
// is $.resources, ordered by resource key. resourceNotes does the same for
// a whole workflow document.
func collectResourceNotes(raw []byte) []string {
	resources := decodeResources(raw)
	var notes []string
	for _, key := range sortedKeys(resources) {
		notes = append(notes, resources[key].Notes...)
	}
	return notes
}

func stepLabel(step, state string) string {
	if step == "" {
		return state
	}
	return fmt.Sprintf("%s (state %s)", step, state)
}

func historyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history", "history [--state-dir DIR] [--output text|json] NAME", stderr)
	stateDir := stateDirFlag(fs)
	output := outputFlag(fs)
	name, err := parseName(fs, args, output)
	if err != nil {
		return err
	}

	eng, _, _, err := openStoredExecution(ctx, *stateDir, name)
	if err != nil {
		return err
	}
	defer eng.Close()
	events, err := eng.History(ctx, name)
	if err != nil {
		return err
	}

	views := newEventViews(events)
	if *output == "json" {
		return writeJSONTo(stdout, views)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, ev := range views {
		details := decodeDetails(ev.Details)
		note := ""
		if name := details.errorName(); name != "" {
			note = name + ": " + details.cause()
		}
		if token := taskToken(ev.Details); token != "" && ev.Type == "TaskScheduled" {
			note = "task token " + token
		}
		// Each line of a cause gets a row of its own, under the first in
		// the last column, so that no line is cut off.
		lines := strings.Split(terminalLines(note), "\n")
		printText(tw, "%d\t%s\t%s\t%s\t%s\n", ev.ID, ev.Timestamp.Format("15:04:05.000"), ev.Type, ev.State, escapedText(lines[0]))
		for _, line := range lines[1:] {
			printText(tw, "\t\t\t\t%s\n", escapedText(line))
		}
	}
	return tw.Flush()
}

// oneLine shortens text to one line of at most max characters.
func oneLine(text string, max int) string {
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > max {
		return text[:max-3] + "..."
	}
	return text
}

// taskToken returns the task token in the parameters of a TaskScheduled
// event of a callback task, which passes it as $.token.
func taskToken(details json.RawMessage) string {
	var d struct {
		Parameters struct {
			Payload struct {
				Token string `json:"token"`
			} `json:"Payload"`
		} `json:"parameters"`
	}
	_ = json.Unmarshal(details, &d)
	return d.Parameters.Payload.Token
}
