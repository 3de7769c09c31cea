package operations

import (
	"encoding/json"
	"strings"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/workflow"
)

// executionView is an execution with the JSON fields of the operations API
// of repolink up.
type executionView = execview.Execution

// eventView is one history event with the JSON fields of the operations
// API of repolink up.
type eventView = execview.Event

// summaryView returns the view of a listed execution. ListExecutions
// returns neither the input nor the current state, so the view has no
// request ID, current state or error.
func summaryView(x sfn.ExecutionSummary) executionView {
	return executionView{
		Name:         x.Name,
		Status:       x.Status,
		StartedAt:    execview.At(x.StartDate),
		StoppedAt:    execview.StopTime(x.StopDate),
		RedriveCount: x.RedriveCount,
	}
}

// describeView returns the view of a described execution of the state
// machine called machine, execview.Provision or execview.Teardown. recent
// contains the newest history events, newest first: the current state is
// the last state entered, and the resources of an execution that did not
// succeed are in the output of the last event that has them.
func describeView(machine string, x sfn.Execution, recent []sfn.HistoryEvent) executionView {
	v := executionView{
		Name:         x.Name,
		Status:       x.Status,
		StartedAt:    execview.At(x.StartDate),
		StoppedAt:    execview.StopTime(x.StopDate),
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
	v.CurrentStep, _ = execview.Step(machine, v.CurrentState)
	if x.Status != sfn.StatusRunning && x.Status != sfn.StatusSucceeded {
		v.FailedStep, _ = execview.StoppedStep(machine, v.CurrentState, x.Cause)
	}

	if x.Status == sfn.StatusSucceeded {
		v.Resources = execview.Resources(x.Output)
		return v
	}
	for _, ev := range recent {
		if res := execview.Resources(detailsOf(ev).Output); res != nil {
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
		v := execview.NewEvent(ev.ID, ev.Type, ev.Timestamp, ev.Details)
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
