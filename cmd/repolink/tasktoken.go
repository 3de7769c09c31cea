package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/statemachines"
)

// machineDefinitions are the definitions that repolink defines in every
// engine store, by machine name.
//
// NOTE: the engine keeps the definition that each execution started with
// but does not return it, so the send-task commands check against these.
// An execution started by an older repolink may run an older definition.
var machineDefinitions = map[string][]byte{
	provisionMachine: statemachines.Provision,
	teardownMachine:  statemachines.Teardown,
	"egress-refresh": statemachines.EgressRefresh,
}

// waitingTask is the callback task that a task token belongs to.
type waitingTask struct {
	execution string
	machine   string
	state     string
	// heartbeatSeconds is the task's HeartbeatSeconds, or 0 without one.
	heartbeatSeconds int
	// route is the route of the execution's request, or "".
	route request.Route
	// input is the execution's input document.
	input json.RawMessage
}

// record returns the task's execution with its name, machine and input,
// or, when found is false, an execution without them.
func (w waitingTask) record(found bool) engine.Execution {
	if !found {
		return engine.Execution{}
	}
	return engine.Execution{Name: w.execution, Machine: w.machine, Input: w.input}
}

// resumeTarget returns the provision execution that 'repolink teardown'
// resumes the task's execution with (teardownResumeTarget), or "".
func (w waitingTask) resumeTarget(ctx context.Context, eng *engine.Engine) string {
	if w.machine != teardownMachine {
		return ""
	}
	return teardownResumeTarget(ctx, eng, w.record(true))
}

// findWaitingTask returns the task that token belongs to: the running
// execution whose TaskScheduled event passes token in its parameters. It
// returns false when no running execution has such an event.
func findWaitingTask(ctx context.Context, eng *engine.Engine, token string) (waitingTask, bool, error) {
	execs, err := eng.List(ctx)
	if err != nil {
		return waitingTask{}, false, err
	}
	for _, x := range execs {
		if x.Status != engine.StatusRunning {
			continue
		}
		events, err := eng.History(ctx, x.Name)
		if err != nil {
			return waitingTask{}, false, err
		}
		for i := len(events) - 1; i >= 0; i-- {
			if events[i].Type != "TaskScheduled" {
				continue
			}
			var details struct {
				Parameters json.RawMessage `json:"parameters"`
				Heartbeat  int             `json:"heartbeatInSeconds"`
			}
			if json.Unmarshal(events[i].Details, &details) != nil || !containsString(details.Parameters, token) {
				continue
			}
			task := waitingTask{execution: x.Name, machine: x.Machine, state: events[i].State, heartbeatSeconds: details.Heartbeat, input: x.Input}
			var doc workflow.Document
			if json.Unmarshal(x.Input, &doc) == nil {
				task.route = doc.Request.Route
			}
			return task, true, nil
		}
	}
	return waitingTask{}, false, nil
}

// containsString reports whether the JSON document doc has the string
// value s anywhere in it.
func containsString(doc json.RawMessage, s string) bool {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return v == s
		case map[string]any:
			for _, item := range v {
				if walk(item) {
					return true
				}
			}
		case []any:
			for _, item := range v {
				if walk(item) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// label names the task's step and state, such as "await_endpoint (state
// AwaitEndpoint)".
func (t waitingTask) label() string {
	step, _ := execview.Step(t.machine, t.state)
	return stepLabel(step, t.state)
}

func (t waitingTask) isAwaitEndpoint() bool {
	step, _ := execview.Step(t.machine, t.state)
	return t.machine == provisionMachine && step == poller.TaskName
}

// checkOutput returns a usage error when output is a result that the
// task's state would not take as it is. For the provision machine's
// AwaitEndpoint task that is any result other than the poller's report of
// a live endpoint, on which the run registers a new wait instead of going
// on. For other states it is a result that lacks a field that the state's
// ResultSelector selects, or has a field that is not a string where the
// selector passes it to States.Base64Encode. Step Functions fails such a
// state with States.Runtime, so the run would fail on an output that the
// command accepted.
func (t waitingTask) checkOutput(output json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(output))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil
	}
	if t.isAwaitEndpoint() {
		return t.checkEndpointLive(doc)
	}

	definition, ok := machineDefinitions[t.machine]
	if !ok {
		return nil
	}
	selector := resultSelector(definition, t.state)
	if selector == nil {
		return nil
	}
	if missing := missingFields(selector, doc); len(missing) > 0 {
		fields := fieldsText(missing)
		return usagef("--output-json lacks %s, which the %s task of execution %s reads from its result, so that state would fail with States.Runtime; pass an object with %s",
			fields, t.label(), t.execution, fields)
	}
	if wrong := nonStringFields(selector, doc); len(wrong) > 0 {
		return usagef("--output-json has %s, where the %s task of execution %s reads a string, so that state would fail with States.Runtime; pass a string in each of these fields",
			clash.JoinAnd(wrong), t.label(), t.execution)
	}
	return nil
}

// endpointReportFields are the fields of the poller's report that the
// AwaitEndpoint task checks, in the order that messages name them.
var endpointReportFields = []string{"endpoint_state", "status"}

// checkEndpointLive returns a usage error when the AwaitEndpoint result in
// doc is not the poller's report of a live endpoint of the task's route,
// with the same spelling: endpoint_state CREATED and the route's entry of
// poller.LiveStatuses. The provision machine's CheckEndpointLive state
// accepts only that report and registers a new wait on any other result,
// so the command accepts what the state machine accepts. A pending or
// failed endpoint takes send-task-failure, or no call while the poller
// waits.
func (t waitingTask) checkEndpointLive(doc any) error {
	example := "the poller's report, such as " + awaitEndpointExample(t.route)
	fields, _ := doc.(map[string]any)
	var missing, wrongType []string
	for _, name := range endpointReportFields {
		value, ok := fields[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case !isString(value):
			wrongType = append(wrongType, name+" as "+jsonTypeName(value))
		}
	}
	if len(missing) > 0 {
		return usagef("--output-json lacks %s, which the %s task of execution %s reads from its result, so the run would wait again instead of going on; pass %s",
			fieldsText(missing), t.label(), t.execution, example)
	}
	if len(wrongType) > 0 {
		return usagef("--output-json has %s, where the %s task of execution %s reads a string, so the run would wait again instead of going on; pass %s",
			clash.JoinAnd(wrongType), t.label(), t.execution, example)
	}

	state, _ := fields["endpoint_state"].(string)
	status, _ := fields["status"].(string)
	cloud := (&request.Request{Route: t.route}).RouteCloud()
	if poller.IsLiveReport(cloud, state, status) {
		return nil
	}
	var wrong []string
	if state != poller.LiveEndpointState {
		wrong = append(wrong, fmt.Sprintf("endpoint_state %s, which must be %s", quoteShort(state), poller.LiveEndpointState))
	}
	if live, ok := poller.LiveStatus(cloud, status); !ok || live != status {
		wrong = append(wrong, fmt.Sprintf("status %s, which must be %s", quoteShort(status), liveStatusText(cloud)))
	}
	return usagef("--output-json has %s, so it does not report a live endpoint to the %s task of execution %s, and the run would wait again; "+
		"let the poller complete the task once the endpoint is live, send-task-failure to fail it, or pass %s",
		strings.Join(wrong, ", and "), t.label(), t.execution, example)
}

// liveStatusText names the status of a live endpoint on cloud, or the
// statuses of all clouds when cloud is not one of them.
func liveStatusText(cloud string) string {
	if live, ok := poller.LiveStatuses[cloud]; ok {
		return "exactly " + live
	}
	return "exactly " + joinOr(slices.Sorted(maps.Values(poller.LiveStatuses)))
}

// quoteShort quotes s for a message, cut to its first 64 bytes, so that
// a long value does not fill the terminal.
func quoteShort(s string) string {
	const limit = 64
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:limit]) + fmt.Sprintf("... (%d bytes)", len(s))
}

// joinOr joins items as "a", "a or b" or "a, b or c".
func joinOr(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// fieldsText names fields as "the field a" or "the fields a and b".
func fieldsText(fields []string) string {
	if len(fields) == 1 {
		return "the field " + fields[0]
	}
	return "the fields " + clash.JoinAnd(fields)
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// awaitEndpointExample returns, quoted for a shell, the report that the
// poller sends for a live endpoint of route, as workflow.EndpointLive.
// Snowflake's status of a live connection differs per cloud, so for a
// route without a cloud, such as "", it gives the AWS report and names the
// status of the other clouds after it.
func awaitEndpointExample(route request.Route) string {
	cloud := (&request.Request{Route: route}).RouteCloud()
	if live, ok := poller.LiveStatuses[cloud]; ok {
		return endpointReportText(live)
	}
	return fmt.Sprintf("%s on AWS, with status %s on Azure and %s on GCP", endpointReportText(poller.LiveStatuses["aws"]),
		poller.LiveStatuses["azure"], poller.LiveStatuses["gcp"])
}

// endpointReportText returns, quoted for a shell, the poller's report of
// a live endpoint whose status is status.
func endpointReportText(status string) string {
	return fmt.Sprintf(`'{"endpoint_state": "%s", "status": "%s"}'`, poller.LiveEndpointState, status)
}

// aslStates is the part of an Amazon States Language definition, or of a
// Parallel branch or Map iterator in it, that leads to the states.
type aslStates struct {
	States map[string]struct {
		ResultSelector map[string]any
		Branches       []aslStates
		Iterator       *aslStates
		ItemProcessor  *aslStates
	}
}

// resultSelector returns the ResultSelector of the state named name in
// definition, also within Parallel branches and Map iterators, or nil.
func resultSelector(definition []byte, name string) map[string]any {
	var def aslStates
	if json.Unmarshal(definition, &def) != nil {
		return nil
	}
	var find func(def aslStates) map[string]any
	find = func(def aslStates) map[string]any {
		if s, ok := def.States[name]; ok {
			return s.ResultSelector
		}
		for _, s := range def.States {
			nested := s.Branches
			for _, inner := range []*aslStates{s.Iterator, s.ItemProcessor} {
				if inner != nil {
					nested = append(nested, *inner)
				}
			}
			for _, inner := range nested {
				if found := find(inner); found != nil {
					return found
				}
			}
		}
		return nil
	}
	return find(def)
}

// missingFields returns, in the order of selector's keys, the fields
// that the paths of selector select from the result doc and that doc
// lacks, such as endpoint_state for "endpoint_state.$": "$.endpoint_state".
// It reads the paths of plain path values and the path arguments of
// intrinsic functions, such as $.status in
// "States.Base64Encode($.status)". It checks only definite paths on the
// result and skips context paths ($$).
func missingFields(selector map[string]any, doc any) []string {
	var missing []string
	for _, key := range sortedKeys(selector) {
		switch value := selector[key].(type) {
		case map[string]any:
			missing = append(missing, missingFields(value, doc)...)
		case string:
			if !strings.HasSuffix(key, ".$") {
				continue
			}
			for _, path := range selectedPaths(value) {
				if _, err := path.Get(doc); err != nil {
					missing = append(missing, strings.TrimPrefix(path.String(), "$."))
				}
			}
		}
	}
	return missing
}

// nonStringFields returns, in the order of selector's keys, each field
// that selector passes to States.Base64Encode and whose value in the
// result doc is not a string, with the value's JSON type, such as
// "endpoint_state as a number".
func nonStringFields(selector map[string]any, doc any) []string {
	var wrong []string
	for _, key := range sortedKeys(selector) {
		switch value := selector[key].(type) {
		case map[string]any:
			wrong = append(wrong, nonStringFields(value, doc)...)
		case string:
			if !strings.HasSuffix(key, ".$") {
				continue
			}
			for _, match := range base64EncodeArgument.FindAllStringSubmatch(value, -1) {
				path, err := engine.ParsePath(match[1])
				if err != nil || path.IsContext() || !path.Definite() {
					continue
				}
				got, err := path.Get(doc)
				if err != nil {
					continue
				}
				if _, ok := got.(string); !ok {
					wrong = append(wrong, strings.TrimPrefix(path.String(), "$.")+" as "+jsonTypeName(got))
				}
			}
		}
	}
	return wrong
}

// base64EncodeArgument matches a call of States.Base64Encode on a path and
// captures the path.
var base64EncodeArgument = regexp.MustCompile(`States\.Base64Encode\(\s*(\$[^\s,()']*)\s*\)`)

var (
	// intrinsicPathArgument matches a path argument of an intrinsic
	// function and captures the path.
	intrinsicPathArgument = regexp.MustCompile(`[(,]\s*(\$[^\s,()']*)`)
	// intrinsicLiteral matches a quoted string argument, which
	// selectedPaths blanks out before it looks for paths.
	intrinsicLiteral = regexp.MustCompile(`'(?:\\.|[^'\\])*'`)
)

// selectedPaths returns the definite paths on the result that a
// ResultSelector value reads: the value itself when it is a path, or the
// path arguments of an intrinsic function. It leaves out context paths.
func selectedPaths(value string) []*engine.Path {
	texts := []string{value}
	if strings.HasPrefix(strings.TrimSpace(value), "States.") {
		texts = nil
		for _, match := range intrinsicPathArgument.FindAllStringSubmatch(intrinsicLiteral.ReplaceAllString(value, "''"), -1) {
			texts = append(texts, match[1])
		}
	}
	var paths []*engine.Path
	for _, text := range texts {
		path, err := engine.ParsePath(text)
		if err != nil || path.IsContext() || !path.Definite() {
			continue
		}
		paths = append(paths, path)
	}
	return paths
}

// jsonTypeName names the JSON type of a value that encoding/json decoded
// with UseNumber, with its article, such as "a number".
func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
