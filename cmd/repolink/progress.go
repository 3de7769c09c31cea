package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/functions/registry"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/statemachines"
)

// progress prints one line per step as the engine reports events, and the
// summary at the end.
type progress struct {
	out io.Writer
	// flags are the command-line flags that a suggested command needs to
	// reach the same state directory and sandbox, such as " --sandbox".
	flags string
	// storeFlags are the flags of a suggested stop or history command,
	// which reads or changes the store only and takes no --sandbox, such
	// as " --state-dir DIR".
	storeFlags string
	// requestFile is the request file of a suggested run command. Empty
	// means the command read none, so the command shows requestPlaceholder.
	requestFile string

	mu sync.Mutex
	// execution is the execution that the command follows. The engine
	// also resumes other open executions in the store. Each of them gets
	// one line that names it, and its events print no step lines.
	execution string
	resumed   map[string]bool
	started   time.Time
	entered   map[string]time.Time
	attempts  map[string]int
	current   string
	tasks     map[string]string // state name → task name
	results   map[string]string // state name → key under $.resources
	waitsText map[string]string // task name → what it waits for
}

func newProgress(out io.Writer) *progress {
	p := &progress{
		out:       out,
		entered:   map[string]time.Time{},
		resumed:   map[string]bool{},
		attempts:  map[string]int{},
		tasks:     map[string]string{},
		results:   map[string]string{},
		waitsText: map[string]string{},
	}
	for _, steps := range [][]registry.Step{registry.ProvisionSteps, registry.TeardownSteps} {
		for _, step := range steps {
			p.waitsText[step.Name] = step.Waits
		}
	}
	p.loadStates(statemachines.Provision)
	p.loadStates(statemachines.Teardown)
	return p
}

// loadStates maps each Task state to its task name and result key.
func (p *progress) loadStates(definition []byte) {
	for name, state := range provisionTasks(definition) {
		p.tasks[name] = state.Task
		p.results[name] = state.Result
	}
}

// setFlags sets the flags of suggested commands from the command's own.
func (p *progress) setFlags(sandbox bool, stateDir string) {
	p.flags = commandFlags(sandbox, stateDir)
	p.storeFlags = commandFlags(false, stateDir)
}

// begin prints the header of execution name and starts following it.
func (p *progress) begin(name, mode string) {
	p.beginTitled(name, name, mode)
}

// beginRedrive prints the header of the count-th redrive of execution name
// and starts following it.
func (p *progress) beginRedrive(name string, count int, mode string) {
	p.beginTitled(name, fmt.Sprintf("%s redrive %d", name, count), mode)
}

// beginTitled prints the header title and starts following execution name.
// Events are matched by the execution name, never by the title.
func (p *progress) beginTitled(name, title, mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = time.Now()
	p.execution = name
	printText(p.out, "execution %s (%s)\n", title, mode)
}

// line prints a step's action and detail, such as an ID or the cause of a
// failure. The detail comes from the execution, so its control characters
// are escaped, and the lines of a cause after the first line up under it.
func (p *progress) line(step, action, detail string, took time.Duration) {
	text := fmt.Sprintf("  %-*s %s", stepColumn, step, action)
	// A step that built nothing and gave no reason has no ID, so the line
	// leaves that column out, padding included.
	if detail != "" {
		prefix := fmt.Sprintf("  %-*s %-9s ", stepColumn, step, action)
		text = prefix + string(terminalBlock(detail, len(prefix)))
	}
	if took > 0 {
		text += "  " + elapsed(took)
	}
	fmt.Fprintln(p.out, strings.TrimRight(text, " "))
}

// event handles one history event of the engine.
func (p *progress) event(ev engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.execution != "" && ev.Execution != p.execution {
		p.noteResumed(ev.Execution)
		return
	}
	state := ev.State
	if state == "" {
		state = p.current
	}
	task, isTask := p.tasks[state]
	details := decodeDetails(ev.Details)

	switch engine.TaskEventType(ev.Type) {
	case "TaskStateEntered":
		p.current = state
		if _, ok := p.entered[state]; !ok {
			p.entered[state] = ev.Timestamp
		}
	case "TaskSubmitted":
		if isTask && task == "await_endpoint" {
			p.line(task, "waiting", "for "+p.waitsText[task], 0)
		}
	case "TaskFailed", "TaskTimedOut":
		if !isTask {
			return
		}
		p.attempts[state]++
		name, cause := details.errorName(), strings.TrimPrefix(details.cause(), task+": ")
		cause = workflow.AddCommandFlags(cause, p.flags)
		switch name {
		case workflow.ErrNotReady:
			p.line(task, "waiting", fmt.Sprintf("%s (check %d)", cause, p.attempts[state]), 0)
		case workflow.ErrThrottled, workflow.ErrTransient:
			p.line(task, "retrying", fmt.Sprintf("%s: %s", name, cause), 0)
		default:
			p.line(task, "failed", fmt.Sprintf("%s: %s", name, cause), 0)
		}
	case "TaskStateExited":
		if !isTask {
			return
		}
		result := details.result(p.results[state])
		if result.Action == "" {
			return
		}
		// A resumed run has no entered time for a state that an earlier
		// process entered, so it prints no duration.
		var took time.Duration
		if entered, ok := p.entered[state]; ok {
			took = ev.Timestamp.Sub(entered)
		}
		p.line(task, result.Action, result.ID, took)
		for _, related := range details.related(p.results[state]) {
			p.line("", related.Action, related.ID, 0)
		}
		for _, w := range details.warnings(p.results[state]) {
			printText(p.out, "    warning: %s: %s\n", w.Check, w.Detail)
			if w.Fix != "" {
				printText(p.out, "      fix: %s\n", w.Fix)
			}
		}
	}
}

// noteResumed prints, once per execution, that the engine resumed another
// open execution of the store alongside the followed one.
func (p *progress) noteResumed(name string) {
	if p.resumed[name] {
		return
	}
	p.resumed[name] = true
	printText(p.out, "  execution %s, left open by an earlier process, resumed too; its steps are not shown here, so follow it with 'repolink history%s %s'\n",
		name, p.storeFlags, name)
}

// printUnfinished prints the step, the error name and cause that exist,
// and how to continue an execution that failed, timed out or was stopped.
// Stop without --error records neither a name nor a cause.
func (p *progress) printUnfinished(exec engine.Execution) {
	step, _ := failedStep(exec)
	if step == "" {
		step = "unknown"
	}
	aborted := exec.Status == engine.StatusAborted
	if aborted {
		printText(p.out, "  stopped in:       %s\n", step)
	} else {
		printText(p.out, "  failed step:      %s\n", step)
	}

	// The cause may suggest a command, which gets the flags that the next
	// line's commands carry.
	if reason := failureText(exec, p.flags); reason != "" {
		printText(p.out, "  error:            %s\n", terminalBlock(reason, len("  error:            ")))
	}

	requestFile := p.requestFile
	if requestFile == "" {
		requestFile = requestPlaceholder
	}
	_, cause := failedStep(exec)
	cmds := nextCommands(exec.Machine, exec.Name, p.flags, requestFile)
	next := sandboxLimitNext(exec, p.flags, cmds.Run, workflow.NextActionForCause(exec.Status, exec.Error, cause, cmds))
	printText(p.out, "  next:             %s\n", next)
}

// summary prints the outcome and reports whether the execution succeeded.
func (p *progress) summary(exec engine.Execution) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.out)
	fmt.Fprintln(p.out, "summary")
	printText(p.out, "  execution:        %s\n", exec.Name)
	printText(p.out, "  status:           %s\n", exec.Status)
	for _, w := range resourceWarnings(exec.Output) {
		printText(p.out, "  warning:          %s: %s\n", w.Check, w.Detail)
		if w.Fix != "" {
			printText(p.out, "                    fix: %s\n", w.Fix)
		}
	}
	if exec.Status != "SUCCEEDED" {
		p.printUnfinished(exec)
		return false
	}

	if exec.Machine == teardownMachine {
		counts := countActions(exec.Output)
		kept := keptObjects(exec.Output)
		// Each kept line is one object left, whether a step kept its own
		// resource or listed the object in its result's kept list.
		left := counts[workflow.Skipped] + counts[workflow.Adopted] + len(kept)
		printText(p.out, "  resources:        %d deleted, %d already gone or kept\n", counts[workflow.Deleted], left)
		for _, k := range kept {
			printText(p.out, "  kept:             %s\n", k)
		}
		for _, n := range resourceNotes(exec.Output) {
			printText(p.out, "  note:             %s\n", n)
		}
		if endpointCostUnnoted(exec.Output) {
			// The teardown deleted the endpoint's service as well, so
			// restoring the endpoint would bring back nothing that works.
			printText(p.out, "  note:             Snowflake counts the deprovisioned endpoint against the account's maximum of %d private endpoints for %d days\n",
				provisionendpoint.MaxEndpoints, request.PrivateEndpointKeptDays)
		}
		printText(p.out, "  took:             %s\n", elapsed(tookOf(exec)))
		return true
	}

	var doc workflow.Document
	_ = json.Unmarshal(exec.Output, &doc)
	res := doc.Resources
	if res.EndpointLive != nil {
		printText(p.out, "  endpoint status:  %s (%s)\n", res.EndpointLive.Status, res.EndpointLive.EndpointState)
	}
	if res.Repository != nil {
		printText(p.out, "  repository:       %s\n", res.Repository.ID)
	}
	if res.Verification != nil {
		printText(p.out, "  packages:         %s\n", strings.Join(res.Verification.Packages, ", "))
		if res.Verification.Procedure {
			printText(p.out, "  procedure check:  passed\n")
		}
	}
	counts := countActions(exec.Output)
	// Each step records one action, so a step that makes two resources,
	// such as a load balancer and its listener, counts once.
	line := fmt.Sprintf("%d created, %d adopted, %d updated, counted by step", counts[workflow.Created], counts[workflow.Adopted], counts[workflow.Updated])
	if counts[workflow.Created] == 0 {
		line += " (everything already existed; nothing was created)"
	}
	printText(p.out, "  resources:        %s\n", line)
	for _, n := range resourceNotes(exec.Output) {
		printText(p.out, "  note:             %s\n", n)
	}
	printText(p.out, "  took:             %s\n", elapsed(tookOf(exec)))
	return true
}

// tookOf returns how long the execution's last run took: from its last
// redrive, if any, so that the time it spent closed before a redrive does
// not count.
func tookOf(exec engine.Execution) time.Duration {
	started := exec.StartedAt
	if !exec.RedrivenAt.IsZero() && exec.RedrivenAt.After(started) {
		started = exec.RedrivenAt
	}
	return exec.StoppedAt.Sub(started)
}

// stepColumn is the width of the step name column, wide enough for the
// longest step name, teardown_azure_private_link_service.
const stepColumn = 35

// endpointCostUnnoted reports whether a teardown's output records that it
// deprovisioned a Snowflake private endpoint without a note from that
// step. The step's note, written when the account is close to its maximum,
// already states that the deprovisioned endpoint counts for the days that
// Snowflake keeps it.
func endpointCostUnnoted(output json.RawMessage) bool {
	var doc struct {
		Resources map[string]resourceStatus `json:"resources"`
	}
	if json.Unmarshal(output, &doc) != nil {
		return false
	}
	step := doc.Resources["teardown_endpoint"]
	return step.Action == workflow.Deleted && len(step.Notes) == 0
}

// countActions counts the actions that the steps reported in a document.
func countActions(output json.RawMessage) map[string]int {
	var doc struct {
		Resources map[string]struct {
			Action string `json:"action"`
		} `json:"resources"`
	}
	counts := map[string]int{}
	if json.Unmarshal(output, &doc) != nil {
		return counts
	}
	keys := make([]string, 0, len(doc.Resources))
	for k := range doc.Resources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		counts[doc.Resources[k].Action]++
	}
	return counts
}

// keptObjects returns the objects that the teardown steps found but kept,
// as "TYPE NAME: reason" lines sorted by the steps' result keys. A step
// that kept its own resource is named by its result key.
func keptObjects(output json.RawMessage) []string {
	var doc struct {
		Resources map[string]struct {
			Action string `json:"action"`
			ID     string `json:"id"`
			Reason string `json:"reason"`
			Kept   []struct {
				Type   string `json:"type"`
				Name   string `json:"name"`
				Reason string `json:"reason"`
			} `json:"kept"`
		} `json:"resources"`
	}
	if json.Unmarshal(output, &doc) != nil {
		return nil
	}
	keys := make([]string, 0, len(doc.Resources))
	for k := range doc.Resources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		step := doc.Resources[k]
		if step.Action == workflow.Kept {
			lines = append(lines, fmt.Sprintf("%s %s: %s", k, step.ID, step.Reason))
		}
		for _, obj := range step.Kept {
			lines = append(lines, fmt.Sprintf("%s %s: %s", obj.Type, obj.Name, obj.Reason))
		}
	}
	return lines
}

// resourceNotes returns the notes of the steps in an execution's output,
// such as a default repository level that teardown or a later run unset
// although a run had replaced a person's value there, sorted by the steps'
// result keys.
func resourceNotes(output json.RawMessage) []string {
	var doc struct {
		Resources map[string]struct {
			Notes []string `json:"notes"`
		} `json:"resources"`
	}
	if json.Unmarshal(output, &doc) != nil {
		return nil
	}
	var notes []string
	for _, k := range sortedKeys(doc.Resources) {
		notes = append(notes, doc.Resources[k].Notes...)
	}
	return notes
}

// resourceWarnings returns the warnings of the steps in an execution's
// output, such as preflight's warning about an index credential that
// expires within hours, sorted by the steps' result keys.
func resourceWarnings(output json.RawMessage) []workflow.Warning {
	var doc struct {
		Resources map[string]struct {
			Warnings []workflow.Warning `json:"warnings"`
		} `json:"resources"`
	}
	if json.Unmarshal(output, &doc) != nil {
		return nil
	}
	var warnings []workflow.Warning
	for _, k := range sortedKeys(doc.Resources) {
		warnings = append(warnings, doc.Resources[k].Warnings...)
	}
	return warnings
}

// eventDetails is the decoded details of a history event.
type eventDetails map[string]any

func decodeDetails(raw json.RawMessage) eventDetails {
	var d eventDetails
	_ = json.Unmarshal(raw, &d)
	return d
}

func (d eventDetails) str(keys ...string) string {
	for _, k := range keys {
		if v, ok := d[k].(string); ok {
			return v
		}
	}
	return ""
}

func (d eventDetails) errorName() string { return d.str("error", "Error") }
func (d eventDetails) cause() string     { return d.str("cause", "Cause") }

// resource returns resources.<key> of the state output in the details, or
// nil when the output lacks it.
func (d eventDetails) resource(key string) map[string]any {
	var raw any
	for _, k := range []string{"output", "Output"} {
		if v, ok := d[k]; ok {
			raw = v
			break
		}
	}
	if s, ok := raw.(string); ok {
		_ = json.Unmarshal([]byte(s), &raw)
	}
	obj, _ := raw.(map[string]any)
	resources, _ := obj["resources"].(map[string]any)
	entry, _ := resources[key].(map[string]any)
	return entry
}

// warnings returns the warnings of resources.<key> of the state output in
// the details.
func (d eventDetails) warnings(key string) []workflow.Warning {
	data, err := json.Marshal(d.resource(key)["warnings"])
	if err != nil {
		return nil
	}
	var warnings []workflow.Warning
	if json.Unmarshal(data, &warnings) != nil {
		return nil
	}
	return warnings
}

// related returns the further resources that resources.<key> of the state
// output in the details lists besides its ID.
func (d eventDetails) related(key string) []workflow.Result {
	data, err := json.Marshal(d.resource(key)["related"])
	if err != nil {
		return nil
	}
	var related []workflow.Result
	if json.Unmarshal(data, &related) != nil {
		return nil
	}
	return related
}

// result reads resources.<key> from the state output in the details.
func (d eventDetails) result(key string) workflow.Result {
	entry := d.resource(key)
	action, _ := entry["action"].(string)
	id, _ := entry["id"].(string)
	reason, _ := entry["reason"].(string)
	status, _ := entry["status"].(string)
	if key == "endpoint_live" {
		// The state machine goes on only after the poller's live report
		// and registers a new wait on any other task result.
		state, _ := entry["endpoint_state"].(string)
		if !poller.IsLiveReport("", state, status) {
			return workflow.Result{Action: "not live", ID: "the task result is not the poller's report of a live endpoint; waiting again"}
		}
	}
	return resultOf(key, action, id, reason, status)
}

// resultOf returns the action and ID to show for resources.<key>. The
// endpoint wait records only the endpoint's status, shown as "live". A
// step that reports a reason but no ID, such as a skipped proxy VM, shows
// the reason in place of the ID.
func resultOf(key, action, id, reason, status string) workflow.Result {
	if key == "endpoint_live" && action == "" && status != "" {
		return workflow.Result{Action: "live", ID: status}
	}
	if id == "" {
		id = reason
	}
	return workflow.Result{Action: action, ID: id}
}
