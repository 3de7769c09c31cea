// Package payload defines the JSON bodies that repolink posts to a
// request's notify.url: Notification when a provision or teardown run
// closes, and CredentialNotice before a stored index credential expires.
// repolink up (package notify) and the Lambda notifier both send
// Notification. The package imports no storage or
// cloud SDK, so that the Lambda binary does not link SQLite through it.
package payload

import (
	"encoding/json"
	"time"

	"github.com/repolink/repolink/shared/execview"
)

// Events of a notification.
const (
	// EventSucceeded is sent when a provision run succeeded, so the
	// repository is ready.
	EventSucceeded = "succeeded"
	// EventTornDown is sent when a teardown run succeeded, so the
	// repository and its network path are removed.
	EventTornDown = "torn_down"
	// EventNeedsOperator is sent when a run failed, timed out or was
	// aborted, so that an operator must fix the cause and redrive it.
	EventNeedsOperator = "needs_operator"
)

// State machines whose runs send notifications.
const (
	MachineProvision = "provision"
	MachineTeardown  = "teardown"
)

// statusSucceeded is the status of a succeeded run, in the engine of
// repolink up as in Step Functions.
const statusSucceeded = "SUCCEEDED"

// Notification is the JSON body posted to notify.url.
type Notification struct {
	Event string `json:"event"`
	// Machine is the state machine that ran: provision or teardown.
	Machine   string `json:"machine"`
	Execution string `json:"execution"`
	RequestID string `json:"request_id"`
	// Status is SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
	Status       string `json:"status"`
	RedriveCount int    `json:"redrive_count"`
	// StartedAt and StoppedAt are written in UTC with milliseconds, as in
	// the execution views of repolink status and the operations API.
	StartedAt execview.Time `json:"started_at"`
	StoppedAt execview.Time `json:"stopped_at"`
	// FailedStep, Error and Cause describe a run that needs an operator.
	FailedStep string `json:"failed_step,omitempty"`
	Error      string `json:"error,omitempty"`
	Cause      string `json:"cause,omitempty"`
	// Next is the operator's next action.
	Next string `json:"next,omitempty"`
	// Resources is $.resources of a succeeded run: names, IDs and ARNs,
	// or for a teardown the result of each teardown step. For a run that
	// needs an operator it is $.resources as the last finished step left
	// it, so it lists what the run built before it stopped.
	Resources json.RawMessage `json:"resources,omitempty"`
}

// Run is a closed execution as a notification describes it.
type Run struct {
	// Machine is MachineProvision or MachineTeardown. Empty means
	// MachineProvision.
	Machine      string
	Name         string
	RequestID    string
	Status       string
	RedriveCount int
	StartedAt    time.Time
	StoppedAt    time.Time
	// Output is the workflow document of a succeeded run, or nil.
	Output json.RawMessage
	Error  string
	Cause  string
	// State is the state machine state that the run was in when it
	// stopped, such as ProxyVM. It names the failed step of a run whose
	// cause names none, such as a stopped or timed-out run.
	State string
	// Next is the operator's next action for a run that did not succeed,
	// such as the command that redrives it.
	Next string
	// Resources is $.resources as the last finished step of a run that did
	// not succeed left it, or nil.
	Resources json.RawMessage
}

// Build returns the notification of a closed run.
func Build(run Run) Notification {
	out := Notification{
		Machine:      run.Machine,
		Execution:    run.Name,
		RequestID:    run.RequestID,
		Status:       run.Status,
		RedriveCount: run.RedriveCount,
		StartedAt:    execview.At(run.StartedAt),
		StoppedAt:    execview.At(run.StoppedAt),
	}
	if out.Machine == "" {
		out.Machine = MachineProvision
	}
	if run.Status == statusSucceeded {
		out.Event = EventSucceeded
		if out.Machine == MachineTeardown {
			out.Event = EventTornDown
		}
		var result struct {
			Resources json.RawMessage `json:"resources"`
		}
		if json.Unmarshal(run.Output, &result) == nil {
			out.Resources = result.Resources
		}
		return out
	}

	out.Event = EventNeedsOperator
	out.Error = run.Error
	out.FailedStep, out.Cause = execview.StoppedStep(out.Machine, run.State, run.Cause)
	if out.FailedStep == "" {
		out.FailedStep = "unknown"
	}
	out.Next = run.Next
	out.Resources = run.Resources
	return out
}
