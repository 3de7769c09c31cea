package main

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/statemachines"
)

// taskState is a Task state of the provision state machine.
type taskState struct {
	// Task is the step's task name, such as proxy_vm.
	Task string
	// Result is the key of the step's result under $.resources.
	Result string
}

// provisionTasks maps the Task states of a definition to their steps.
func provisionTasks(definition []byte) map[string]taskState {
	var def struct {
		States map[string]struct {
			Type       string
			Resource   string
			ResultPath string
			Parameters struct{ FunctionName string }
		}
	}
	tasks := map[string]taskState{}
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
		tasks[name] = taskState{
			Task:   strings.TrimSuffix(strings.TrimPrefix(task, "${"), "}"),
			Result: strings.TrimPrefix(s.ResultPath, "$.resources."),
		}
	}
	return tasks
}

// executionView is an execution as the status command and the operations
// API show it.
type executionView struct {
	Name      string `json:"name"`
	RequestID string `json:"request_id,omitempty"`
	Status    string `json:"status"`
	// CurrentState is the state machine state the execution is in, or the
	// one it stopped in; CurrentStep is its step, for a Task state.
	CurrentState string     `json:"current_state,omitempty"`
	CurrentStep  string     `json:"current_step,omitempty"`
	StartedAt    time.Time  `json:"started_at"`
	StoppedAt    *time.Time `json:"stopped_at,omitempty"`
	RedriveCount int        `json:"redrive_count"`
	Error        string     `json:"error,omitempty"`
	Cause        string     `json:"cause,omitempty"`
	// FailedStep is the step named at the start of the cause of a failed
	// execution.
	FailedStep string `json:"failed_step,omitempty"`
	// Resources is $.resources as the last finished step left it.
	Resources json.RawMessage `json:"resources,omitempty"`
}

var provisionStates = provisionTasks(statemachines.Provision)

// newView returns the view of an execution without its resources.
func newView(x engine.Execution) executionView {
	v := executionView{
		Name:         x.Name,
		Status:       x.Status,
		CurrentState: x.CurrentState,
		StartedAt:    x.StartedAt.UTC(),
		RedriveCount: x.RedriveCount,
		Error:        x.Error,
		Cause:        x.Cause,
	}
	var doc workflow.Document
	if json.Unmarshal(x.Input, &doc) == nil {
		v.RequestID = doc.Request.ID
	}
	if task, ok := provisionStates[x.CurrentState]; ok {
		v.CurrentStep = task.Task
	}
	if !x.StoppedAt.IsZero() {
		stopped := x.StoppedAt.UTC()
		v.StoppedAt = &stopped
	}
	if x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded {
		v.FailedStep, _ = failedStep(x)
	}
	return v
}

// failedStep returns the step that an execution failed or stopped in and
// the cause without that step's prefix. Task failures start their cause
// with the step name. Other causes, such as that of an execution stopped by
// an operator, leave the step to the state the execution was in, or "" when
// that is not a step either.
func failedStep(x engine.Execution) (step, cause string) {
	if step, cause, ok := strings.Cut(x.Cause, ": "); ok && step != "" && !strings.Contains(step, " ") {
		return step, cause
	}
	if task, ok := provisionStates[x.CurrentState]; ok {
		return task.Task, x.Cause
	}
	return "", x.Cause
}

// describeExecution returns the view of an execution with its resources:
// the output of a succeeded execution, or else the resources in the output
// of the last state that finished.
func describeExecution(ctx context.Context, eng *engine.Engine, name string) (executionView, error) {
	x, err := eng.Describe(ctx, name)
	if err != nil {
		return executionView{}, err
	}
	v := newView(x)
	if x.Status == engine.StatusSucceeded {
		v.Resources = resourcesOf(x.Output)
		return v, nil
	}
	events, err := eng.History(ctx, name)
	if err != nil {
		return executionView{}, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		var details struct {
			Output json.RawMessage `json:"output"`
		}
		if json.Unmarshal(events[i].Details, &details) != nil {
			continue
		}
		if res := resourcesOf(details.Output); res != nil {
			v.Resources = res
			break
		}
	}
	return v, nil
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

// eventView is one history event as the history command and the
// operations API show it.
type eventView struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	State     string          `json:"state,omitempty"`
	Timestamp time.Time       `json:"timestamp"`
	Details   json.RawMessage `json:"details,omitempty"`
}

func newEventViews(events []engine.Event) []eventView {
	out := make([]eventView, 0, len(events))
	for _, ev := range events {
		v := eventView{ID: ev.ID, Type: ev.Type, State: ev.State, Timestamp: ev.Timestamp.UTC()}
		if len(ev.Details) > 0 && string(ev.Details) != "{}" && string(ev.Details) != "null" {
			v.Details = ev.Details
		}
		out = append(out, v)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
