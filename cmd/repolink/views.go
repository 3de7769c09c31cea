package main

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/workflow"
)

// taskState is a Task state of a state machine definition.
type taskState = execview.TaskState

// provisionTasks maps the Task states of a definition to their steps.
func provisionTasks(definition []byte) map[string]taskState {
	return execview.TaskStates(definition)
}

// executionView is an execution as the status command and the operations
// API show it.
type executionView = execview.Execution

// newView returns the view of an execution without its resources.
func newView(x engine.Execution) executionView {
	v := executionView{
		Name:         x.Name,
		Status:       x.Status,
		CurrentState: x.CurrentState,
		StartedAt:    execview.At(x.StartedAt),
		StoppedAt:    execview.StopTime(x.StoppedAt),
		RedriveCount: x.RedriveCount,
		Error:        x.Error,
		Cause:        x.Cause,
	}
	var doc workflow.Document
	if json.Unmarshal(x.Input, &doc) == nil {
		v.RequestID = doc.Request.ID
	}
	v.CurrentStep, _ = execview.Step(x.Machine, x.CurrentState)
	if x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded {
		v.FailedStep, _ = failedStep(x)
	}
	return v
}

// failedStep returns the step that an execution failed or stopped in, or
// "", and the cause without that step's prefix.
func failedStep(x engine.Execution) (step, cause string) {
	return execview.StoppedStep(x.Machine, x.CurrentState, x.Cause)
}

// failureText returns the error name and cause of an execution that did not
// succeed, as run and status print them: the cause without the failed
// step's prefix, with flags added to the commands it suggests. It returns
// "" when the execution recorded neither, such as after a stop without
// --error.
func failureText(x engine.Execution, flags string) string {
	_, cause := failedStep(x)
	var text string
	switch {
	case x.Error != "" && cause != "":
		text = x.Error + ": " + cause
	case x.Error != "":
		text = x.Error
	default:
		text = cause
	}
	return workflow.AddCommandFlags(text, flags) + sandboxLimitError(x, flags)
}

// describeExecution returns the view of an execution with its resources:
// the output of a succeeded execution, or else the resources in the output
// of the last state that finished. The resources are in the order in which
// their steps first started, as run prints them (orderResources).
func describeExecution(ctx context.Context, eng *engine.Engine, name string) (executionView, error) {
	x, err := eng.Describe(ctx, name)
	if err != nil {
		return executionView{}, err
	}
	v := newView(x)
	events, err := eng.History(ctx, name)
	if err != nil {
		return executionView{}, err
	}
	if x.Status == engine.StatusSucceeded {
		v.Resources = execview.Resources(x.Output)
	} else {
		details := make([]json.RawMessage, len(events))
		for i, ev := range events {
			details[i] = ev.Details
		}
		v.Resources = execview.LastResources(details)
	}
	v.Resources = orderResources(x, events, v.Resources)
	return v, nil
}

// orderResources returns resources, $.resources of execution x, with its
// keys in the order in which the steps that wrote them first started in
// events, x's history. Keys that no started step writes come last, in
// ascending order.
func orderResources(x engine.Execution, events []engine.Event, resources json.RawMessage) json.RawMessage {
	if resources == nil {
		return nil
	}
	var entered []string
	for _, ev := range events {
		if ev.Type == "TaskStateEntered" {
			entered = append(entered, ev.State)
		}
	}
	var doc workflow.Document
	_ = json.Unmarshal(x.Input, &doc)
	return execview.OrderObject(resources, execview.ResourceOrder(x.Machine, string(doc.Request.Route), entered))
}

// eventView is one history event as the history command and the
// operations API show it.
type eventView = execview.Event

func newEventViews(events []engine.Event) []eventView {
	out := make([]eventView, 0, len(events))
	for _, ev := range events {
		v := execview.NewEvent(ev.ID, ev.Type, ev.Timestamp, ev.Details)
		v.State = ev.State
		out = append(out, v)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
