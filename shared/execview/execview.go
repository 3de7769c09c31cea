// Package execview defines the JSON views of executions and history events
// that the operations API returns. repolink up builds them from its
// embedded engine and the Lambda operations function from Step Functions,
// so both APIs return the same fields. The package imports only the
// standard library and the embedded state machine definitions, so that
// the Lambda binary links nothing more through it.
package execview

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/statemachines"
)

// Execution is an execution as the status command and the operations API
// show it.
type Execution struct {
	Name      string `json:"name"`
	RequestID string `json:"request_id,omitempty"`
	Status    string `json:"status"`
	// CurrentState is the state machine state the execution is in, or the
	// one it stopped in. CurrentStep is its step's task name, for a Task
	// state.
	CurrentState string `json:"current_state,omitempty"`
	CurrentStep  string `json:"current_step,omitempty"`
	StartedAt    Time   `json:"started_at"`
	StoppedAt    *Time  `json:"stopped_at,omitempty"`
	RedriveCount int    `json:"redrive_count"`
	Error        string `json:"error,omitempty"`
	Cause        string `json:"cause,omitempty"`
	// FailedStep is the step that an execution that did not succeed
	// stopped in, which the steps write at the start of the cause
	// ("proxy_vm: ..."). When the cause names no step, such as for an
	// intrinsic function that failed ("States.Base64Encode: ..."), it is
	// the current state's step.
	FailedStep string `json:"failed_step,omitempty"`
	// Resources is $.resources as the last finished step left it.
	Resources json.RawMessage `json:"resources,omitempty"`
}

// Event is one history event as the history command and the operations
// API show it.
type Event struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	State     string          `json:"state,omitempty"`
	Timestamp Time            `json:"timestamp"`
	Details   json.RawMessage `json:"details,omitempty"`
}

// NewEvent returns the view of a history event without its state. It
// leaves out details that are empty, {} or null.
func NewEvent(id int64, eventType string, timestamp time.Time, details json.RawMessage) Event {
	v := Event{ID: id, Type: eventType, Timestamp: At(timestamp)}
	if len(details) > 0 && string(details) != "{}" && string(details) != "null" {
		v.Details = details
	}
	return v
}

// TaskState is a Task state of a state machine definition.
type TaskState struct {
	// Task is the step's task name, such as proxy_vm.
	Task string
	// Result is the key of the step's result under $.resources.
	Result string
}

// TaskStates maps the Task states of an Amazon States Language definition
// to their steps. It returns an empty map for a definition that is not
// valid JSON.
func TaskStates(definition []byte) map[string]TaskState {
	var def struct {
		States map[string]struct {
			Type       string
			Resource   string
			ResultPath string
			Parameters struct{ FunctionName string }
		}
	}
	tasks := map[string]TaskState{}
	if err := json.Unmarshal(definition, &def); err != nil {
		return tasks
	}
	for name, s := range def.States {
		if s.Type != "Task" {
			continue
		}
		task := s.Resource
		if s.Parameters.FunctionName != "" {
			task = s.Parameters.FunctionName
		}
		tasks[name] = TaskState{
			Task:   strings.TrimSuffix(strings.TrimPrefix(task, "${"), "}"),
			Result: strings.TrimPrefix(s.ResultPath, "$.resources."),
		}
	}
	return tasks
}

var (
	provisionTasks = TaskStates(statemachines.Provision)
	teardownTasks  = TaskStates(statemachines.Teardown)
)

// ProvisionStep returns the task name of a Task state of the provision
// state machine, such as proxy_vm for ProxyVM, and false for any other
// state.
func ProvisionStep(state string) (string, bool) {
	task, ok := provisionTasks[state]
	return task.Task, ok
}

// Names of the state machines whose Task states Step maps. repolink up
// stores its executions under these names, and the Lambda operations API
// gives them to the executions of the matching Step Functions machines.
const (
	Provision = "provision"
	Teardown  = "teardown"
)

// Step returns the task name of a Task state of the named state machine,
// Provision or Teardown, such as teardown_proxy_vm for TeardownProxyVM of
// Teardown. It returns false for any other state or machine.
func Step(machine, state string) (string, bool) {
	tasks := map[string]map[string]TaskState{Provision: provisionTasks, Teardown: teardownTasks}[machine]
	task, ok := tasks[state]
	return task.Task, ok
}

// CauseStep splits the cause of a task failure into the step name that
// the steps write at its start ("proxy_vm: ...") and the rest. When the
// cause starts with no step name, it returns "", the whole cause and false.
// A step name is a task name, which is a lowercase letter followed by lowercase
// letters, digits and underscores. So a prefix such as States.Base64Encode,
// which an intrinsic function that failed in a Task state's ResultSelector
// writes, names no step.
func CauseStep(cause string) (step, rest string, ok bool) {
	step, rest, ok = strings.Cut(cause, ": ")
	if !ok || !isTaskName(step) {
		return "", cause, false
	}
	return step, rest, true
}

// isTaskName reports whether s has the form of a step's task name, such
// as proxy_vm.
func isTaskName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// StoppedStep returns the step that an execution of machine stopped in
// without success, and its cause without that step's prefix. A task failure
// names its step at the start of the cause. Other causes, such as those of
// an execution that an operator stopped or that timed out, leave the step
// to state, the state the execution was in. It returns "" for the step when
// neither names one.
func StoppedStep(machine, state, cause string) (step, rest string) {
	if step, rest, ok := CauseStep(cause); ok {
		return step, rest
	}
	step, _ = Step(machine, state)
	return step, cause
}

// Resources returns $.resources of a workflow document, or nil.
func Resources(doc json.RawMessage) json.RawMessage {
	var d struct {
		Resources json.RawMessage `json:"resources"`
	}
	if json.Unmarshal(doc, &d) != nil || len(d.Resources) == 0 || string(d.Resources) == "null" {
		return nil
	}
	return d.Resources
}

// LastResources returns $.resources of the newest event output that has
// them, or nil. details are the events' details, oldest first, each with
// the state output in its output field.
func LastResources(details []json.RawMessage) json.RawMessage {
	for i := len(details) - 1; i >= 0; i-- {
		var d struct {
			Output json.RawMessage `json:"output"`
		}
		if json.Unmarshal(details[i], &d) != nil {
			continue
		}
		if res := Resources(d.Output); res != nil {
			return res
		}
	}
	return nil
}

// StopTime returns t as a Time, or nil for the zero time of an execution
// that has not stopped.
func StopTime(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	at := At(t)
	return &at
}

// TimeLayout is the layout of the timestamps in the JSON views: UTC with
// milliseconds, the precision of the dates that the Step Functions API
// returns.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Time is a timestamp of a view. It is written in JSON with TimeLayout,
// so that every timestamp has the same width, and reads any RFC 3339 time.
type Time struct {
	time.Time
}

// At returns t in UTC as a Time.
func At(t time.Time) Time {
	return Time{t.UTC()}
}

// MarshalJSON writes t with TimeLayout, in UTC.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// ObjectKeys returns the member names of the JSON object raw in the order
// that they appear, or nil when raw is not a JSON object.
func ObjectKeys(raw json.RawMessage) []string {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil || members == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	keys := make([]string, 0, len(members))
	for dec.More() {
		token, err := dec.Token()
		if err != nil {
			return nil
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil
		}
		keys = append(keys, token.(string))
	}
	return keys
}

// OrderObject returns the JSON object raw with the members named in order
// first, in that order, and its other members after them in ascending
// order of name. A name in order that raw lacks is skipped. It returns raw
// unchanged when raw is not a JSON object.
func OrderObject(raw json.RawMessage, order []string) json.RawMessage {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil || members == nil {
		return raw
	}
	keys := make([]string, 0, len(members))
	placed := make(map[string]bool, len(members))
	for _, key := range order {
		if _, ok := members[key]; ok && !placed[key] {
			keys = append(keys, key)
			placed[key] = true
		}
	}
	rest := make([]string, 0, len(members)-len(keys))
	for key := range members {
		if !placed[key] {
			rest = append(rest, key)
		}
	}
	slices.Sort(rest)
	keys = append(keys, rest...)

	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, key := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, err := json.Marshal(key)
		if err != nil {
			return raw
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(members[key])
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
