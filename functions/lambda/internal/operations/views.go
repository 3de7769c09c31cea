package operations

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/statemachines"
)

// executionView is an execution with the JSON fields of the operations API
// of repolink up.
type executionView struct {
	Name      string `json:"name"`
	RequestID string `json:"request_id,omitempty"`
	Status    string `json:"status"`
	// CurrentState is the state the execution is in, or the one it stopped
	// in. CurrentStep is its task name, for a Task state.
	CurrentState string     `json:"current_state,omitempty"`
	CurrentStep  string     `json:"current_step,omitempty"`
	StartedAt    time.Time  `json:"started_at"`
	StoppedAt    *time.Time `json:"stopped_at,omitempty"`
	RedriveCount int        `json:"redrive_count"`
	Error        string     `json:"error,omitempty"`
	Cause        string     `json:"cause,omitempty"`
	// FailedStep is the step named at the start of the cause of a failed
	// execution, as the steps write it ("proxy_vm: ...").
	FailedStep string `json:"failed_step,omitempty"`
	// Resources is $.resources as the last finished step left it.
	Resources json.RawMessage `json:"resources,omitempty"`
}

// eventView is one history event with the JSON fields of the operations
// API of repolink up.
type eventView struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	State     string          `json:"state,omitempty"`
	Timestamp time.Time       `json:"timestamp"`
	Details   json.RawMessage `json:"details,omitempty"`
}

// provisionSteps maps each Task state of the provision definition to its
// task name, such as ProxyVM to proxy_vm.
var provisionSteps = taskNames(statemachines.Provision)

func taskNames(definition []byte) map[string]string {
	var def struct {
		States map[string]struct {
			Type       string
			Resource   string
			Parameters struct{ FunctionName string }
		}
	}
	steps := map[string]string{}
	if err := json.Unmarshal(definition, &def); err != nil {
		return steps
	}
	for name, state := range def.States {
		if state.Type != "Task" {
			continue
		}
		task := state.Resource
		if state.Parameters.FunctionName != "" {
			task = state.Parameters.FunctionName
		}
		steps[name] = strings.TrimSuffix(strings.TrimPrefix(task, "${"), "}")
	}
	return steps
}

// summaryView returns the view of a listed execution. ListExecutions
// returns neither the input nor the current state, so the view has no
// request ID, current state or error.
func summaryView(x sfn.ExecutionSummary) executionView {
	return executionView{
		Name:         x.Name,
		Status:       x.Status,
		StartedAt:    x.StartDate.UTC(),
		StoppedAt:    stopped(x.StopDate),
		RedriveCount: x.RedriveCount,
	}
}

// describeView returns the view of a described execution. recent contains the
// newest history events, newest first: the current state is the last state
// entered, and the resources of an execution that did not succeed are in
// the output of the last event that has them.
func describeView(x sfn.Execution, recent []sfn.HistoryEvent) executionView {
	v := executionView{
		Name:         x.Name,
		Status:       x.Status,
		StartedAt:    x.StartDate.UTC(),
		StoppedAt:    stopped(x.StopDate),
		RedriveCount: x.RedriveCount,
		Error:        x.Error,
		Cause:        x.Cause,
	}
	var doc workflow.Document
	if json.Unmarshal(x.Input, &doc) == nil {
		v.RequestID = doc.Request.ID
	}
	for _, ev := range recent {
		if strings.HasSuffix(ev.Type, "StateEntered") {
			v.CurrentState = detailsOf(ev).Name
			break
		}
	}
	v.CurrentStep = provisionSteps[v.CurrentState]
	if x.Status != "RUNNING" && x.Status != "SUCCEEDED" {
		if step, _, ok := strings.Cut(x.Cause, ": "); ok && !strings.Contains(step, " ") {
			v.FailedStep = step
		}
	}

	if x.Status == "SUCCEEDED" {
		v.Resources = resourcesOf(x.Output)
		return v
	}
	for _, ev := range recent {
		if res := resourcesOf(detailsOf(ev).Output); res != nil {
			v.Resources = res
			break
		}
	}
	return v
}

// eventViews returns the views of history events in order. Step Functions
// names the state only in the entered and exited events, so every event
// between them gets the state last entered.
func eventViews(history []sfn.HistoryEvent) []eventView {
	views := make([]eventView, 0, len(history))
	current := ""
	for _, ev := range history {
		v := eventView{ID: ev.ID, Type: ev.Type, Timestamp: ev.Timestamp.UTC()}
		if len(ev.Details) > 0 && string(ev.Details) != "{}" && string(ev.Details) != "null" {
			v.Details = ev.Details
		}
		switch {
		case strings.HasSuffix(ev.Type, "StateEntered"):
			current = detailsOf(ev).Name
			v.State = current
		case strings.HasSuffix(ev.Type, "StateExited"):
			v.State = detailsOf(ev).Name
			current = ""
		case !strings.HasPrefix(ev.Type, "Execution"):
			v.State = current
		}
		views = append(views, v)
	}
	return views
}

// eventDetails are the details fields that the views read.
type eventDetails struct {
	Name   string          `json:"name"`
	Output json.RawMessage `json:"output"`
}

func detailsOf(ev sfn.HistoryEvent) eventDetails {
	var d eventDetails
	_ = json.Unmarshal(ev.Details, &d)
	return d
}

// resourcesOf returns $.resources of a workflow document, or nil.
func resourcesOf(doc json.RawMessage) json.RawMessage {
	var d struct {
		Resources json.RawMessage `json:"resources"`
	}
	if json.Unmarshal(doc, &d) != nil || len(d.Resources) == 0 || string(d.Resources) == "null" {
		return nil
	}
	return d.Resources
}

func stopped(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	utc := t.UTC()
	return &utc
}
