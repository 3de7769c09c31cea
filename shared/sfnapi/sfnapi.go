// Package sfnapi serves the AWS Step Functions API (the JSON 1.0 protocol:
// POST with X-Amz-Target: AWSStepFunctions.<Operation>) over an embedded
// engine, so that the AWS CLI and SDKs can start, inspect, stop and redrive
// executions and complete task tokens. It serves ListStateMachines, StartExecution,
// DescribeExecution, ListExecutions, GetExecutionHistory, StopExecution,
// RedriveExecution, SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat.
//
// With Options.Credentials set, every request must carry a valid Signature
// Version 4 signature made with those credentials, as the AWS CLI and SDKs
// send. Without them, requests are not authenticated, so serve the handler
// on a loopback address only.
//
// The nextToken of ListExecutions and GetExecutionHistory is opaque and
// signed with the key of Options.TokenKey. It is valid for 24 hours and
// only for the operation and query that returned it. A handler created
// again with the same key, such as after a restart, accepts it too.
package sfnapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/repolink/repolink/shared/engine"
)

// Options configure the handler.
type Options struct {
	// Logger receives one record per failed request; nil discards them.
	Logger *slog.Logger
	// Credentials, when set, are required to sign every request.
	Credentials *Credentials
	// Now is the clock for signature times; nil means time.Now.
	Now func() time.Time
	// RedriveCheck, when set, returns why a FAILED, TIMED_OUT or ABORTED
	// execution that the engine would redrive must not be redriven, or ""
	// when it may be. For such an
	// execution RedriveExecution returns ExecutionNotRedrivable with the
	// reason, and DescribeExecution returns NOT_REDRIVABLE with the reason
	// as redriveStatusReason. An error fails the request as internal.
	RedriveCheck func(ctx context.Context, x engine.Execution) (reason string, err error)
	// StartCheck, when set, returns why the execution name of machine with
	// input must not start now, or "" when it may. For such a start
	// StartExecution returns ConflictException (HTTP 409) with the reason
	// and starts nothing. An error fails the request as internal.
	// StartExecution calls it only for a name that no execution has yet.
	StartCheck func(ctx context.Context, machine, name string, input json.RawMessage) (reason string, err error)
	// LockStarts, when set, takes the lock for an execution with input and
	// returns the function that releases it. StartExecution passes the
	// input as PrepareInput returns it and keeps the lock from StartCheck
	// until the engine has started the execution. RedriveExecution passes
	// the execution's input and keeps the lock from RedriveCheck until the
	// engine has redriven the execution. So no other start or redrive that
	// takes the same lock comes between a check and its start. Inputs whose
	// starts must exclude each other must map to the same lock, and others
	// may map to different locks so that their starts do not wait for each
	// other. An error fails the request as internal.
	LockStarts func(ctx context.Context, input json.RawMessage) (unlock func(), err error)
	// PrepareInput, when set, returns the input with which StartExecution
	// starts an execution of machine, such as the input with defaults
	// filled in. An *InvalidInputError rejects the start with
	// InvalidExecutionInput (HTTP 400) and its message, and another error
	// fails the request as internal.
	PrepareInput func(ctx context.Context, machine string, input json.RawMessage) (json.RawMessage, error)
	// CheckName, when set, returns why name must not name an execution of
	// machine, or "" when it may. StartExecution then returns InvalidName
	// (HTTP 400) with the reason and starts nothing.
	CheckName func(machine, name string) (reason string)
	// TokenKey is the key that signs the nextTokens of the list
	// operations, such as one that LoadTokenKey returns. Without it, the
	// handler uses a random key, so its tokens do not survive a restart.
	TokenKey []byte
}

// maxRequestBytes bounds a request body at four times the 256 KiB payload
// limit of Step Functions, which leaves room for JSON string escaping.
const maxRequestBytes = 4 * 256 << 10

// targetPrefix starts the X-Amz-Target header of every operation.
const targetPrefix = "AWSStepFunctions."

type handler struct {
	e            *engine.Engine
	log          *slog.Logger
	creds        *Credentials
	now          func() time.Time
	redriveCheck func(context.Context, engine.Execution) (string, error)
	prepareInput func(context.Context, string, json.RawMessage) (json.RawMessage, error)
	startCheck   func(context.Context, string, string, json.RawMessage) (string, error)
	lockStarts   func(context.Context, json.RawMessage) (func(), error)
	checkName    func(string, string) string
	ops          map[string]func(context.Context, []byte) (any, error)
	// tokenKey is the key that signs the nextTokens of the list operations.
	tokenKey []byte
}

// New returns an http.Handler that serves the Step Functions API over e.
// The ARNs it accepts and returns carry e's region and account.
func New(e *engine.Engine, opts Options) http.Handler {
	h := &handler{e: e, log: opts.Logger, creds: opts.Credentials, now: opts.Now, redriveCheck: opts.RedriveCheck,
		startCheck: opts.StartCheck, lockStarts: opts.LockStarts}
	h.prepareInput = opts.PrepareInput
	h.checkName = opts.CheckName
	h.tokenKey = opts.TokenKey
	if len(h.tokenKey) == 0 {
		h.tokenKey = make([]byte, tokenKeyBytes)
		rand.Read(h.tokenKey)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.ops = map[string]func(context.Context, []byte) (any, error){
		"ListStateMachines":   h.listStateMachines,
		"StartExecution":      h.startExecution,
		"DescribeExecution":   h.describeExecution,
		"ListExecutions":      h.listExecutions,
		"GetExecutionHistory": h.getExecutionHistory,
		"StopExecution":       h.stopExecution,
		"RedriveExecution":    h.redriveExecution,
		"SendTaskSuccess":     h.sendTaskSuccess,
		"SendTaskFailure":     h.sendTaskFailure,
		"SendTaskHeartbeat":   h.sendTaskHeartbeat,
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// aws-sdk-go-v2 (v1.48.0) takes the RequestID of a response or an error
	// from this header, or else from X-Amz-RequestId, so every response
	// gets a new UUID in it. The key keeps the spelling AWS services send.
	w.Header()["x-amzn-RequestId"] = []string{uuid.NewString()}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	fn := h.ops[op]
	switch {
	case r.Method != http.MethodPost:
		h.fail(w, op, &apiError{Type: "UnknownOperationException", Status: http.StatusMethodNotAllowed,
			Message: fmt.Sprintf("method %s is not supported: send POST", r.Method)})
		return
	case !ok || fn == nil:
		h.fail(w, op, &apiError{Type: "UnknownOperationException",
			Message: fmt.Sprintf("unknown operation %q in X-Amz-Target", target)})
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		h.fail(w, op, &apiError{Type: "SerializationException",
			Message: fmt.Sprintf("read request body: %v", err)})
		return
	}
	if h.creds != nil {
		if err := verify(r, body, *h.creds, h.now()); err != nil {
			h.fail(w, op, err)
			return
		}
	}
	out, err := fn(r.Context(), body)
	if err != nil {
		h.fail(w, op, err)
		return
	}
	raw, err := json.Marshal(out)
	if err != nil {
		h.fail(w, op, fmt.Errorf("encode %s response: %w", op, err))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Write(raw)
}

// apiError is an error in the shape Step Functions returns: HTTP 400 with
// {"__type": Type, "message": Message}.
type apiError struct {
	Type    string
	Message string
	Status  int // 0 means 400
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

// fail writes err as a Step Functions error. Errors that are not an
// *apiError are internal and get status 500.
func (h *handler) fail(w http.ResponseWriter, op string, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		h.log.Error("step functions request failed", "operation", op, "error", err)
		ae = &apiError{Type: "InternalFailure", Status: http.StatusInternalServerError, Message: err.Error()}
	} else {
		h.log.Info("step functions request rejected", "operation", op, "error_type", ae.Type, "error", ae.Message)
	}
	status := ae.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	raw, _ := json.Marshal(map[string]string{"__type": ae.Type, "message": ae.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	w.Write(raw)
}

// decode reads a request body into the struct that v points to. Member
// names match the json tags of its fields exactly, in letter case too, as
// in Step Functions, and other members are ignored, as Step Functions
// ignores unknown members. A body that is not valid UTF-8 is rejected,
// so no invalid byte becomes U+FFFD in a name or an input.
//
// NOTE: an escaped lone surrogate, such as \ud800, is valid JSON and still
// decodes to U+FFFD.
func decode(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if !utf8.Valid(body) {
		return &apiError{Type: "SerializationException", Message: "request body is not valid UTF-8; encode the JSON text in UTF-8"}
	}
	if err := json.Unmarshal(exactMembers(body, v), v); err != nil {
		return &apiError{Type: "SerializationException", Message: decodeMessage(err)}
	}
	return nil
}

// exactMembers returns body without the members of its top-level object
// whose names are not exactly the json tag of a field of the struct that
// v points to. encoding/json would match them without regard to letter
// case. A body that is not a JSON object is returned unchanged, so that
// json.Unmarshal reports it.
func exactMembers(body []byte, v any) []byte {
	var members map[string]json.RawMessage
	if json.Unmarshal(body, &members) != nil || members == nil {
		return body
	}
	typ := reflect.TypeOf(v).Elem()
	exact := make(map[string]json.RawMessage, len(members))
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if value, ok := members[name]; ok && name != "" && name != "-" {
			exact[name] = value
		}
	}
	encoded, err := json.Marshal(exact)
	if err != nil {
		return body
	}
	return encoded
}

// decodeMessage returns the message of a request body that does not decode.
// The type error of encoding/json names Go types, such as *string, so the
// message names the member and the JSON type that it needs instead.
func decodeMessage(err error) string {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return fmt.Sprintf("request body is not valid JSON: %v", err)
	}
	got, _, _ := strings.Cut(typeErr.Value, " ")
	if typeErr.Field == "" {
		return fmt.Sprintf("request body must be a JSON object, not a JSON %s", got)
	}
	want := "a JSON object"
	typ := typeErr.Type
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want = "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64:
		want = "a whole number"
	}
	if got == "number" && want == "a whole number" {
		// A number that an integer member cannot hold, such as 1.5.
		return fmt.Sprintf("%s must be %s", typeErr.Field, want)
	}
	return fmt.Sprintf("%s must be %s, not a JSON %s", typeErr.Field, want, got)
}

func validation(format string, args ...any) error {
	return &apiError{Type: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

// engineError converts an engine error into the Step Functions error for
// it, or returns err unchanged when it is internal.
func engineError(err error) error {
	switch {
	case errors.Is(err, engine.ErrExecutionNotFound):
		return &apiError{Type: "ExecutionDoesNotExist", Message: err.Error()}
	case errors.Is(err, engine.ErrExecutionAlreadyExists):
		return &apiError{Type: "ExecutionAlreadyExists", Message: err.Error()}
	case errors.Is(err, engine.ErrMachineNotFound):
		return &apiError{Type: "StateMachineDoesNotExist", Message: err.Error()}
	case errors.Is(err, engine.ErrInvalidName):
		return &apiError{Type: "InvalidName", Message: err.Error()}
	case errors.Is(err, engine.ErrInvalidInput):
		return &apiError{Type: "InvalidExecutionInput", Message: err.Error()}
	case errors.Is(err, engine.ErrInvalidOutput):
		return &apiError{Type: "InvalidOutput", Message: err.Error()}
	case errors.Is(err, engine.ErrCannotRedrive):
		return &apiError{Type: "ExecutionNotRedrivable", Message: err.Error()}
	case errors.Is(err, engine.ErrTaskNotFound):
		return &apiError{Type: "TaskDoesNotExist", Message: err.Error()}
	case errors.Is(err, engine.ErrTaskClosed):
		return &apiError{Type: "TaskTimedOut", Message: err.Error()}
	case errors.Is(err, engine.ErrInvalidToken):
		return &apiError{Type: "InvalidToken", Message: err.Error()}
	}
	return err
}

// epochSeconds is a timestamp as the JSON 1.0 protocol sends it.
func epochSeconds(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}
