// Package notifier posts the result of a run to the request's notify URL,
// signed with repolink's contract: X-Repolink-Timestamp and
// X-Repolink-Signature, the HMAC-SHA256 of "<timestamp>.<body>" keyed with
// the webhook secret.
package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// DefaultTimeout bounds one notification POST when the client sets none.
const DefaultTimeout = 10 * time.Second

// Execution statuses that a notification reports.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
)

// statusChangeEvent is the EventBridge detail type that Step Functions sends
// when an execution changes status.
const statusChangeEvent = "Step Functions Execution Status Change"

// Notification is the JSON body posted to the notify URL.
type Notification struct {
	// ID is the request ID, the ticket key.
	ID        string `json:"id"`
	Execution string `json:"execution,omitempty"`
	// Status is SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
	Status string `json:"status"`
	// Error and Cause explain a failed run: the ASL error name and its
	// message.
	Error     string              `json:"error,omitempty"`
	Cause     string              `json:"cause,omitempty"`
	Resources *workflow.Resources `json:"resources,omitempty"`
}

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
	// Client sends the POST. Nil means a client with DefaultTimeout.
	Client *http.Client
	// Now is time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Handle reads a run's outcome and posts it to the request's notify URL. It
// accepts a task input, {"request", "resources", "execution", "status",
// "failure": {"Error", "Cause"}}, or an EventBridge execution status change
// event of the provision state machine. A request without a notify URL
// sends nothing.
func (n *Notifier) Handle(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
	note, target, err := decode(payload)
	if err != nil {
		return nil, err
	}
	if target == "" {
		return json.Marshal(Result{Skipped: "the request has no notify URL"})
	}
	result, err := n.send(ctx, target, note)
	if err != nil {
		return nil, err
	}
	n.logger().Info("notification sent", "ticket", note.ID, "execution", note.Execution, "status", note.Status, "http_status", result.StatusCode)
	return json.Marshal(result)
}

// taskInput is the payload of a Task state that notifies.
type taskInput struct {
	Request   request.Request    `json:"request"`
	Resources workflow.Resources `json:"resources"`
	Execution string             `json:"execution"`
	Status    string             `json:"status"`
	Failure   *struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"failure"`
}

// statusChange is the part of an EventBridge execution status change event
// that a notification needs. Input and Output are JSON text.
type statusChange struct {
	DetailType string `json:"detail-type"`
	Detail     struct {
		Name   string  `json:"name"`
		Status string  `json:"status"`
		Input  string  `json:"input"`
		Output *string `json:"output"`
		Error  string  `json:"error"`
		Cause  string  `json:"cause"`
	} `json:"detail"`
}

// decode returns the notification and the URL to post it to.
func decode(payload json.RawMessage) (Notification, string, error) {
	var event statusChange
	if json.Unmarshal(payload, &event) == nil {
		switch event.DetailType {
		case "":
		case statusChangeEvent:
			return decodeStatusChange(event)
		default:
			return Notification{}, "", workflow.Invalid("notifier: unsupported event type %q; send %q events", event.DetailType, statusChangeEvent)
		}
	}

	var in taskInput
	if err := json.Unmarshal(payload, &in); err != nil {
		return Notification{}, "", workflow.Invalid("notifier: decode task input: %v", err)
	}
	note := Notification{ID: in.Request.ID, Execution: in.Execution, Status: in.Status, Resources: &in.Resources}
	if in.Failure != nil {
		note.Error, note.Cause = in.Failure.Error, in.Failure.Cause
	}
	if note.Status == "" {
		note.Status = StatusSucceeded
		if in.Failure != nil {
			note.Status = StatusFailed
		}
	}
	return note, notifyURL(in.Request), nil
}

func decodeStatusChange(event statusChange) (Notification, string, error) {
	d := event.Detail
	var doc workflow.Document
	if err := json.Unmarshal([]byte(d.Input), &doc); err != nil {
		return Notification{}, "", workflow.Invalid("notifier: decode the input of execution %s: %v", d.Name, err)
	}
	note := Notification{ID: doc.Request.ID, Execution: d.Name, Status: d.Status, Error: d.Error, Cause: d.Cause}
	// A succeeded execution's output is the final document with every
	// step's result; other statuses have no output.
	if d.Output != nil {
		var final workflow.Document
		if err := json.Unmarshal([]byte(*d.Output), &final); err == nil {
			note.Resources = &final.Resources
		}
	}
	return note, notifyURL(doc.Request), nil
}

func notifyURL(req request.Request) string {
	if req.Notify == nil {
		return ""
	}
	return req.Notify.URL
}

// send posts note to target and classifies the outcome for the state
// machine: 429 is Throttled, 408 and 5xx and network failures are
// Transient, any other non-2xx status is Rejected.
func (n *Notifier) send(ctx context.Context, target string, note Notification) (Result, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return Result{}, workflow.Invalid("notifier: the request's notify.url must be an https:// URL")
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Result{}, workflow.Invalid("notifier: the request's notify.url is invalid: %v", redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	webhook.SetSignature(req.Header, secret, n.now(), body)

	resp, err := n.client().Do(req)
	if err != nil {
		return Result{}, workflow.Errorf(workflow.ErrTransient, "notifier: post to %s: %v", u.Host, redact(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))

	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return Result{Delivered: true, StatusCode: code}, nil
	case code == http.StatusTooManyRequests:
		return Result{}, workflow.Errorf(workflow.ErrThrottled, "notifier: %s returned HTTP %d; the state machine retries later", u.Host, code)
	case code == http.StatusRequestTimeout || code >= 500:
		return Result{}, workflow.Errorf(workflow.ErrTransient, "notifier: %s returned HTTP %d", u.Host, code)
	default:
		return Result{}, workflow.Errorf(workflow.ErrRejected, "notifier: %s returned HTTP %d; check that the receiver accepts repolink's signature with the shared webhook secret", u.Host, code)
	}
}

// redact returns err without the URL that *url.Error repeats, because a
// notify URL may carry a token in its query. Messages name the host only.
func redact(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}

func (n *Notifier) client() *http.Client {
	if n.Client != nil {
		return n.Client
	}
	return &http.Client{Timeout: DefaultTimeout}
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
