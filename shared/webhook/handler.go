// Package webhook receives provisioning requests over HTTP: repolink's own
// signed request endpoint and ticket-system adapters (Jira, ServiceNow) that
// map ticket fields to a request. Every delivery is authenticated before it
// is read, deduplicated by ticket in a Store, and gets its response without
// waiting for the execution to run.
package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/storehealth"
	"github.com/repolink/repolink/shared/workflow"
)

// MaxRequestBody is the largest body of POST /v1/requests, in bytes, and a
// larger one gets 413. That body is the request document itself, so it has
// the request's limit.
const MaxRequestBody = request.MaxSize

// MaxDelivery is the largest ticket-system delivery accepted, in bytes, and
// a larger one gets 413. Jira and ServiceNow send the whole issue or record,
// with its fields, comments and changelog, which often exceeds
// request.MaxSize, although the request mapped from it must not. 1 MiB also
// fits behind API Gateway and Lambda, whose quotas are 10 MB for an HTTP
// API payload and 6 MB for a synchronous invocation, even after base64
// encoding of a binary body adds a third.
const MaxDelivery = 1 << 20

// maxLoggedHeader bounds a header value copied into a log record, because
// a rejected delivery is not authenticated.
const maxLoggedHeader = 200

// startTimeout bounds recording a delivery and starting its execution, which
// goes on even when the sender hangs up, so that a started execution is
// always recorded.
const startTimeout = 30 * time.Second

// Executions starts and reads the executions that deliveries ask for.
type Executions interface {
	// Start starts the execution of a validated request and returns its
	// name. While an execution of the same request runs, such as one that
	// the Step Functions API started, or when the ID's latest execution
	// ran the same request and has closed, Start starts nothing and
	// returns an *ExistingError that names it. When the request's ID has closed
	// executions of other requests, Start begins a new execution
	// under the next free run name, as repolink run does for a changed
	// request file. A *RunningError means that an execution of the ID is
	// still running with another request. A *ConflictError means that
	// the request conflicts with an earlier execution of the ID, or of
	// another ID that names the same Snowflake objects, in a way that
	// waiting does not resolve. A *request.ValidationError
	// means that this service cannot run the request as given.
	Start(ctx context.Context, req request.Request) (string, error)
	// Status returns the status of an execution, such as RUNNING, and for
	// one that closed without success its error name and failed step.
	Status(ctx context.Context, name string) (ExecutionStatus, error)
	// Teardown returns the name and status of the latest teardown of the
	// request with ID requestID, or two empty strings when it has none.
	// With after set, only a teardown that started after the execution
	// named after counts.
	Teardown(ctx context.Context, requestID, after string) (name, status string, err error)
	// Latest returns the name of the latest provision execution of req.ID,
	// however it started, or "" when the ID has none, and whether that
	// execution ran req. A running execution counts as the latest, as it
	// does for Start.
	Latest(ctx context.Context, req request.Request) (name string, sameRequest bool, err error)
}

// ExecutionStatus is the status of an execution and, when it closed
// without success, where and why it stopped.
type ExecutionStatus struct {
	// Status is the Step Functions status, such as RUNNING or FAILED.
	Status string
	// Error is the ASL error name with which the execution closed, such as
	// InvalidRequest, or "" when it recorded none.
	Error string
	// FailedStep is the task name of the step that the execution stopped
	// in without success, such as preflight, from the step name at the
	// start of its cause or else its current state. It is "" when neither
	// names a step.
	FailedStep string
}

// preflightStep is the task name of workflow.PreflightState, the provision
// machine's first step, which checks the request and builds nothing.
const preflightStep = "preflight"

// stoppedBeforeBuilding reports whether the execution closed without
// success in preflight, before any step that builds, so it built nothing
// and a teardown has nothing of it to remove.
func (x ExecutionStatus) stoppedBeforeBuilding() bool {
	return closedWithoutSuccess(x.Status) && x.FailedStep == preflightStep
}

// rejected reports whether preflight rejected the execution's request
// with InvalidRequest. A redrive reruns the same checks on the same
// request, so it fails the same way.
func (x ExecutionStatus) rejected() bool {
	return x.stoppedBeforeBuilding() && x.Error == workflow.ErrInvalidRequest
}

// RunningError reports that a teardown of a ticket's request, or a
// provision execution of another request of the ticket, is still running.
// A new execution would work on the same resources at the same time.
type RunningError struct {
	Ticket    string
	Execution string
	// Teardown is true when Execution is a teardown of the request.
	Teardown bool
}

func (e *RunningError) Error() string {
	if e.Teardown {
		return fmt.Sprintf("teardown %s of request %s is still running", e.Execution, e.Ticket)
	}
	return fmt.Sprintf("execution %s of request %s is still running with a different request", e.Execution, e.Ticket)
}

// ExistingError reports that Start found an execution of the same request,
// running or the ticket's latest, and started nothing. The handler records Execution as
// the ticket's execution of the request and responds 200, as to a
// duplicate delivery.
type ExistingError struct {
	Ticket    string
	Execution string
}

func (e *ExistingError) Error() string {
	return fmt.Sprintf("execution %s runs or last ran request %s", e.Execution, e.Ticket)
}

// ConflictError reports that a request must not start because of an
// earlier execution, such as one of its ticket with another route, or one
// of another ticket that names the same Snowflake objects, while the
// resources of that execution exist. Execution names that execution, and
// Reason contains what to do.
type ConflictError struct {
	Ticket    string
	Execution string
	Reason    string
	// OtherID reports that a request with another ID would not conflict,
	// such as one that changes the route of the earlier execution. The
	// reason then ends with how to get another ID: a new id for a signed
	// request, or a new ticket for a ticket adapter, because the ticket key
	// is the request ID.
	OtherID bool
	// NewIDChanges are the fields, from request.NewIDChanges, that a
	// request with another ID must change too.
	NewIDChanges []string
}

func (e *ConflictError) Error() string { return e.reason(false) }

// reason returns Reason with the advice for OtherID that suits a ticket
// adapter (ticket true) or a signed request.
func (e *ConflictError) reason(ticket bool) string {
	switch {
	case !e.OtherID:
		return e.Reason
	case ticket:
		return e.Reason + ", or open a new ticket for the changed request" + request.NewIDAdvice(e.NewIDChanges) +
			". The request ID comes from the ticket and cannot change"
	}
	return e.Reason + ", or give this request a new id" + request.NewIDAdvice(e.NewIDChanges)
}

// statusRunning is the status of a running execution.
const statusRunning = "RUNNING"

// statusSucceeded is the status of an execution that succeeded.
const statusSucceeded = "SUCCEEDED"

// StatusRejected is the Response.Status of a delivery that conflicts with
// another execution and started nothing.
const StatusRejected = "REJECTED"

// StatusTornDown is the Response.Status of a ticket delivery whose request
// a succeeded teardown removed after the ticket ran it. The response names
// that run under Execution and the teardown under Teardown.
const StatusTornDown = "TORN_DOWN"

// StatusTeardownFailed is the Response.Status of a ticket delivery whose
// request a teardown that failed, timed out or was stopped tried to remove,
// so some of what the run built may still exist. TeardownStatus has the
// teardown's own status.
const StatusTeardownFailed = "TEARDOWN_FAILED"

// StatusSuperseded is the Response.Status of a ticket delivery of a request
// that the ticket ran before its latest execution ran a later request. The
// response names the run of the delivered request under Execution and the
// latest execution under LatestExecution.
const StatusSuperseded = "SUPERSEDED"

// Config configures a Handler.
type Config struct {
	// Secret signs deliveries to POST /v1/requests. It must not be empty.
	Secret     []byte
	Executions Executions
	// Store deduplicates deliveries by ticket.
	Store  Store
	Logger *slog.Logger
	// Now is the clock for signature timestamps; nil means time.Now.
	Now func() time.Time
	// Sources are the ticket-system adapters, each served at
	// POST /v1/hooks/<name>.
	Sources []Source
	// StoreHealth, when set, records the outcomes of starts, so that a
	// full or read-only store is logged as one condition.
	StoreHealth *storehealth.Monitor
}

// Handler serves the webhook endpoints.
type Handler struct {
	cfg Config
	log *slog.Logger
}

// New checks the configuration and returns a Handler. A missing secret is an
// error, so that a webhook never runs with verification skipped.
func New(cfg Config) (*Handler, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("webhook secret is empty; set REPOLINK_WEBHOOK_SECRET or --webhook-secret-ref")
	}
	if cfg.Executions == nil || cfg.Store == nil {
		return nil, errors.New("webhook needs executions and a delivery store")
	}
	for _, src := range cfg.Sources {
		if src.Name == "" || src.Authenticate == nil {
			return nil, fmt.Errorf("webhook source %q needs a name and an authenticator", src.Name)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, log: log}, nil
}

// Register adds the webhook routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/requests", h.serveRequest)
	for _, src := range h.cfg.Sources {
		mux.HandleFunc("POST /v1/hooks/"+src.Name, func(w http.ResponseWriter, r *http.Request) {
			h.serveSource(w, r, src)
		})
	}
}

// Response is the JSON body of every webhook response. Execution and
// Status only ever describe an execution of the delivered request, so that
// a sender that records them never takes another execution's outcome, such
// as a teardown's SUCCEEDED, for the request's.
type Response struct {
	Execution string `json:"execution,omitempty"`
	// Status is the execution's status, or IGNORED for a ticket event that
	// the mapping does not act on. StatusRejected marks a delivery that
	// conflicts with another execution. StatusTornDown,
	// StatusTeardownFailed and StatusSuperseded mark a ticket delivery of
	// a request that a later teardown or execution of the ticket followed.
	Status    string `json:"status,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	// Teardown names the teardown that followed Execution, and
	// TeardownStatus is its status, for StatusTornDown and
	// StatusTeardownFailed.
	Teardown       string `json:"teardown,omitempty"`
	TeardownStatus string `json:"teardown_status,omitempty"`
	// LatestExecution names the ticket's latest execution for
	// StatusSuperseded.
	LatestExecution string `json:"latest_execution,omitempty"`
	// BlockingExecution names the execution that a rejected delivery
	// conflicts with, such as one of another ticket with the same
	// Snowflake objects. It is never this delivery's execution, because a
	// rejected delivery has none, so Execution is empty then.
	BlockingExecution string `json:"blocking_execution,omitempty"`
	// Reason explains IGNORED and conflicting deliveries.
	Reason string               `json:"reason,omitempty"`
	Error  string               `json:"error,omitempty"`
	Errors []request.FieldError `json:"errors,omitempty"`
}

func (h *Handler) serveRequest(w http.ResponseWriter, r *http.Request) {
	const source = "request"
	// A delivery without both headers is rejected before its body is read.
	if r.Header.Get(HeaderTimestamp) == "" || r.Header.Get(HeaderSignature) == "" {
		h.unauthorized(w, source, VerifyTimestamped(h.cfg.Secret, r.Header, nil, h.cfg.Now()))
		return
	}
	body, ok := h.readBody(w, r, source, MaxRequestBody, "")
	if !ok {
		return
	}
	if err := VerifyTimestamped(h.cfg.Secret, r.Header, body, h.cfg.Now()); err != nil {
		h.unauthorized(w, source, err)
		return
	}

	req, err := request.ParseJSON(body)
	if err != nil {
		h.invalid(w, source, err)
		return
	}

	d := Delivery{Source: source, Ticket: req.ID, Event: "request"}
	d.ReplayKey, d.ReplayUntil = RequestReplay(r.Header, body)
	d.SignedAt = RequestSignedAt(r.Header)
	h.accept(w, r, d, req, false)
}

// readBody reads at most limit bytes and responds 413 to a larger body.
// deliveryIDHeader names the header with which the source identifies a
// delivery, or is empty. The warning about a larger body names the source,
// the delivery ID and the announced length, because the body that would
// name the ticket is not read to its end.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, source string, limit int64, deliveryIDHeader string) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		attrs := []any{"source", source, "status", http.StatusRequestEntityTooLarge, "limit_bytes", limit}
		if r.ContentLength >= 0 {
			attrs = append(attrs, "content_length", r.ContentLength)
		}
		if id := loggedHeader(r.Header, deliveryIDHeader); id != "" {
			attrs = append(attrs, "delivery_id", id)
		}
		h.log.Warn("webhook delivery too large", attrs...)
		writeJSON(w, http.StatusRequestEntityTooLarge, Response{Error: fmt.Sprintf("body is larger than %d bytes, the limit of this endpoint", limit)})
		return nil, false
	case err != nil:
		h.log.Warn("read webhook delivery failed", "source", source, "error", err)
		writeJSON(w, http.StatusBadRequest, Response{Error: "could not read the body"})
		return nil, false
	}
	return body, true
}

// loggedHeader returns the value of the named header, cut to
// maxLoggedHeader bytes, or "" when name is empty or the header is absent.
func loggedHeader(header http.Header, name string) string {
	if name == "" {
		return ""
	}
	value := header.Get(name)
	if len(value) > maxLoggedHeader {
		value = value[:maxLoggedHeader]
	}
	return value
}

func (h *Handler) unauthorized(w http.ResponseWriter, source string, err error) {
	h.log.Warn("webhook delivery rejected", "source", source, "status", http.StatusUnauthorized, "error", err)
	writeJSON(w, http.StatusUnauthorized, Response{Error: err.Error()})
}

func (h *Handler) invalid(w http.ResponseWriter, source string, err error) {
	var invalid *request.ValidationError
	if !errors.As(request.WithServiceCredentialFixes(err), &invalid) {
		invalid = &request.ValidationError{Fields: []request.FieldError{{Path: "$", Message: err.Error()}}}
	}
	h.log.Warn("webhook delivery rejected", "source", source, "status", http.StatusBadRequest, "field_errors", len(invalid.Fields))
	writeJSON(w, http.StatusBadRequest, Response{Error: "invalid request", Errors: invalid.Fields})
}

// accept records a verified, valid delivery and starts its execution when
// the ticket has none with this request. Ticket adapters respond 200 to a
// conflict, because ticket systems redeliver after a 409.
//
// POST /v1/requests starts a new execution for a request that an earlier
// execution of the ticket ran, but not the latest one, because its caller
// goes back to that request. A ticket adapter starts nothing for such a
// delivery, because a ticket system may redeliver an old version late.
//
// While a teardown of the request runs, every delivery is a conflict that
// names the teardown. After a teardown, POST /v1/requests starts a new
// provision execution for a request that the ticket ran before, because
// the caller asks for a repository that no longer exists. A ticket adapter
// starts nothing for such a delivery and names the teardown, because
// ticket systems send the unchanged ticket with every event, such as the
// ticket being closed after its teardown.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request, d Delivery, req request.Request, adapter bool) {
	canonical, err := json.Marshal(req)
	if err != nil {
		h.log.Error("encode request failed", "source", d.Source, "ticket", d.Ticket, "error", err)
		writeJSON(w, http.StatusInternalServerError, Response{Error: "could not encode the request"})
		return
	}
	d.ReceivedAt = h.cfg.Now()
	log := h.log.With("source", d.Source, "ticket", d.Ticket, "event", d.Event)
	if d.DeliveryID != "" {
		log = log.With("delivery_id", d.DeliveryID)
	}

	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), startTimeout)
	defer cancel()
	teardown, status, err := h.cfg.Executions.Teardown(ctx, req.ID, "")
	if err != nil {
		h.teardownReadFailed(w, log, err)
		return
	}
	if status == statusRunning {
		h.conflict(w, log, &RunningError{Ticket: req.ID, Execution: teardown, Teardown: true}, adapter)
		return
	}
	d.RequestHash = requestHash(canonical, teardown, adapter)
	d.RerunEarlier = !adapter
	// The store records only the executions that deliveries started, so it
	// also needs the latest one that repolink run or the Step Functions API
	// may have started since.
	latest, latestRanRequest, err := h.cfg.Executions.Latest(ctx, req)
	if err != nil {
		log.Error("read latest execution of the request failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, Response{Error: "could not read the executions of the request; the service log has the cause"})
		return
	}
	d.Latest = latest

	// existing is set when this delivery found the request already running.
	var existing *ExistingError
	out, err := h.cfg.Store.Deliver(ctx, d, func(ctx context.Context) (string, error) {
		name, err := h.cfg.Executions.Start(ctx, req)
		if errors.As(err, &existing) {
			return existing.Execution, nil
		}
		return name, err
	})
	var invalid *request.ValidationError
	var running *RunningError
	var conflicting *ConflictError
	var stale *StaleDeliveryError
	var heldClaim *ClaimHeldError
	switch {
	case errors.As(err, &invalid):
		h.invalid(w, d.Source, err)
		return
	case errors.As(err, &stale):
		log.Warn("delivery signed before the ticket's latest accepted delivery; nothing new started",
			"blocking_execution", stale.Execution, "signed_at", stale.SignedAt.UTC(), "latest_signed_at", stale.LatestSignedAt.UTC())
		writeRejected(w, http.StatusConflict, stale.Execution, StaleDeliveryReason(stale), false)
		return
	case errors.As(err, &heldClaim):
		h.claimHeld(w, log, heldClaim)
		return
	case errors.As(err, &running):
		h.conflict(w, log, running, adapter)
		return
	case errors.As(err, &conflicting):
		h.rejectConflicting(w, log, conflicting, adapter)
		return
	case storehealth.IsUnwritable(h.cfg.StoreHealth.Classify(err)):
		h.storeUnwritable(w, log, err)
		return
	case err != nil:
		log.Error("start execution failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, Response{Error: "could not start the execution; the service log has the cause"})
		return
	}
	h.cfg.StoreHealth.Record(nil)

	log = log.With("execution", out.Execution)
	if out.Kind == Started && existing == nil {
		log.Info("execution started by webhook")
		writeJSON(w, http.StatusAccepted, Response{Execution: out.Execution, Status: statusRunning})
		return
	}
	if adapter && out.Latest != "" && out.Latest == latest && latestRanRequest {
		// An execution that started outside the webhook, such as by
		// repolink run, ran this request again after the recorded one.
		out = Outcome{Kind: Duplicate, Execution: latest}
	}
	if adapter {
		// A teardown counts only when it started after the ticket's latest
		// execution. One between an earlier run of this request and a
		// later run of a changed request removed nothing that is live.
		after := out.Execution
		if out.Latest != "" {
			after = out.Latest
		}
		teardown, status, err := h.cfg.Executions.Teardown(ctx, req.ID, after)
		if err != nil {
			h.teardownReadFailed(w, log, err)
			return
		}
		if status == statusRunning {
			h.conflict(w, log, &RunningError{Ticket: req.ID, Execution: teardown, Teardown: true}, adapter)
			return
		}
		if teardown != "" && out.Latest != "" {
			log.Info("delivery of an earlier request of the ticket after a teardown of its latest one; nothing new started",
				"latest", out.Latest, "teardown", teardown)
			writeJSON(w, http.StatusOK, Response{Execution: out.Execution, Status: StatusSuperseded, Duplicate: true,
				LatestExecution: out.Latest, Teardown: teardown, TeardownStatus: status,
				Reason: EarlierTornDownReason(d.Ticket, out.Execution, out.Latest, teardown)})
			return
		}
		if teardown != "" {
			if run := h.status(ctx, out.Execution); run.stoppedBeforeBuilding() {
				log.Info("delivery of a request whose run stopped in preflight, before a teardown of the request; nothing new started",
					"teardown", teardown, "execution_status", run.Status, "execution_error", run.Error)
				writeJSON(w, http.StatusOK, Response{Execution: out.Execution, Status: run.Status, Duplicate: true,
					Teardown: teardown, TeardownStatus: status, Reason: NothingBuiltTicketReason(d.Ticket, out.Execution, teardown, run)})
				return
			}
			log.Info("delivery of a request whose repository a teardown removed; nothing new started", "teardown", teardown)
			writeJSON(w, http.StatusOK, tornDownResponse(d.Ticket, out.Execution, teardown, status))
			return
		}
	}
	switch {
	case out.Replay:
		log.Warn("replayed delivery; nothing new started")
		run := h.status(ctx, out.Execution)
		newStarts, err := h.startsAfterTeardown(ctx, req.ID, out.Execution, adapter)
		if err != nil {
			h.teardownReadFailed(w, log, err)
			return
		}
		writeJSON(w, http.StatusOK, Response{Execution: out.Execution, Status: run.Status, Duplicate: true,
			Reason: ReplayReason(out.Execution, run, newStarts)})
	case existing != nil:
		log.Info("request runs or last ran in an execution that this delivery did not start; nothing new started")
		run := h.status(ctx, out.Execution)
		writeJSON(w, http.StatusOK, Response{Execution: out.Execution, Status: run.Status, Duplicate: true,
			Reason: StoppedRunAdvice(out.Execution, run, adapter)})
	case out.Latest != "":
		log.Info("delivery of an earlier request of the ticket; nothing new started", "latest", out.Latest)
		writeJSON(w, http.StatusOK, Response{Execution: out.Execution, Status: StatusSuperseded, Duplicate: true,
			LatestExecution: out.Latest, Reason: EarlierRequestReason(d.Ticket, out.Execution, out.Latest)})
	default:
		log.Info("duplicate delivery; nothing new started")
		run := h.status(ctx, out.Execution)
		writeJSON(w, http.StatusOK, Response{Execution: out.Execution, Status: run.Status, Duplicate: true,
			Reason: StoppedRunAdvice(out.Execution, run, adapter)})
	}
}

// startsAfterTeardown reports whether a new delivery of the request with ID
// id to POST /v1/requests would start an execution, because a teardown of
// the request that has closed started after execution. Ticket adapters
// start nothing for an unchanged request after a teardown.
func (h *Handler) startsAfterTeardown(ctx context.Context, id, execution string, adapter bool) (bool, error) {
	if adapter {
		return false, nil
	}
	teardown, status, err := h.cfg.Executions.Teardown(ctx, id, execution)
	if err != nil {
		return false, err
	}
	return teardown != "" && status != statusRunning, nil
}

// requestHash returns the hash that identifies a delivery's request in the
// Store, from the request's canonical JSON. For POST /v1/requests after a
// teardown of the request, the hash also covers the name of the latest
// teardown, so that the request is new to the ticket once per teardown.
// Ticket adapters hash the request alone.
func requestHash(canonical []byte, teardown string, adapter bool) string {
	h := sha256.New()
	h.Write(canonical)
	if teardown != "" && !adapter {
		h.Write([]byte("\x00after teardown " + teardown))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// storeUnwritableRetry is the Retry-After of a delivery rejected because
// the store is full or read-only, in seconds. Freeing space or fixing file
// modes takes an operator, so an earlier retry would fail the same way.
const storeUnwritableRetry = "60"

// storeUnwritable responds 503 to a delivery that could not be stored
// because the service's state store is full, read-only or at the file size
// limit. The response names the cause but leaves out the store's
// directory, which only the service log names.
func (h *Handler) storeUnwritable(w http.ResponseWriter, log *slog.Logger, err error) {
	if !h.cfg.StoreHealth.Record(err) {
		log.Error("start execution failed", "error", err)
	}
	cause := "full or read-only"
	var unwritable *storehealth.UnwritableError
	if errors.As(h.cfg.StoreHealth.Classify(err), &unwritable) {
		cause = unwritable.Cause()
	}
	w.Header().Set("Retry-After", storeUnwritableRetry)
	writeJSON(w, http.StatusServiceUnavailable, Response{Error: "could not start the execution: the service's state store is " + cause +
		", so it takes no requests until its operator frees space, raises the file size limit or makes it writable; send the delivery again later"})
}

// claimHeld responds 503 to a delivery whose ticket another process is
// starting. Retry-After is when that start must have ended, because a
// start is bounded by startTimeout, or when its claim expires, whichever
// comes first.
func (h *Handler) claimHeld(w http.ResponseWriter, log *slog.Logger, held *ClaimHeldError) {
	log.Warn("delivery while another process starts the ticket; nothing new started",
		"claim_expires_at", held.ExpiresAt.UTC())
	retry := min(held.ExpiresAt.Sub(h.cfg.Now()), startTimeout)
	seconds := max(int64((retry+time.Second-1)/time.Second), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(seconds, 10))
	writeJSON(w, http.StatusServiceUnavailable, Response{Error: fmt.Sprintf(
		"%v, so this delivery started nothing; send it again after %d seconds", held, seconds)})
}

// teardownReadFailed responds to a delivery whose request's teardowns could
// not be read.
func (h *Handler) teardownReadFailed(w http.ResponseWriter, log *slog.Logger, err error) {
	log.Error("read teardowns of the request failed", "error", err)
	writeJSON(w, http.StatusInternalServerError, Response{Error: "could not read the teardowns of the request; the service log has the cause"})
}

// conflict responds to a request whose ticket still has a running teardown,
// or a running execution of another request.
func (h *Handler) conflict(w http.ResponseWriter, log *slog.Logger, running *RunningError, adapter bool) {
	if running.Teardown {
		log.Warn("delivery while a teardown of the ticket runs; nothing new started", "teardown", running.Execution)
	} else {
		log.Warn("changed request while an execution of the ticket runs; nothing new started", "execution", running.Execution)
	}
	if adapter {
		writeRejected(w, http.StatusOK, running.Execution, ChangedTicketReason(running), true)
		return
	}
	writeRejected(w, http.StatusConflict, running.Execution, ChangedRequestReason(running), false)
}

// rejectConflicting responds to a request that conflicts with an earlier
// execution of its ticket or of another ticket. Ticket adapters respond
// 200 with the reason, as for a conflict with a running execution.
func (h *Handler) rejectConflicting(w http.ResponseWriter, log *slog.Logger, conflicting *ConflictError, adapter bool) {
	reason := conflicting.reason(adapter)
	log.Warn("request conflicts with an earlier execution; nothing new started",
		"blocking_execution", conflicting.Execution, "reason", reason)
	if adapter {
		writeRejected(w, http.StatusOK, conflicting.Execution, reason, true)
		return
	}
	writeRejected(w, http.StatusConflict, conflicting.Execution, reason, false)
}

// RejectedResponse returns the body of a response to a delivery that
// started nothing because it conflicts with the execution blocking. That
// execution goes under BlockingExecution and never under Execution, so that
// a sender that records Execution and Status does not take it for its own.
// The reason goes under Reason for a 2xx response of a ticket adapter
// (ticket true) and under Error otherwise.
func RejectedResponse(blocking, reason string, ticket bool) Response {
	resp := Response{Status: StatusRejected, BlockingExecution: blocking}
	if ticket {
		resp.Reason = reason
	} else {
		resp.Error = reason
	}
	return resp
}

func writeRejected(w http.ResponseWriter, code int, blocking, reason string, ticket bool) {
	writeJSON(w, code, RejectedResponse(blocking, reason, ticket))
}

// ChangedRequestReason returns the response error for a request that POST
// /v1/requests could not start because of running.
func ChangedRequestReason(running *RunningError) string {
	if running.Teardown {
		return fmt.Sprintf("%v; the request starts a new provision execution only after the teardown has closed, "+
			"so send it again after %s closes", running, running.Execution)
	}
	return fmt.Sprintf("%v; a changed request starts a new execution of the ticket only when its earlier ones have closed, "+
		"so send it again after %s closes, or after stopping it", running, running.Execution)
}

// ChangedTicketReason returns the response reason for a ticket that a
// ticket adapter could not start because of running.
func ChangedTicketReason(running *RunningError) string {
	if running.Teardown {
		return fmt.Sprintf("teardown %s of ticket %s is still running, so this delivery started nothing; "+
			"change the ticket after %s closes to provision its request again",
			running.Execution, running.Ticket, running.Execution)
	}
	return fmt.Sprintf("ticket %s changed while its execution %s is still running with the earlier request, so the change started nothing; "+
		"update the ticket again after %s closes, or after an operator stops it, to start a new execution with the change",
		running.Ticket, running.Execution, running.Execution)
}

// tornDownResponse returns the response to a ticket delivery of the request
// that the ticket ran in execution before the teardown with status
// teardownStatus. A teardown that has closed without success may have left
// some of what execution built, so its response reports that in its status.
func tornDownResponse(ticket, execution, teardown, teardownStatus string) Response {
	status := StatusTornDown
	if teardownStatus != statusSucceeded {
		status = StatusTeardownFailed
	}
	return Response{Execution: execution, Status: status, Duplicate: true, Teardown: teardown, TeardownStatus: teardownStatus,
		Reason: TornDownTicketReason(ticket, execution, teardown)}
}

// TornDownTicketReason returns the response reason for a delivery of a
// request that the ticket ran in execution before teardown removed what it
// built.
func TornDownTicketReason(ticket, execution, teardown string) string {
	return fmt.Sprintf("ticket %s ran this request in execution %s, and teardown %s of the request has run since; "+
		"a ticket event that leaves the request unchanged starts nothing, because ticket systems send one with every change of the ticket, "+
		"so change the ticket to provision its request again", ticket, execution, teardown)
}

// EarlierTornDownReason returns the response reason for a ticket delivery
// of a request that the ticket ran in execution before latest ran a later
// request, when teardown started after latest.
func EarlierTornDownReason(ticket, execution, latest, teardown string) string {
	return fmt.Sprintf("ticket %s ran this request in execution %s, and its latest execution %s ran a later request, "+
		"which teardown %s of the request has tried to remove since; a request that the ticket ran before starts nothing, "+
		"because it cannot be told apart from a late redelivery, so change the ticket to provision its request again",
		ticket, execution, latest, teardown)
}

// ReplayReason returns the response reason for a signed request whose
// exact bytes, with the same timestamp, the service accepted before, when
// its response named execution, whose status is now run. newStarts is
// set when a new delivery of the request would start an execution, because
// a teardown of the request closed after execution started. Otherwise a new
// delivery starts one only when the ticket ran another request since
// execution, which the caller does not know, so the reason states that
// condition.
func ReplayReason(execution string, run ExecutionStatus, newStarts bool) string {
	reason := fmt.Sprintf("the same signed delivery was accepted before, with execution %s, and a repeated delivery starts nothing", execution)
	signAgain := fmt.Sprintf("sign the request again with the current time in %s", HeaderTimestamp)
	if newStarts {
		return fmt.Sprintf("%s; %s to send a new delivery, which starts a new execution because a teardown of the request ran since %s",
			reason, signAgain, execution)
	}
	next := StoppedRunAdvice(execution, run, false)
	if next == "" {
		next = fmt.Sprintf("a new delivery of the same request starts nothing either while %s is the ticket's latest execution", execution)
	}
	return fmt.Sprintf("%s; %s. If the ticket ran another request since %s, %s to run this request again in a new execution once that run has closed",
		reason, next, execution, signAgain)
}

// StoppedRunAdvice returns what continues a ticket whose latest execution
// ran the delivered request, when that execution has the status FAILED,
// TIMED_OUT or ABORTED, and "" for any other status. A new delivery of the
// same request starts nothing then. For an execution that stopped in
// preflight, the advice names no teardown, because nothing was built, and
// for one that preflight rejected with InvalidRequest it names no redrive
// either, because a redrive fails the same way. So it changes the request,
// through a ticket update when ticket is set (a ticket adapter) and a new
// delivery otherwise. For an execution that stopped in a later step, the
// advice is a redrive or a teardown, which the Step Functions API and
// repolink status offer too.
func StoppedRunAdvice(execution string, run ExecutionStatus, ticket bool) string {
	if !closedWithoutSuccess(run.Status) {
		return ""
	}
	unchanged := fmt.Sprintf("a new delivery of the same request starts nothing while %s, which ran it and is %s, is the ticket's latest execution",
		execution, run.Status)
	switch {
	case run.rejected():
		return fmt.Sprintf("preflight rejected this request in execution %s with %s, so nothing was built and there is nothing to tear down. "+
			"A redrive reruns the same checks on the same request and fails the same way, and %s. %s",
			execution, run.Error, unchanged, changeRequestAdvice(execution, ticket))
	case run.stoppedBeforeBuilding():
		return fmt.Sprintf("execution %s stopped in preflight%s, before any step that builds, so nothing was built and there is nothing to tear down, "+
			"and %s. Redrive %s to run preflight again once the cause is fixed, or change the request, because %s",
			execution, withError(run), unchanged, execution, changeRequest(ticket))
	}
	return fmt.Sprintf("%s; redrive %s to resume it from the step where it stopped, unless its status shows that a redrive fails the same way, "+
		"or tear down the request to remove what it may have built", unchanged, execution)
}

// NothingBuiltTicketReason returns the response reason for a ticket
// delivery of a request whose execution stopped in preflight, which built
// nothing, when teardown of the request has run since. A ticket adapter
// starts nothing for the unchanged request, and a teardown rules out a
// redrive, so the reason changes the request.
func NothingBuiltTicketReason(ticket, execution, teardown string, run ExecutionStatus) string {
	reason := fmt.Sprintf("ticket %s ran this request in execution %s, which is %s after it stopped in preflight%s, before any step that builds. "+
		"So nothing was built, and teardown %s of the request, which has run since, removed nothing of it. "+
		"A ticket event that leaves the request unchanged starts nothing, because ticket systems send one with every change of the ticket",
		ticket, execution, run.Status, withError(run), teardown)
	if run.rejected() {
		return reason + ". " + changeRequestAdvice(execution, true)
	}
	return reason + ", so change the request, because " + changeRequest(true)
}

// changeRequestAdvice returns the sentence that states how to fix a request
// that preflight rejected in execution.
func changeRequestAdvice(execution string, ticket bool) string {
	return fmt.Sprintf("The cause of %s names the check that failed and the field of the request to change, such as a role or an index URL, and %s",
		execution, changeRequest(ticket))
}

// changeRequest returns how a changed request starts: through a ticket
// update for a ticket adapter (ticket set), or through a new delivery.
func changeRequest(ticket bool) string {
	if ticket {
		return "an update of the ticket with the change sends the changed request, which starts a new execution"
	}
	return "a new delivery of the changed request starts a new execution"
}

// withError returns " with " and the error name of run, or "" when it
// recorded none, such as after a stop without an error.
func withError(run ExecutionStatus) string {
	if run.Error == "" {
		return ""
	}
	return " with " + run.Error
}

// closedWithoutSuccess reports whether status is FAILED, TIMED_OUT or
// ABORTED.
func closedWithoutSuccess(status string) bool {
	return status == "FAILED" || status == "TIMED_OUT" || status == "ABORTED"
}

// StaleDeliveryReason returns the response error for a signed request
// that started nothing because its ticket accepted, or is still handling, a
// delivery signed later. A delivery signed again is checked as a new one,
// so the reason also states that a change of where the request builds
// still needs a teardown first.
func StaleDeliveryReason(stale *StaleDeliveryError) string {
	replaced := "the request of that delivery"
	if stale.Execution != "" {
		replaced = stale.Execution
	}
	return fmt.Sprintf("%v, so this delivery started nothing; if this request is meant to replace %s, "+
		"sign it again with the current time in %s and send it again. The service then checks it as any new delivery, "+
		"so a request that also changes where it builds, such as its region, is rejected until the request is torn down",
		stale, replaced, HeaderTimestamp)
}

// EarlierRequestReason returns the response reason for a delivery of a
// request that the ticket ran in execution before it ran a later one in
// latest, such as a late redelivery.
func EarlierRequestReason(ticket, execution, latest string) string {
	return fmt.Sprintf("ticket %s ran this request in execution %s, and its latest execution %s runs a later request; "+
		"a request that the ticket ran before starts nothing, because it cannot be told apart from a late redelivery, "+
		"so change the request to run it again", ticket, execution, latest)
}

func (h *Handler) status(ctx context.Context, name string) ExecutionStatus {
	run, err := h.cfg.Executions.Status(ctx, name)
	if err != nil {
		h.log.Warn("read execution status failed", "execution", name, "error", err)
		return ExecutionStatus{Status: "UNKNOWN"}
	}
	return run
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
