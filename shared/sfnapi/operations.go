package sfnapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/repolink/repolink/shared/engine"
)

// parseARN splits an ARN of the given resource type into the names after
// the type, and checks that the region and account are the engine's, by
// rebuilding the ARN with build. It returns InvalidArn for a malformed
// ARN and notFound for one of another region or account.
func parseARN(arn, resource string, names int, build func(parts []string) string, notFound string) ([]string, error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6+names || parts[0] != "arn" || parts[2] != "states" || parts[5] != resource {
		return nil, &apiError{Type: "InvalidArn", Message: fmt.Sprintf("invalid %s ARN %q", resource, arn)}
	}
	for _, p := range parts[6:] {
		if p == "" {
			return nil, &apiError{Type: "InvalidArn", Message: fmt.Sprintf("invalid %s ARN %q", resource, arn)}
		}
	}
	if build(parts[6:]) != arn {
		return nil, &apiError{Type: notFound, Message: fmt.Sprintf("%s %q is in another region or account", resource, arn)}
	}
	return parts[6:], nil
}

func (h *handler) machineName(arn string) (string, error) {
	if arn == "" {
		return "", validation("stateMachineArn is missing")
	}
	parts, err := parseARN(arn, "stateMachine", 1, func(p []string) string {
		return h.e.StateMachineARN(p[0])
	}, "StateMachineDoesNotExist")
	if err != nil {
		return "", err
	}
	return parts[0], nil
}

// requireMachine returns StateMachineDoesNotExist, naming the machine's
// ARN, unless machine is defined. op names the operation in the message.
func (h *handler) requireMachine(ctx context.Context, op, machine string) error {
	machines, err := h.e.Machines(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(machines, machine) {
		return machineNotFound(op, h.e.StateMachineARN(machine))
	}
	return nil
}

func machineNotFound(op, arn string) error {
	return &apiError{Type: "StateMachineDoesNotExist", Message: fmt.Sprintf("%s: state machine %s does not exist", op, arn)}
}

// execution returns the execution that an ARN names. op names the
// operation, such as "redrive execution", in the message of
// ExecutionDoesNotExist.
func (h *handler) execution(ctx context.Context, op, arn string) (engine.Execution, error) {
	if arn == "" {
		return engine.Execution{}, validation("executionArn is missing")
	}
	parts, err := parseARN(arn, "execution", 2, func(p []string) string {
		return h.e.ExecutionARN(p[0], p[1])
	}, "ExecutionDoesNotExist")
	if err != nil {
		return engine.Execution{}, err
	}
	x, err := h.e.Describe(ctx, parts[1])
	if errors.Is(err, engine.ErrExecutionNotFound) {
		return engine.Execution{}, &apiError{Type: "ExecutionDoesNotExist",
			Message: fmt.Sprintf("%s %q: %v", op, parts[1], engine.ErrExecutionNotFound)}
	}
	if err != nil {
		return engine.Execution{}, err
	}
	// Execution names are unique across machines in the engine, so an ARN
	// with another machine names no execution.
	if x.Machine != parts[0] {
		return engine.Execution{}, &apiError{Type: "ExecutionDoesNotExist",
			Message: fmt.Sprintf("%s %q: %v", op, arn, engine.ErrExecutionNotFound)}
	}
	return x, nil
}

func (h *handler) startExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string  `json:"stateMachineArn"`
		Name            *string `json:"name"`
		Input           *string `json:"input"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	// The service model gives name a minimum length of 1, so an empty
	// name is rejected and only a missing one gets a generated name.
	if in.Name != nil && *in.Name == "" {
		return nil, validation("name must have at least 1 character; leave it out to get a generated name")
	}
	machine, err := h.machineName(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if err := h.requireMachine(ctx, "start execution", machine); err != nil {
		return nil, err
	}
	name := newName()
	if in.Name != nil {
		name = *in.Name
	}
	if err := engine.ValidateName(name); err != nil {
		return nil, engineError(err)
	}
	if h.checkName != nil {
		if reason := h.checkName(machine, name); reason != "" {
			return nil, &apiError{Type: "InvalidName", Message: reason}
		}
	}
	input := "{}"
	if in.Input != nil {
		input = *in.Input
	}
	if input, err = h.prepare(ctx, machine, input); err != nil {
		return nil, err
	}
	unlock, err := h.lock(ctx, json.RawMessage(input))
	if err != nil {
		return nil, err
	}
	defer unlock()
	// A taken name gets the result that the Step Functions API reference
	// defines, before any conflict check: the running execution for the
	// same machine and input, or else ExecutionAlreadyExists, which no
	// teardown or wait resolves.
	existing, found, err := h.e.Existing(ctx, machine, name, json.RawMessage(input))
	if err != nil {
		return nil, engineError(err)
	}
	if found {
		return map[string]any{
			"executionArn": h.e.ExecutionARN(machine, existing.Name),
			"startDate":    epochSeconds(existing.StartedAt),
		}, nil
	}
	if h.startCheck != nil {
		reason, err := h.startCheck(ctx, machine, name, json.RawMessage(input))
		if err != nil {
			return nil, fmt.Errorf("check whether execution %q of %q can start: %w", name, machine, err)
		}
		if reason != "" {
			return nil, &apiError{Type: "ConflictException", Status: http.StatusConflict, Message: reason}
		}
	}
	x, err := h.e.Start(ctx, machine, name, json.RawMessage(input))
	if errors.Is(err, engine.ErrMachineNotFound) {
		// The machine was removed after requireMachine read it.
		return nil, machineNotFound("start execution", h.e.StateMachineARN(machine))
	}
	if err != nil {
		return nil, engineError(err)
	}
	return map[string]any{
		"executionArn": h.e.ExecutionARN(machine, x.Name),
		"startDate":    epochSeconds(x.StartedAt),
	}, nil
}

// lock takes the lock of Options.LockStarts for an execution with input and
// returns the function that releases it, which does nothing without that
// option.
func (h *handler) lock(ctx context.Context, input json.RawMessage) (func(), error) {
	if h.lockStarts == nil {
		return func() {}, nil
	}
	unlock, err := h.lockStarts(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("take the start lock: %w", err)
	}
	return unlock, nil
}

// newName returns a random name for an execution started without one, as
// Step Functions does.
func newName() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// listStateMachines lists every defined machine on one page.
func (h *handler) listStateMachines(ctx context.Context, _ []byte) (any, error) {
	defined, err := h.e.ListMachines(ctx)
	if err != nil {
		return nil, err
	}
	machines := []map[string]any{}
	for _, m := range defined {
		item := map[string]any{
			"stateMachineArn": h.e.StateMachineARN(m.Name),
			"name":            m.Name,
			"type":            "STANDARD",
		}
		// NOTE: a machine of an older store that nothing dates has no
		// creationDate until it is defined again, as repolink up does
		// at every start.
		if !m.CreatedAt.IsZero() {
			item["creationDate"] = epochSeconds(m.CreatedAt)
		}
		machines = append(machines, item)
	}
	return map[string]any{"stateMachines": machines}, nil
}

func (h *handler) describeExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	x, err := h.execution(ctx, "describe execution", in.ExecutionArn)
	if err != nil {
		return nil, err
	}

	out := h.summary(x)
	out["input"] = string(x.Input)
	out["inputDetails"] = map[string]bool{"included": true}
	out["redriveCount"] = x.RedriveCount
	if x.Output != nil {
		out["output"] = string(x.Output)
		out["outputDetails"] = map[string]bool{"included": true}
	}
	if x.Error != "" {
		out["error"] = x.Error
	}
	if x.Cause != "" {
		out["cause"] = x.Cause
	}

	reason, err := h.notRedrivableReason(ctx, x)
	if err != nil {
		return nil, err
	}
	out["redriveStatus"] = "REDRIVABLE"
	if reason != "" {
		out["redriveStatus"] = "NOT_REDRIVABLE"
		out["redriveStatusReason"] = reason
	}
	return out, nil
}

// Reasons of redriveStatusReason, spelled as the DescribeExecution page of
// the Step Functions API reference lists them.
const (
	reasonRunning     = "Execution is RUNNING and cannot be redriven."
	reasonSucceeded   = "Execution is SUCCEEDED and cannot be redriven."
	reasonHistoryFull = "Execution history event limit exceeded."
)

// notRedrivableReason returns why an execution cannot be redriven, or ""
// when it can: a running or succeeded execution never can, and a closed
// one cannot when its history reached the engine's event limit, when the
// engine rejects its redrive for another reason or when
// Options.RedriveCheck returns a reason.
func (h *handler) notRedrivableReason(ctx context.Context, x engine.Execution) (string, error) {
	switch {
	case x.Status == engine.StatusRunning:
		return reasonRunning, nil
	case x.Status == engine.StatusSucceeded:
		return reasonSucceeded, nil
	case x.HistoryFull:
		return reasonHistoryFull, nil
	}
	if reason := h.e.NotRedrivableReason(x); reason != "" {
		return "Execution cannot be redriven: " + reason, nil
	}
	if h.redriveCheck == nil {
		return "", nil
	}
	reason, err := h.redriveCheck(ctx, x)
	if err != nil {
		return "", fmt.Errorf("check whether execution %q can be redriven: %w", x.Name, err)
	}
	return reason, nil
}

// summary is the ExecutionListItem shape, which DescribeExecution extends.
func (h *handler) summary(x engine.Execution) map[string]any {
	out := map[string]any{
		"executionArn":    h.e.ExecutionARN(x.Machine, x.Name),
		"stateMachineArn": h.e.StateMachineARN(x.Machine),
		"name":            x.Name,
		"status":          x.Status,
		"startDate":       epochSeconds(x.StartedAt),
	}
	if !x.StoppedAt.IsZero() {
		out["stopDate"] = epochSeconds(x.StoppedAt)
	}
	if x.RedriveCount > 0 {
		out["redriveCount"] = x.RedriveCount
	}
	if !x.RedrivenAt.IsZero() {
		out["redriveDate"] = epochSeconds(x.RedrivenAt)
	}
	return out
}

func (h *handler) listExecutions(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn string          `json:"stateMachineArn"`
		StatusFilter    string          `json:"statusFilter"`
		RedriveFilter   string          `json:"redriveFilter"`
		MaxResults      json.RawMessage `json:"maxResults"`
		NextToken       string          `json:"nextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	size, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	// The Step Functions API reference allows PENDING_REDRIVE only with a
	// mapRunArn and rejects it with a stateMachineArn. The engine has no
	// Map Runs, so no request with this filter is valid.
	if in.StatusFilter == "PENDING_REDRIVE" && in.StateMachineArn != "" {
		return nil, validation("statusFilter PENDING_REDRIVE is invalid with a stateMachineArn because it needs a mapRunArn, " +
			"and this engine runs no Map Runs: leave statusFilter out or use RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
	}
	machine, err := h.machineName(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if err := h.requireMachine(ctx, "list executions", machine); err != nil {
		return nil, err
	}
	switch in.StatusFilter {
	case "", engine.StatusRunning, engine.StatusSucceeded, engine.StatusFailed, engine.StatusTimedOut,
		engine.StatusAborted:
	default:
		return nil, validation("invalid statusFilter %q: use RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED", in.StatusFilter)
	}
	// REDRIVEN lists the executions that were redriven at least once, and
	// NOT_REDRIVEN the others.
	switch in.RedriveFilter {
	case "", "REDRIVEN", "NOT_REDRIVEN":
	default:
		return nil, validation("invalid redriveFilter %q: use REDRIVEN or NOT_REDRIVEN", in.RedriveFilter)
	}

	scope := in.StateMachineArn + "\n" + in.StatusFilter + "\n" + in.RedriveFilter
	after, hasAfter, err := h.decodeToken("ListExecutions", scope, in.NextToken)
	if err != nil {
		return nil, err
	}

	// The engine lists newest first and then by name, which is the order
	// of the page keys.
	all, err := h.e.ListMachine(ctx, machine, time.Time{})
	if err != nil {
		return nil, err
	}
	var page []engine.Execution
	more := false
	for _, x := range all {
		if in.StatusFilter != "" && x.Status != in.StatusFilter {
			continue
		}
		if in.RedriveFilter != "" && (x.RedriveCount > 0) != (in.RedriveFilter == "REDRIVEN") {
			continue
		}
		if hasAfter && !listedAfter(x, after) {
			continue
		}
		if len(page) == size {
			more = true
			break
		}
		page = append(page, x)
	}

	items := make([]map[string]any, 0, len(page))
	for _, x := range page {
		items = append(items, h.summary(x))
	}
	out := map[string]any{"executions": items}
	if more {
		last := page[len(page)-1]
		out["nextToken"] = h.encodeToken("ListExecutions", scope,
			pageKey{StartedAt: last.StartedAt.UnixNano(), Name: last.Name})
	}
	return out, nil
}

// listedAfter reports whether ListExecutions lists x after the execution
// with the page key k: x started earlier, or at the same time with a
// name that sorts after k's.
func listedAfter(x engine.Execution, k pageKey) bool {
	started := x.StartedAt.UnixNano()
	return started < k.StartedAt || (started == k.StartedAt && x.Name > k.Name)
}

func (h *handler) getExecutionHistory(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn         string          `json:"executionArn"`
		MaxResults           json.RawMessage `json:"maxResults"`
		NextToken            string          `json:"nextToken"`
		ReverseOrder         bool            `json:"reverseOrder"`
		IncludeExecutionData *bool           `json:"includeExecutionData"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	size, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	x, err := h.execution(ctx, "get execution history", in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	events, err := h.e.History(ctx, x.Name)
	if err != nil {
		return nil, engineError(err)
	}

	scope := in.ExecutionArn + "\n" + strconv.FormatBool(in.ReverseOrder)
	after, hasAfter, err := h.decodeToken("GetExecutionHistory", scope, in.NextToken)
	if err != nil {
		return nil, err
	}
	if in.ReverseOrder {
		slices.Reverse(events)
	}
	// Event IDs increase in the order of the history, so the page starts
	// after the last event ID of the page before.
	if hasAfter {
		events = slices.DeleteFunc(events, func(ev engine.Event) bool {
			if in.ReverseOrder {
				return ev.ID >= after.EventID
			}
			return ev.ID <= after.EventID
		})
	}
	var next string
	if len(events) > size {
		events = events[:size]
		next = h.encodeToken("GetExecutionHistory", scope, pageKey{EventID: events[size-1].ID})
	}

	includeData := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	items := make([]map[string]any, 0, len(events))
	for _, ev := range events {
		item, err := historyEvent(ev, x.Input, includeData)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	out := map[string]any{"events": items}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (h *handler) stopExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := engine.ValidateErrorCause(in.Error, in.Cause); err != nil {
		return nil, validation("%v", err)
	}
	x, err := h.execution(ctx, "stop execution", in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	// NOTE: stopping a closed execution changes nothing and returns its
	// stop date, because the Step Functions API reference lists no error
	// for it.
	if x.Status == engine.StatusRunning {
		x, err = h.e.Stop(ctx, x.Name, in.Error, in.Cause)
		if errors.Is(err, engine.ErrNotRunning) {
			// The execution closed after it was read.
			x, err = h.e.Describe(ctx, x.Name)
		}
		if err != nil {
			return nil, engineError(err)
		}
	}
	return map[string]any{"stopDate": epochSeconds(x.StoppedAt)}, nil
}

// maxClientTokenChars is the length limit of the clientToken of
// RedriveExecution in the Step Functions service model, which also
// allows only the printable ASCII characters ! to ~.
const maxClientTokenChars = 64

func (h *handler) redriveExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn string  `json:"executionArn"`
		ClientToken  *string `json:"clientToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var token string
	if in.ClientToken != nil {
		token = *in.ClientToken
		if err := checkClientToken(token); err != nil {
			return nil, err
		}
	}
	// The lock depends on the input, which never changes, so the
	// execution is read once to find the lock and again under it for its
	// status.
	x, err := h.execution(ctx, "redrive execution", in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	unlock, err := h.lock(ctx, x.Input)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if x, err = h.execution(ctx, "redrive execution", in.ExecutionArn); err != nil {
		return nil, err
	}
	if x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded {
		reason, err := h.notRedrivableReason(ctx, x)
		if err != nil {
			return nil, err
		}
		if reason != "" {
			return nil, &apiError{Type: "ExecutionNotRedrivable", Message: reason}
		}
	}
	redrivenAt, err := h.e.RedriveWithToken(ctx, x.Name, token)
	if err != nil {
		return nil, engineError(err)
	}
	return map[string]any{"redriveDate": epochSeconds(redrivenAt)}, nil
}

// checkClientToken returns a ValidationException for a clientToken that
// the Step Functions service model does not allow.
func checkClientToken(token string) error {
	for _, r := range token {
		if r < '!' || r > '~' {
			return validation("clientToken must contain only the printable ASCII characters ! to ~, found %q", r)
		}
	}
	if token == "" || len(token) > maxClientTokenChars {
		return validation("clientToken must have 1 to %d characters, has %d", maxClientTokenChars, len(token))
	}
	return nil
}

func (h *handler) sendTaskSuccess(ctx context.Context, body []byte) (any, error) {
	var in struct {
		TaskToken string  `json:"taskToken"`
		Output    *string `json:"output"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkTaskToken(in.TaskToken); err != nil {
		return nil, err
	}
	if in.Output == nil {
		return nil, validation("output is missing")
	}
	return struct{}{}, engineError(h.e.SendTaskSuccess(ctx, in.TaskToken, json.RawMessage(*in.Output)))
}

func (h *handler) sendTaskFailure(ctx context.Context, body []byte) (any, error) {
	var in struct {
		TaskToken string `json:"taskToken"`
		Error     string `json:"error"`
		Cause     string `json:"cause"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkTaskToken(in.TaskToken); err != nil {
		return nil, err
	}
	if err := engine.ValidateErrorCause(in.Error, in.Cause); err != nil {
		return nil, validation("%v", err)
	}
	return struct{}{}, engineError(h.e.SendTaskFailure(ctx, in.TaskToken, in.Error, in.Cause))
}

func (h *handler) sendTaskHeartbeat(ctx context.Context, body []byte) (any, error) {
	var in struct {
		TaskToken string `json:"taskToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkTaskToken(in.TaskToken); err != nil {
		return nil, err
	}
	return struct{}{}, engineError(h.e.SendTaskHeartbeat(ctx, in.TaskToken))
}

// maxTaskTokenChars is the length limit of a taskToken in the Step
// Functions service model.
const maxTaskTokenChars = 1024

// checkTaskToken returns the error that Step Functions returns for a
// taskToken that no task can have: ValidationException for a missing or
// too long one, and InvalidToken for one that is not of the engine's
// token format. A well-formed token that no task has is left to the
// engine, which returns TaskDoesNotExist.
func checkTaskToken(token string) error {
	switch {
	case token == "":
		return validation("taskToken is missing")
	case utf8.RuneCountInString(token) > maxTaskTokenChars:
		return validation("taskToken has %d characters, more than the limit of %d", utf8.RuneCountInString(token), maxTaskTokenChars)
	case !engine.WellFormedTaskToken(token):
		return &apiError{Type: "InvalidToken",
			Message: "invalid taskToken: pass the token exactly as the task received it in $$.Task.Token"}
	}
	return nil
}
