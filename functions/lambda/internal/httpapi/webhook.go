// Package httpapi serves the request webhook behind an API Gateway HTTP API:
// it verifies repolink's signing contract, deduplicates deliveries by ticket
// in DynamoDB, and starts the provision execution on Step Functions under
// the request's deterministic execution name.
package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/repolink/repolink/functions/lambda/internal/awsenv"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// Deliveries records deliveries by ticket, the replay keys of the
// deliveries that the webhook accepted, and the signed times of each
// ticket's latest accepted and latest claiming delivery. *dynamo.Store
// implements it.
type Deliveries interface {
	Deliver(ctx context.Context, d dynamo.Delivery, start func(ctx context.Context, runs []string) (string, error)) (dynamo.Outcome, error)
	ReserveReplay(ctx context.Context, ticket, replayKey string, until time.Time) (execution string, reserved bool, err error)
	SettleReplay(ctx context.Context, ticket, replayKey, execution string) error
	ReleaseReplay(ctx context.Context, ticket, replayKey string) error
	ClaimSigned(ctx context.Context, ticket, replayKey string, signedAt, until time.Time) (dynamo.SignedClaim, error)
	CheckSigned(ctx context.Context, ticket string, signedAt time.Time) (dynamo.SignedClaim, error)
	RecordSigned(ctx context.Context, ticket string, signedAt time.Time, execution string, until time.Time) error
	ReleaseSigned(ctx context.Context, ticket, replayKey string) error
}

// Executions starts, describes and lists executions, and reads their
// history. *sfn.Client implements it.
type Executions interface {
	StartExecution(ctx context.Context, stateMachineARN, name string, input json.RawMessage) (sfn.Started, error)
	DescribeExecution(ctx context.Context, executionARN string) (sfn.Execution, error)
	ListExecutions(ctx context.Context, stateMachineARN string, opts sfn.ListOptions) ([]sfn.ExecutionSummary, string, error)
	GetExecutionHistory(ctx context.Context, executionARN string, opts sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error)
}

var (
	_ Deliveries = (*dynamo.Store)(nil)
	_ Executions = (*sfn.Client)(nil)
)

// source is the delivery source recorded for repolink's own signed requests.
const source = "request"

// Webhook handles API Gateway HTTP API (payload version 2.0) events.
type Webhook struct {
	// Secret returns the HMAC key. Nil means the key is not configured,
	// and every delivery is rejected.
	Secret func(ctx context.Context) ([]byte, error)
	// Requests are the credential references that requests may use, from
	// awsenv.RequestRefs with the deployment's own secrets. The zero value
	// rejects env: and file: references only.
	Requests secrets.AllowList
	// CodeArtifactDomains are the domains for which requests of auth type
	// codeartifact get tokens. The zero value rejects every such request.
	CodeArtifactDomains workflow.CodeArtifactDomains
	Deliveries          Deliveries
	Executions          Executions
	StateMachineARN     string
	// TeardownMachine is the name of the teardown state machine in the
	// region and account of StateMachineARN, or "" when the stack has
	// none. Deliveries then ignore teardowns.
	TeardownMachine string
	// RunItems is the store of the requests' run items, or nil to find a
	// running teardown by listing the teardown machine's executions alone.
	RunItems RunItems
	// Claims is the store of the names that requests hold in Snowflake
	// accounts, or nil to start a request without checking them.
	Claims Claims
	Now    func() time.Time
	Logger *slog.Logger
}

// ranError reports an execution that runs or already ran the delivered
// request but that the delivery store does not record. Examples are one
// that the Step Functions API started and one that remains after the
// ticket's record expired.
type ranError struct {
	execution string
	// running is true while the execution still runs.
	running bool
}

func (e *ranError) Error() string {
	if e.running {
		return "execution " + e.execution + " already runs this request"
	}
	return "execution " + e.execution + " already ran this request"
}

// maxRuns bounds the run names that one start tries, so that a request ID
// with that many executions fails instead of scanning without end.
const maxRuns = 100

// Handle serves one delivery. Errors become HTTP responses, so it returns
// none: a Lambda error would reach the sender as a bare 500.
func (w *Webhook) Handle(ctx context.Context, event events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	log := w.logger()
	if method := event.RequestContext.HTTP.Method; method != "" && method != http.MethodPost {
		return respond(http.StatusMethodNotAllowed, webhook.Response{Error: "use POST"}), nil
	}
	if w.Secret == nil || w.StateMachineARN == "" || w.Deliveries == nil || w.Executions == nil {
		log.Error("webhook is not configured; set REPOLINK_WEBHOOK_SECRET_ARN, REPOLINK_STATE_MACHINE_ARN and REPOLINK_DYNAMODB_TABLE")
		return respond(http.StatusInternalServerError, webhook.Response{Error: "the webhook is not configured; the function log has the cause"}), nil
	}

	header := http.Header{}
	for name, value := range event.Headers {
		header.Set(name, value)
	}
	// A delivery without both headers is rejected before its body is read.
	if header.Get(webhook.HeaderTimestamp) == "" || header.Get(webhook.HeaderSignature) == "" {
		return w.unauthorized(webhook.VerifyTimestamped(nil, header, nil, w.now())), nil
	}
	body, response, ok := decodeBody(event)
	if !ok {
		log.Warn("webhook delivery rejected", "source", source, "status", response.StatusCode)
		return response, nil
	}

	secret, err := w.Secret(ctx)
	if err != nil || len(secret) == 0 {
		log.Error("read webhook secret failed", "error", err, "empty", err == nil)
		return respond(http.StatusInternalServerError, webhook.Response{Error: "the webhook secret is unavailable; the function log has the cause"}), nil
	}
	if err := webhook.VerifyTimestamped(secret, header, body, w.now()); err != nil {
		return w.unauthorized(err), nil
	}
	// The size is checked after the signature, so that the warning can
	// name the ticket of a body that its sender signed. API Gateway has
	// already read the whole body into the event.
	if len(body) > webhook.MaxRequestBody {
		log.Warn("webhook delivery too large", "source", source, "status", http.StatusRequestEntityTooLarge,
			"ticket", requestID(body), "body_bytes", len(body), "limit_bytes", webhook.MaxRequestBody)
		return respond(http.StatusRequestEntityTooLarge, webhook.Response{
			Error: fmt.Sprintf("body is larger than %d bytes, the limit of a request document", webhook.MaxRequestBody)}), nil
	}

	req, err := request.ParseJSON(body)
	if err != nil {
		return w.invalid(err), nil
	}
	// The steps would reject these routes, references and domains too, but
	// only after the execution has started.
	var fields []request.FieldError
	if unsupported := awsenv.UnsupportedRoute(req); unsupported != nil {
		fields = append(fields, *unsupported)
	}
	fields = append(fields, w.Requests.FieldErrors(req, awsenv.LocalRefFix)...)
	fields = append(fields, w.CodeArtifactDomains.FieldErrors(req)...)
	if len(fields) > 0 {
		return w.invalid(&request.ValidationError{Fields: fields}), nil
	}
	return w.acceptOnce(ctx, req, header, body), nil
}

// replaySettleTimeout bounds settling a delivery's replay record after
// the caller's context has ended.
const replaySettleTimeout = 10 * time.Second

// acceptOnce reserves the replay key of a verified delivery, so that a
// repeat of its exact bytes within the signature's validity starts nothing,
// and then accepts it. The record keeps the execution that the delivery
// started or that its response named. A delivery that started nothing, such as
// one rejected with 409, releases its record, so that its sender can send
// it again. A new delivery signed before the ticket's latest accepted one
// starts nothing and gets 409, so that a delivery rejected while an earlier
// execution ran cannot undo a newer one when it is sent again. The check
// and the claim of the delivery's signed time are one conditional write
// before anything starts, so a delivery that a newer one overtakes gets
// the same 409, also when the newer one has not settled yet.
func (w *Webhook) acceptOnce(ctx context.Context, req request.Request, header http.Header, body []byte) events.APIGatewayV2HTTPResponse {
	log := w.logger().With("source", source, "ticket", req.ID)
	key, until := webhook.RequestReplay(header, body)
	signedAt := webhook.RequestSignedAt(header)
	recorded, reserved, err := w.Deliveries.ReserveReplay(ctx, req.ID, key, until)
	if err != nil {
		log.Error("record replay key failed", "error", err)
		return respond(http.StatusInternalServerError, webhook.Response{Error: "could not record the delivery; the function log has the cause"})
	}
	if !reserved && recorded == "" {
		log.Warn("replayed delivery while the first one is still handled; nothing new started")
		return respond(http.StatusConflict, webhook.Response{Error: "the same signed delivery is still being handled; " +
			"send it again in a few seconds to get the execution that it started, or, if this error repeats, " +
			"sign the request again with the current time in " + webhook.HeaderTimestamp + " and send it again"})
	}
	if !reserved {
		log.Warn("replayed delivery; nothing new started", "execution", recorded)
		return respond(http.StatusOK, webhook.Response{Execution: recorded, Duplicate: true, Reason: w.replayReason(ctx, req.ID, recorded, log)})
	}

	resp, claimed := w.claimSigned(ctx, req.ID, key, signedAt, until, log)
	execution := ""
	if claimed {
		resp, execution = w.accept(ctx, req, signedAt)
	}
	settle, cancel := context.WithTimeout(context.WithoutCancel(ctx), replaySettleTimeout)
	defer cancel()
	if execution == "" {
		if err := w.Deliveries.ReleaseReplay(settle, req.ID, key); err != nil {
			log.Warn("release replay key failed; a repeat of this delivery starts nothing until the key expires", "error", err)
		}
		if !claimed {
			return resp
		}
		if err := w.Deliveries.ReleaseSigned(settle, req.ID, key); err != nil {
			log.Warn("release signed time of the delivery failed; deliveries of the ticket signed earlier get 409 until it expires",
				"error", err)
		}
		return resp
	}
	if err := w.Deliveries.SettleReplay(settle, req.ID, key, execution); err != nil {
		log.Error("record execution of the replay key failed; a repeat of this delivery gets 409 until the key expires",
			"execution", execution, "error", err)
	}
	if err := w.Deliveries.RecordSigned(settle, req.ID, signedAt, execution, until); err != nil {
		log.Error("record signed time of the delivery failed; a delivery of the ticket signed earlier is not rejected as older",
			"execution", execution, "error", err)
	}
	return resp
}

// claimSigned claims the ticket's latest signed time for the delivery
// with the replay key replayKey, signed at signedAt. It returns true when
// the delivery may start its execution. Otherwise it returns the 409
// response for a delivery signed before the ticket's latest accepted or
// claiming one, or a 500 response when the claim fails.
func (w *Webhook) claimSigned(ctx context.Context, ticket, replayKey string, signedAt, until time.Time,
	log *slog.Logger) (events.APIGatewayV2HTTPResponse, bool) {
	claim, err := w.Deliveries.ClaimSigned(ctx, ticket, replayKey, signedAt, until)
	if err != nil {
		log.Error("claim the signed time of the delivery failed", "error", err)
		return respond(http.StatusInternalServerError, webhook.Response{Error: "could not record the delivery; the function log has the cause"}), false
	}
	if claim.Claimed {
		return events.APIGatewayV2HTTPResponse{}, true
	}
	return w.rejectStale(staleError(ticket, signedAt, claim), log), false
}

// checkSigned returns a *webhook.StaleDeliveryError when a delivery of
// ticket signed after signedAt has claimed the ticket since this delivery
// did. The run start calls it last before StartExecution, so that an older
// delivery that a newer one overtook while it read the ticket's runs starts
// nothing.
//
// NOTE: Step Functions has no conditional start, so a newer delivery that
// claims the ticket after this read can still start first. Both then start
// the same run name, and the second start fails with
// ExecutionAlreadyExists unless the first execution has closed by then.
func (w *Webhook) checkSigned(ctx context.Context, ticket string, signedAt time.Time) error {
	claim, err := w.Deliveries.CheckSigned(ctx, ticket, signedAt)
	if err != nil {
		return err
	}
	if claim.Claimed {
		return nil
	}
	return staleError(ticket, signedAt, claim)
}

func staleError(ticket string, signedAt time.Time, claim dynamo.SignedClaim) *webhook.StaleDeliveryError {
	return &webhook.StaleDeliveryError{Ticket: ticket, SignedAt: signedAt, LatestSignedAt: claim.LatestSignedAt,
		Execution: claim.Execution}
}

// rejectStale logs stale and returns its 409 response. Execution is ""
// while the newer delivery has not settled.
func (w *Webhook) rejectStale(stale *webhook.StaleDeliveryError, log *slog.Logger) events.APIGatewayV2HTTPResponse {
	log.Warn("delivery signed before the ticket's latest accepted or claiming delivery; nothing new started",
		"blocking_execution", stale.Execution, "signed_at", stale.SignedAt.UTC(), "latest_signed_at", stale.LatestSignedAt.UTC())
	return respond(http.StatusConflict, webhook.RejectedResponse(stale.Execution, webhook.StaleDeliveryReason(stale), false))
}

// decodeBody returns the raw body, or the response for a body that is not
// valid base64.
func decodeBody(event events.APIGatewayV2HTTPRequest) ([]byte, events.APIGatewayV2HTTPResponse, bool) {
	body := []byte(event.Body)
	if event.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(event.Body)
		if err != nil {
			return nil, respond(http.StatusBadRequest, webhook.Response{Error: "the body is not valid base64"}), false
		}
		body = decoded
	}
	return body, events.APIGatewayV2HTTPResponse{}, true
}

// maxLoggedID bounds the request ID that a log record repeats from a body
// that is too large to parse as a request.
const maxLoggedID = 200

// requestID returns the top-level "id" of a JSON body, cut to maxLoggedID
// bytes, or "" when it has none.
func requestID(body []byte) string {
	var doc struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	if len(doc.ID) > maxLoggedID {
		return doc.ID[:maxLoggedID]
	}
	return doc.ID
}

// accept records a verified, valid delivery and starts its execution unless
// the ticket already started this request. A changed request of a ticket
// whose executions have closed starts the next run, as repolink run does.
//
// While a teardown of the request runs, the delivery is a conflict that
// names the teardown. After a teardown, the request starts a new provision
// run once per teardown, because the caller asks for a repository that no
// longer exists.
//
// It also returns the execution that the response names as the delivery's
// own, started or found, or "" when the delivery started nothing.
//
// NOTE: a teardown that has not taken the request's run item when the
// teardowns are read, or that starts after that read, is not seen here.
// The first task of whichever execution checks second then fails with
// Conflict.
func (w *Webhook) accept(ctx context.Context, req request.Request, signedAt time.Time) (events.APIGatewayV2HTTPResponse, string) {
	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		w.logger().Error("encode execution input failed", "ticket", req.ID, "error", err)
		return respond(http.StatusInternalServerError, webhook.Response{Error: "could not encode the request"}), ""
	}
	canonical, err := json.Marshal(req)
	if err != nil {
		w.logger().Error("encode request failed", "ticket", req.ID, "error", err)
		return respond(http.StatusInternalServerError, webhook.Response{Error: "could not encode the request"}), ""
	}
	log := w.logger().With("source", source, "ticket", req.ID)

	torn, err := w.latestTeardown(ctx, req.ID)
	if err != nil {
		log.Error("read teardowns of the request failed", "error", err)
		return respond(http.StatusInternalServerError, webhook.Response{
			Error: "could not read the teardowns of the request; the function log has the cause"}), ""
	}
	if torn != nil && isOpen(torn.status) {
		running := &webhook.RunningError{Ticket: req.ID, Execution: torn.name, Teardown: true}
		log.Warn("delivery while a teardown of the ticket runs; nothing new started", "teardown", torn.name)
		return respond(http.StatusConflict, webhook.RejectedResponse(torn.name, webhook.ChangedRequestReason(running), false)), ""
	}

	// A request that an earlier run of the ticket ran, but not the latest
	// one, starts the next run, as POST /v1/requests of repolink up does.
	delivery := dynamo.Delivery{Ticket: req.ID, RequestHash: requestHash(canonical, torn), Source: source,
		ReceivedAt: w.now(), RerunEarlier: true}
	start := func(ctx context.Context, runs []string) (string, error) {
		return w.startRun(ctx, req, canonical, input, runs, torn, signedAt, log)
	}
	out, err := w.Deliveries.Deliver(ctx, delivery, start)
	if err == nil && out.Kind == dynamo.Duplicate && out.Latest == "" {
		// The record's latest run ran this request, but the Step Functions
		// API may have started a later run of another request since. Then
		// this request is an earlier one, which starts the next run.
		delivery.Latest, err = w.laterRun(ctx, req.ID, out.Execution)
		if err == nil && delivery.Latest != "" {
			out, err = w.Deliveries.Deliver(ctx, delivery, start)
		}
	}

	var ran *ranError
	var running *webhook.RunningError
	var conflicting *webhook.ConflictError
	var stale *webhook.StaleDeliveryError
	switch {
	case errors.As(err, &ran):
		reason := fmt.Sprintf("%v; redrive it if it failed, or change the request to start a new execution", ran)
		if ran.running {
			reason = fmt.Sprintf("%v; send a changed request after it closes to start a new execution", ran)
		} else if x, found := w.describeRun(ctx, ran.execution, log); found {
			if advice := webhook.StoppedRunAdvice(ran.execution, w.runStatus(ctx, x, log), false); advice != "" {
				reason = fmt.Sprintf("%v; %s", ran, advice)
			}
		}
		log.Warn("request runs or ran in an execution that the delivery store does not record; nothing new started", "execution", ran.execution)
		return respond(http.StatusOK, webhook.Response{Execution: ran.execution, Duplicate: true, Reason: reason}), ran.execution
	case errors.As(err, &running):
		log.Warn("changed request while an execution of the ticket runs; nothing new started", "execution", running.Execution)
		return respond(http.StatusConflict, webhook.RejectedResponse(running.Execution, webhook.ChangedRequestReason(running), false)), ""
	case errors.As(err, &conflicting):
		log.Warn("request conflicts with an earlier execution; nothing new started", "blocking_execution", conflicting.Execution)
		return respond(http.StatusConflict, webhook.RejectedResponse(conflicting.Execution, conflicting.Error(), false)), ""
	case errors.As(err, &stale):
		return w.rejectStale(stale, log), ""
	case err != nil:
		log.Error("start execution failed", "error", err)
		return respond(http.StatusInternalServerError, webhook.Response{Error: "could not start the execution; the function log has the cause"}), ""
	}

	log = log.With("execution", out.Execution)
	switch {
	case out.Kind == dynamo.Started:
		return respond(http.StatusAccepted, webhook.Response{Execution: out.Execution, Status: sfn.StatusRunning}), out.Execution
	default:
		log.Info("duplicate delivery; nothing new started")
		x, _ := w.describeRun(ctx, out.Execution, log)
		return respond(http.StatusOK, webhook.Response{Execution: out.Execution, Duplicate: true,
			Reason: webhook.StoppedRunAdvice(out.Execution, w.runStatus(ctx, x, log), false)}), out.Execution
	}
}

// replayReason returns webhook.ReplayReason for a replay of a delivery of
// the request with ID id whose response named execution. A new delivery
// starts an execution when a teardown of the request closed after
// execution started.
func (w *Webhook) replayReason(ctx context.Context, id, execution string, log *slog.Logger) string {
	x, found := w.describeRun(ctx, execution, log)
	newStarts := false
	if found {
		torn, err := w.latestTeardown(ctx, id)
		if err != nil {
			log.Warn("read teardowns of the request failed; the replay reason leaves them out", "error", err)
		} else if torn != nil && !isOpen(torn.status) && torn.startDate.After(x.StartDate) {
			newStarts = true
		}
	}
	return webhook.ReplayReason(execution, w.runStatus(ctx, x, log), newStarts)
}

// runStatus returns the status of the described provision execution x,
// with the error name and failed step of one that closed without success.
// The failed step is the step that the cause starts with, as the steps write
// it, or else the step of the last state entered, as status shows it. A
// failed history read is logged and leaves the step empty, which gives the
// general advice.
func (w *Webhook) runStatus(ctx context.Context, x sfn.Execution, log *slog.Logger) webhook.ExecutionStatus {
	run := webhook.ExecutionStatus{Status: x.Status}
	if x.Status == "" || x.Status == sfn.StatusRunning || x.Status == sfn.StatusSucceeded {
		return run
	}
	run.Error = x.Error
	if step, _, ok := execview.CauseStep(x.Cause); ok {
		run.FailedStep = step
		return run
	}
	state, err := w.lastStateEntered(ctx, x.ARN)
	if err != nil {
		log.Warn("read execution history failed; the response reason leaves out the failed step", "execution", x.Name, "error", err)
		return run
	}
	run.FailedStep, _ = execview.StoppedStep(execview.Provision, state, x.Cause)
	return run
}

// lastStateEntered returns the name of the last state that the execution
// executionARN entered, or "" when its history has none.
func (w *Webhook) lastStateEntered(ctx context.Context, executionARN string) (string, error) {
	opts := sfn.HistoryOptions{MaxResults: 100, ReverseOrder: true}
	for {
		events, next, err := w.Executions.GetExecutionHistory(ctx, executionARN, opts)
		if err != nil {
			return "", fmt.Errorf("read history of %s: %w", executionARN, err)
		}
		for _, ev := range events {
			if !strings.HasSuffix(ev.Type, "StateEntered") {
				continue
			}
			var details struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(ev.Details, &details) == nil {
				return details.Name, nil
			}
		}
		if next == "" {
			return "", nil
		}
		opts.NextToken = next
	}
}

// describeRun describes the provision execution name. It returns false,
// and logs the error, when it cannot.
func (w *Webhook) describeRun(ctx context.Context, name string, log *slog.Logger) (sfn.Execution, bool) {
	x, err := w.Executions.DescribeExecution(ctx, sfn.ExecutionARN(w.StateMachineARN, name))
	if err != nil {
		log.Warn("describe execution failed; the response reason leaves out its status", "execution", name, "error", err)
		return sfn.Execution{}, false
	}
	return x, true
}

// requestHash returns the hash that identifies a delivery's request in the
// ticket's record, from the request's canonical JSON. After a teardown of
// the request, the hash also covers the teardown's name, so that the
// request is new to the ticket once per teardown.
func requestHash(canonical []byte, torn *teardown) string {
	h := sha256.New()
	h.Write(canonical)
	if torn != nil {
		h.Write([]byte("\x00after teardown " + torn.name))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// startRun starts the provision execution of req under the first unused
// run name of its ID (ID, ID-r2, ID-r3, ...) above the highest of the
// ticket's known runs, and returns the name. A known run that still runs is
// a *webhook.RunningError, or its name when it runs the same request.
// Before each start it takes the names that the request claims in its
// Snowflake account (takeClaims), so a request whose objects or endpoint
// host another request ID holds gets a *webhook.ConflictError, and nothing
// starts.
//
// Names at or below the highest known run are never started again, because
// Step Functions accepts a name again once its closed execution has left
// the execution history, 90 days after closing by default (Step Functions
// Developer Guide, "Execution guarantees").
//
// The loop also handles names that are still in the Step Functions
// execution history but not in the ticket's record, such as runs that the
// Step Functions API started (checkUnknownRun). It passes over executions
// of other request IDs, whose names can look like run names. An execution
// of the ID that still runs another request is a *webhook.RunningError. One
// that runs or ran the same request is a *ranError, so the delivery is its
// duplicate. That does not apply if it closed before torn, the request's
// latest teardown, because torn removed what it built.
//
// NOTE: the ticket's record outlives the executions' history only with the
// default retention. With a shorter one, known is empty once the record
// expired, and the loop starts at ID again.
func (w *Webhook) startRun(ctx context.Context, req request.Request, canonical, input []byte, known []string, torn *teardown,
	signedAt time.Time, log *slog.Logger) (string, error) {
	base := request.ExecutionName(req.ID)
	if name, err := w.checkKnownRuns(ctx, req, canonical, known, torn); name != "" || err != nil {
		return name, err
	}

	for n := nextRunNumber(base, known); n <= maxRuns; n++ {
		name := request.RunName(base, n)
		// An execution under the name that the Step Functions API started
		// is read first, because a start with the same input would return
		// it as if the webhook had started it.
		if exists, err := w.checkUnknownRun(ctx, req, canonical, name, torn); exists || err != nil {
			if err != nil {
				return "", err
			}
			continue
		}
		taken, err := w.takeClaims(ctx, req, name, torn, log)
		if err != nil {
			return "", err
		}
		if err := w.checkSigned(ctx, req.ID, signedAt); err != nil {
			w.releaseClaims(ctx, taken, log)
			return "", err
		}
		started, err := w.Executions.StartExecution(ctx, w.StateMachineARN, name, input)
		if err == nil {
			log.Info("execution started by webhook", "execution", name, "execution_arn", started.ARN)
			w.markClaimsStarted(ctx, req, name, taken, log)
			return name, nil
		}
		if !errors.Is(err, sfn.ErrExecutionAlreadyExists) {
			if startRejected(err) {
				w.releaseClaims(ctx, taken, log)
			}
			return "", err
		}
		if _, err := w.checkUnknownRun(ctx, req, canonical, name, torn); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("request %s already has %d executions; start it under a new request ID", req.ID, maxRuns)
}

// laterRun returns the latest execution of request ID id under a run name
// above recorded, such as one that the Step Functions API started, or ""
// when the next run name is free. Executions of other request IDs under
// those names are passed over.
func (w *Webhook) laterRun(ctx context.Context, id, recorded string) (string, error) {
	runs, err := w.laterRuns(ctx, id, recorded)
	if err != nil || len(runs) == 0 {
		return "", err
	}
	return runs[len(runs)-1].name, nil
}

// requestRun is an execution of a request under one of its run names.
type requestRun struct {
	name      string
	execution sfn.Execution
	request   request.Request
}

// laterRuns describes the executions of request ID id under the run names
// above recorded, in run order, up to the first free name or maxRuns.
// Executions of other request IDs under those names are passed over, and
// there are none when recorded is no run name of the request.
func (w *Webhook) laterRuns(ctx context.Context, id, recorded string) ([]requestRun, error) {
	base := request.ExecutionName(id)
	first := request.RunNumber(base, recorded)
	if first == 0 {
		return nil, nil
	}
	var runs []requestRun
	for n := first + 1; n <= maxRuns; n++ {
		name := request.RunName(base, n)
		x, err := w.Executions.DescribeExecution(ctx, sfn.ExecutionARN(w.StateMachineARN, name))
		if errors.Is(err, sfn.ErrExecutionNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("describe execution %s of request %s: %w", name, id, err)
		}
		var doc workflow.Document
		if json.Unmarshal(x.Input, &doc) == nil && doc.Request.ID == id {
			runs = append(runs, requestRun{name: name, execution: x, request: doc.Request})
		}
	}
	return runs, nil
}

// checkUnknownRun describes the execution name, which the ticket's record
// does not list, and reports whether it exists. An execution of req's ID
// that runs or ran req itself is a *ranError, unless it closed before torn
// started. Here torn is the request's latest teardown. One that still runs
// another request is a *webhook.RunningError. Executions of other request
// IDs and closed ones of other requests are passed over.
func (w *Webhook) checkUnknownRun(ctx context.Context, req request.Request, canonical []byte, name string, torn *teardown) (bool, error) {
	x, err := w.Executions.DescribeExecution(ctx, sfn.ExecutionARN(w.StateMachineARN, name))
	if errors.Is(err, sfn.ErrExecutionNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var doc workflow.Document
	if json.Unmarshal(x.Input, &doc) != nil || doc.Request.ID != req.ID {
		return true, nil
	}
	ranBefore := torn != nil && !isOpen(x.Status) && x.StartDate.Before(torn.startDate)
	if ran, err := json.Marshal(doc.Request); err == nil && bytes.Equal(ran, canonical) && !ranBefore {
		return true, &ranError{execution: name, running: isOpen(x.Status)}
	}
	if isOpen(x.Status) {
		return true, &webhook.RunningError{Ticket: req.ID, Execution: name}
	}
	return true, nil
}

// checkKnownRuns describes the ticket's known runs. An open run of another
// request gives a *webhook.RunningError, and an open run of req itself gives
// its name. A closed run that req changes the route or an account or
// region of gives a *webhook.ConflictError when checkPlacement finds that
// its resources may exist. It returns "" and nil when
// every known run has closed or left the execution history.
func (w *Webhook) checkKnownRuns(ctx context.Context, req request.Request, canonical []byte, known []string, torn *teardown) (string, error) {
	base := request.ExecutionName(req.ID)
	latest := nextRunNumber(base, known) - 1
	for _, name := range known {
		x, err := w.Executions.DescribeExecution(ctx, sfn.ExecutionARN(w.StateMachineARN, name))
		if errors.Is(err, sfn.ErrExecutionNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if !isOpen(x.Status) {
			followed := request.RunNumber(base, name) < latest
			if err := w.checkPlacement(ctx, req, name, x, followed, torn); err != nil {
				return "", err
			}
			continue
		}
		var doc workflow.Document
		if json.Unmarshal(x.Input, &doc) == nil {
			if ran, err := json.Marshal(doc.Request); err == nil && bytes.Equal(ran, canonical) {
				return name, nil
			}
		}
		return "", &webhook.RunningError{Ticket: req.ID, Execution: name}
	}
	return "", nil
}

// checkPlacement returns a *webhook.ConflictError when req changes the
// route, an account or a region of the closed execution x, named name,
// whose resources may exist. They may exist when x succeeded, or when it
// failed, timed out or was aborted once a building step had started (see
// builtBeforeStop). A succeeded teardown that
// started after x, torn being the latest, clears x. A run of req would
// leave what x built behind, because a teardown removes only what the
// latest run built.
//
// The reason offers a redrive of a stopped x only when followed is false,
// meaning no later run of the ticket is known, and no teardown started
// after x. A redrive would finish the request of x over what the later run
// or the teardown left.
func (w *Webhook) checkPlacement(ctx context.Context, req request.Request, name string, x sfn.Execution, followed bool, torn *teardown) error {
	var doc workflow.Document
	if json.Unmarshal(x.Input, &doc) != nil || doc.Request.ID != req.ID {
		return nil
	}
	if torn != nil && torn.status == sfn.StatusSucceeded && x.StartDate.Before(torn.startDate) {
		return nil
	}
	changed := request.ChangedPlacement(doc.Request, req)
	if len(changed) == 0 {
		return nil
	}
	change := webhook.PlacementChange{Earlier: doc.Request, Later: req, Fields: changed, Execution: name, Status: x.Status}
	if x.Status != sfn.StatusSucceeded {
		built, endpoint, err := w.builtBeforeStop(ctx, sfn.ExecutionARN(w.StateMachineARN, name))
		if err != nil || !built {
			return err
		}
		teardownStarted := torn != nil && x.StartDate.Before(torn.startDate)
		change.Stopped = true
		change.Redrive = !followed && !teardownStarted
		change.NoEndpoint = !endpoint
	}
	return change.Conflict()
}

// builtBeforeStop reports whether the execution executionARN, which
// stopped before it succeeded, may have left resources (see
// workflow.MayHaveBuilt), and whether one of them may be a Snowflake
// private endpoint (see webhook.MayHaveEndpoint). It reads the history
// newest first, page by page, until it finds a $.resources output or the
// last Task state entered, whose input has the resources recorded before
// it.
func (w *Webhook) builtBeforeStop(ctx context.Context, executionARN string) (built, endpoint bool, err error) {
	opts := sfn.HistoryOptions{MaxResults: 1000, ReverseOrder: true}
	for {
		events, next, err := w.Executions.GetExecutionHistory(ctx, executionARN, opts)
		if err != nil {
			return false, false, fmt.Errorf("read history of %s: %w", executionARN, err)
		}
		for _, ev := range events {
			var details struct {
				Name   string          `json:"name"`
				Input  json.RawMessage `json:"input"`
				Output json.RawMessage `json:"output"`
			}
			if json.Unmarshal(ev.Details, &details) != nil {
				continue
			}
			if ev.Type == "TaskStateEntered" {
				resources := execview.Resources(details.Input)
				return workflow.MayHaveBuilt(details.Name, resources), webhook.MayHaveEndpoint(details.Name, resources), nil
			}
			if resources := execview.Resources(details.Output); workflow.BuiltAny(resources) {
				return true, webhook.MayHaveEndpoint("", resources), nil
			}
		}
		if next == "" {
			return false, false, nil
		}
		opts.NextToken = next
	}
}

// nextRunNumber returns the run number after the highest run of base among
// known, or 1 when known has none. Names of other bases are skipped.
func nextRunNumber(base string, known []string) int {
	highest := 0
	for _, name := range known {
		highest = max(highest, request.RunNumber(base, name))
	}
	return highest + 1
}

// isOpen reports whether an execution status is one that can still change
// resources.
func isOpen(status string) bool {
	return status == sfn.StatusRunning || status == sfn.StatusPendingRedrive
}

func (w *Webhook) unauthorized(err error) events.APIGatewayV2HTTPResponse {
	w.logger().Warn("webhook delivery rejected", "source", source, "status", http.StatusUnauthorized, "error", err)
	return respond(http.StatusUnauthorized, webhook.Response{Error: err.Error()})
}

func (w *Webhook) invalid(err error) events.APIGatewayV2HTTPResponse {
	var invalid *request.ValidationError
	if !errors.As(err, &invalid) {
		invalid = &request.ValidationError{Fields: []request.FieldError{{Path: "$", Message: err.Error()}}}
	}
	w.logger().Warn("webhook delivery rejected", "source", source, "status", http.StatusBadRequest, "field_errors", len(invalid.Fields))
	return respond(http.StatusBadRequest, webhook.Response{Error: "invalid request", Errors: invalid.Fields})
}

func (w *Webhook) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Webhook) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func respond(status int, body webhook.Response) events.APIGatewayV2HTTPResponse {
	data, _ := json.Marshal(body)
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(data),
	}
}
