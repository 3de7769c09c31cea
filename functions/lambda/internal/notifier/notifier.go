// Package notifier posts the result of each closed provision or teardown
// run to the request's notify URL, releases the endpoint reservation of a
// run that closed before its endpoint step, and releases the request's run
// item that a closed run holds. A notification is signed with
// repolink's contract: X-Repolink-Timestamp and X-Repolink-Signature, the
// HMAC-SHA256 of "<timestamp>.<body>" keyed with the webhook secret. The
// body has the same JSON fields as the notifications of repolink up.
//
// The handler takes the EventBridge event that Step Functions sends when an
// execution's status changes. EventBridge invokes Lambda asynchronously,
// and Lambda retries a failed asynchronous invocation, so the handler
// returns an error only where another attempt can succeed.
package notifier

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/internal/jsonerror"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/noredirect"
	"github.com/repolink/repolink/shared/notify/payload"
	"github.com/repolink/repolink/shared/notify/signedpost"
	"github.com/repolink/repolink/shared/publicaddr"
	"github.com/repolink/repolink/shared/workflow"
)

// DefaultTimeout bounds one notification POST when the client sets none.
const DefaultTimeout = 10 * time.Second

// Events of a notification.
const (
	EventSucceeded     = payload.EventSucceeded
	EventNeedsOperator = payload.EventNeedsOperator
)

// statusChangeEvent is the EventBridge detail type that Step Functions sends
// when an execution changes status.
const statusChangeEvent = "Step Functions Execution Status Change"

// Notification is the JSON body posted to the notify URL.
type Notification = payload.Notification

// Result is the handler's output.
type Result struct {
	Delivered  bool `json:"delivered"`
	StatusCode int  `json:"status_code,omitempty"`
	// Skipped is the reason nothing was sent.
	Skipped string `json:"skipped,omitempty"`
}

// Notifier sends notifications.
type Notifier struct {
	// Secret returns the HMAC key. Nil means no key is configured, so a
	// run whose request has a notify URL fails with InvalidRequest.
	Secret func(ctx context.Context) ([]byte, error)
	// Client sends the POST. Nil means a client with DefaultTimeout that
	// connects only to public addresses (see publicaddr.Transport).
	// Redirects are never followed, so a signed body goes only to the URL
	// in the request.
	Client *http.Client
	// Executions returns an execution's input when the event carries none,
	// which EventBridge does for an input above its event size limit, and
	// the history of a run that did not succeed, which records what it
	// built and the state it stopped in. Nil means such an event fails
	// with InvalidRequest, and such a run has no resources and, unless its
	// cause names the step, the failed step "unknown".
	Executions Executions
	// Env provides the endpoint reservations. A provision run that failed,
	// timed out or was aborted before its endpoint step releases its place
	// in them. Nil, an Env without EndpointReservations, or nil
	// Executions release nothing, and such a place expires on its own.
	Env *workflow.Env
	// RunItems, when set, releases the request's run item that a closed
	// execution of either machine holds. Nil releases nothing, and the
	// next check of the request takes the item over.
	RunItems RunItems
	// Notices, when set, claims each credential expiry notification, so
	// that it is sent once however often the poller requests it. Nil sends
	// it on every event.
	Notices NoticeClaims
	// Now is time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Executions reads executions from Step Functions. *sfn.Client implements
// it.
type Executions interface {
	DescribeExecution(ctx context.Context, executionARN string) (sfn.Execution, error)
	GetExecutionHistory(ctx context.Context, executionARN string, opts sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error)
}

var _ Executions = (*sfn.Client)(nil)

// statusChange is the part of an EventBridge execution status change event
// that a notification needs. Input and Output are JSON text, and the dates
// are Unix milliseconds.
type statusChange struct {
	DetailType string `json:"detail-type"`
	Detail     struct {
		ExecutionARN    string  `json:"executionArn"`
		StateMachineARN string  `json:"stateMachineArn"`
		Name            string  `json:"name"`
		Status          string  `json:"status"`
		StartDate       int64   `json:"startDate"`
		StopDate        int64   `json:"stopDate"`
		Input           string  `json:"input"`
		Output          *string `json:"output"`
		Error           string  `json:"error"`
		Cause           string  `json:"cause"`
		RedriveCount    int     `json:"redriveCount"`
	} `json:"detail"`
}

// Handle posts the notification of a closed execution. It skips a running
// execution and a request without a notify URL.
func (n *Notifier) Handle(ctx context.Context, eventJSON json.RawMessage) (json.RawMessage, error) {
	var event statusChange
	if err := json.Unmarshal(eventJSON, &event); err != nil {
		return nil, workflow.Invalid("notifier: decode event: the event %s; send an EventBridge event, "+
			"a JSON object with detail-type and detail", jsonerror.Describe(err))
	}
	if event.DetailType == CredentialEventType {
		return n.handleCredential(ctx, eventJSON)
	}
	if event.DetailType != statusChangeEvent {
		return nil, workflow.Invalid("notifier: unsupported event type %q; route %q events of the provision and teardown state machines here",
			event.DetailType, statusChangeEvent)
	}
	d := event.Detail
	// Without the ARN, the input, the history and the run item of the
	// execution cannot be read, and no attempt of the event can succeed.
	if d.ExecutionARN == "" {
		return nil, workflow.Invalid("notifier: the event has no detail.executionArn; send the %q events that Step Functions sends, "+
			"which carry the ARN of the execution as a string", statusChangeEvent)
	}
	if d.Status == sfn.StatusRunning || d.Status == sfn.StatusPendingRedrive {
		return json.Marshal(Result{Skipped: "the execution is " + d.Status})
	}

	input := d.Input
	if input == "" && n.Executions != nil {
		x, err := n.Executions.DescribeExecution(ctx, d.ExecutionARN)
		if err != nil {
			return nil, fmt.Errorf("notifier: read the input of execution %s: %w", d.Name, err)
		}
		input = string(x.Input)
	}
	var doc workflow.Document
	if err := json.Unmarshal([]byte(input), &doc); err != nil {
		return nil, workflow.Invalid("notifier: decode the input of execution %s: the input %s; the EventBridge rule must not drop execution data",
			d.Name, jsonerror.Describe(err))
	}
	var runHistory *history
	if n.Executions != nil {
		runHistory = newHistory(n.Executions, d.ExecutionARN)
	}
	n.releaseReservation(ctx, event, doc, runHistory)
	n.releaseRunItem(ctx, event, doc)
	if doc.Request.Notify == nil || doc.Request.Notify.URL == "" {
		return json.Marshal(Result{Skipped: "the request has no notify URL"})
	}

	note := build(event, doc, n.stoppedRun(ctx, event, runHistory))
	result, err := n.send(ctx, doc.Request.Notify.URL, note)
	if err != nil {
		return nil, err
	}
	log := n.logger().With("execution", note.Execution, "request_id", note.RequestID, "status", note.Status, "http_status", result.StatusCode)
	if !result.Delivered {
		log.Error("notification rejected by receiver")
		return json.Marshal(result)
	}
	log.Info("notification delivered")
	return json.Marshal(result)
}

// stoppedMaxEvents bounds how many of the newest history events
// stoppedRun reads.
const stoppedMaxEvents = 500

// stopped is the state and resources that the history records for a run
// that did not succeed.
type stopped struct {
	// State is the state that the run was in when it stopped, or "" when
	// the cause already names the step or the history names no state.
	State string
	// Resources is $.resources as the last finished state left it, or nil.
	Resources json.RawMessage
}

// stoppedRun reads the newest events of h, the history of a run that did
// not succeed, until the last state entered and the last state output with
// resources. Step Functions leaves both out of the status change event. A
// failed read is logged and leaves them empty, because the notification
// matters more than those fields.
func (n *Notifier) stoppedRun(ctx context.Context, event statusChange, h *history) stopped {
	d := event.Detail
	if d.Status == sfn.StatusSucceeded || h == nil {
		return stopped{}
	}
	var out stopped
	_, _, causeNamesStep := execview.CauseStep(d.Cause)
	stateFound := causeNamesStep
	for i := range stoppedMaxEvents {
		ev, ok, err := h.event(ctx, i)
		if err != nil {
			n.logger().Warn("read execution history failed; the failed step and resources stay unknown", "execution", d.Name, "error", err)
			return out
		}
		if !ok {
			return out
		}
		var details struct {
			Name   string          `json:"name"`
			Output json.RawMessage `json:"output"`
		}
		_ = json.Unmarshal(ev.Details, &details)
		if !stateFound && strings.HasSuffix(ev.Type, "StateEntered") {
			out.State, stateFound = details.Name, true
		}
		if out.Resources == nil {
			out.Resources = execview.Resources(details.Output)
		}
		if stateFound && out.Resources != nil {
			return out
		}
	}
	return out
}

// build returns the notification of a closed execution. run is what the
// history records for a run that did not succeed.
func build(event statusChange, doc workflow.Document, run stopped) Notification {
	d := event.Detail
	var output json.RawMessage
	if d.Output != nil {
		output = json.RawMessage(*d.Output)
	}
	return payload.Build(payload.Run{
		Machine:      machineOf(d.StateMachineARN),
		Name:         d.Name,
		RequestID:    doc.Request.ID,
		Status:       d.Status,
		RedriveCount: d.RedriveCount,
		StartedAt:    time.UnixMilli(d.StartDate),
		StoppedAt:    time.UnixMilli(d.StopDate),
		Output:       output,
		Error:        d.Error,
		Cause:        d.Cause,
		State:        run.State,
		Next:         workflow.NextActionForCause(d.Status, d.Error, d.Cause, nextCommands(event)),
		Resources:    run.Resources,
	})
}

// nextCommands returns the commands that continue a closed execution. The
// webhook starts a changed request of a provision run, and the teardown
// machine removes what it built. A teardown takes its request from the
// provision run, so only a redrive continues it.
func nextCommands(event statusChange) workflow.NextCommands {
	cmds := workflow.NextCommands{
		Redrive: fmt.Sprintf("run 'aws stepfunctions redrive-execution --execution-arn %s'", event.Detail.ExecutionARN),
	}
	if machineOf(event.Detail.StateMachineARN) != payload.MachineTeardown {
		cmds.Rerun = workflow.RerunByWebhook
		cmds.Run = "send the request to the webhook again"
		cmds.Teardown = "start an execution of the teardown state machine with this execution's input"
		if arn := teardownMachineARN(event.Detail.StateMachineARN); arn != "" {
			cmds.Teardown = fmt.Sprintf("run 'aws stepfunctions start-execution --state-machine-arn %s --input file://input.json' "+
				"with this execution's input in input.json", arn)
		}
	}
	return cmds
}

// teardownMachineARN returns the ARN of the teardown machine that the stack
// deploys beside the provision machine arn, PREFIX-teardown beside
// PREFIX-provision, or "" for a provision machine named otherwise.
//
// NOTE: the teardown machine is optional in the stack, so the ARN names a
// machine that does not exist where it was left out.
func teardownMachineARN(arn string) string {
	base, ok := strings.CutSuffix(arn, "-"+payload.MachineProvision)
	if !ok || !strings.Contains(arn, ":stateMachine:") {
		return ""
	}
	return base + "-" + payload.MachineTeardown
}

// machineOf returns the machine of a state machine ARN: teardown for a
// name that ends in -teardown, as the stack names it (PREFIX-teardown), and
// provision for any other name.
func machineOf(arn string) string {
	_, name, _ := strings.Cut(arn, ":stateMachine:")
	if strings.HasSuffix(name, "-"+payload.MachineTeardown) {
		return payload.MachineTeardown
	}
	return payload.MachineProvision
}

// send posts note to target. A 2xx status is delivered. A status that
// another attempt can fix is an error: 429 is Throttled, and 408, 425, 5xx
// and network failures are Transient. Any other status is returned as not
// delivered.
func (n *Notifier) send(ctx context.Context, target string, note any) (Result, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return Result{}, workflow.Invalid("notifier: the request's $.notify.url must be an https:// URL")
	}
	if n.Secret == nil {
		return Result{}, workflow.Invalid("notifier: no signing key is configured; set REPOLINK_WEBHOOK_SECRET_ARN on the notifier function")
	}
	secret, err := n.Secret(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("notifier: read signing key: %w", err)
	}
	if len(secret) == 0 {
		return Result{}, workflow.Invalid("notifier: the signing key is empty; store a value in the secret that REPOLINK_WEBHOOK_SECRET_ARN names")
	}

	body, err := json.Marshal(note)
	if err != nil {
		return Result{}, fmt.Errorf("notifier: encode notification: %w", err)
	}
	code, err := signedpost.Post(ctx, n.client(), target, secret, n.now(), body)
	if err != nil {
		return Result{}, fmt.Errorf("notifier: %w", err)
	}
	if code >= 200 && code < 300 {
		return Result{Delivered: true, StatusCode: code}, nil
	}
	return Result{StatusCode: code}, nil
}

func (n *Notifier) client() *http.Client {
	if n.Client == nil {
		return noredirect.Client(&http.Client{Timeout: DefaultTimeout, Transport: publicaddr.Transport()}, DefaultTimeout)
	}
	return noredirect.Client(n.Client, DefaultTimeout)
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

func (n *Notifier) logger() *slog.Logger {
	if n.Logger != nil {
		return n.Logger
	}
	return slog.New(slog.DiscardHandler)
}
