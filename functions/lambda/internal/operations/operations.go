// Package operations serves the read-only operations API on Lambda, behind
// an API Gateway HTTP API route with IAM authorization. It has the routes
// and JSON shapes of the operations API of repolink up, and reads from
// Step Functions:
//
//	GET /v1/executions                  provision and teardown executions, newest first
//	GET /v1/executions/{name}           one provision or teardown execution with its resources
//	GET /v1/executions/{name}/history   the execution's history events
//
// The HTTP API mounts these under /operations, which the handler strips.
package operations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/request"
)

// pathPrefix is the HTTP API route prefix of the operations function.
const pathPrefix = "/operations"

// Page sizes. A list returns one page with next_token when more remain. A
// history returns up to maxHistoryEvents events, because the Lambda
// response of an HTTP API integration is limited to 6 MB.
const (
	listPageSize     = 100
	historyPageSize  = 1000
	maxHistoryEvents = 2000
	// recentEvents is how many of the newest events describe reads to find
	// the current state and the last resources.
	recentEvents = 200
)

// Executions is the part of the Step Functions adapter that the API calls.
// *sfn.Client implements it.
type Executions interface {
	ListExecutions(ctx context.Context, stateMachineARN string, opts sfn.ListOptions) ([]sfn.ExecutionSummary, string, error)
	DescribeExecution(ctx context.Context, executionARN string) (sfn.Execution, error)
	GetExecutionHistory(ctx context.Context, executionARN string, opts sfn.HistoryOptions) ([]sfn.HistoryEvent, string, error)
}

var _ Executions = (*sfn.Client)(nil)

// API serves the operations routes for the provision state machine and,
// when it is set, the teardown state machine.
type API struct {
	Executions Executions
	// StateMachineARN is the provision state machine, such as
	// arn:aws:states:us-west-2:123456789012:stateMachine:repolink-provision.
	StateMachineARN string
	// TeardownStateMachineARN is the teardown state machine, or "" when
	// the stack has none. Describe and history look a name in the form of
	// a teardown run's name up there first, and any other name when the
	// provision machine has no execution of that name.
	TeardownStateMachineARN string
	Logger                  *slog.Logger
}

// machine is a state machine that the API reads: its name for
// execview.Step, its ARN and the environment variable that sets the ARN.
type machine struct {
	name, arn, env string
}

// machines returns the state machines that the API reads, provision
// first. List merges their executions in this order.
func (a *API) machines() []machine {
	list := []machine{{execview.Provision, a.StateMachineARN, "REPOLINK_STATE_MACHINE_ARN_PROVISION"}}
	if a.TeardownStateMachineARN != "" {
		list = append(list, machine{execview.Teardown, a.TeardownStateMachineARN, "REPOLINK_STATE_MACHINE_ARN_TEARDOWN"})
	}
	return list
}

// lookupOrder returns the state machines that describe and history look
// the execution name up in, in order. A name in the form of a teardown
// run's name, such as DATA-4711-teardown, is looked up in the teardown
// machine first. Request validation rejects IDs that would give a
// provision run such a name, but a provision execution started before
// that check can still have one.
func (a *API) lookupOrder(name string) []machine {
	list := a.machines()
	if len(list) > 1 && request.IsTeardownName(name) {
		list[0], list[1] = list[1], list[0]
	}
	return list
}

// apiError is the body of every error response.
type apiError struct {
	Error string `json:"error"`
}

// Handle routes one HTTP API event. Every outcome, a failed Step Functions
// call included, is an HTTP response, so the returned error is always nil.
func (a *API) Handle(ctx context.Context, event events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	method := event.RequestContext.HTTP.Method
	path := event.RawPath
	if path == "" {
		path = event.RequestContext.HTTP.Path
	}
	// The messages name the path as the caller sent it, and the routes
	// under the same prefix.
	sent := path
	prefix := ""
	if rest, ok := strings.CutPrefix(path, pathPrefix); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
		prefix, path = pathPrefix, rest
	}

	segments := strings.Split(strings.Trim(path, "/"), "/")
	if len(segments) < 2 || len(segments) > 4 || segments[0] != "v1" || segments[1] != "executions" {
		return respond(http.StatusNotFound, apiError{Error: fmt.Sprintf("no route %q; use %[2]s/v1/executions, %[2]s/v1/executions/{name} or %[2]s/v1/executions/{name}/history",
			sent, prefix)}), nil
	}
	if len(segments) == 4 && segments[3] != "history" {
		return respond(http.StatusNotFound, apiError{Error: fmt.Sprintf("no route %q; use %s/v1/executions/{name}/history", sent, prefix)}), nil
	}
	if method != http.MethodGet {
		return respond(http.StatusMethodNotAllowed, apiError{Error: "method " + method + " is not allowed; the operations API is read-only and takes GET"}), nil
	}

	switch len(segments) {
	case 2:
		return a.list(ctx, event.QueryStringParameters), nil
	case 3:
		return a.describe(ctx, segments[2]), nil
	}
	return a.history(ctx, segments[2]), nil
}

func (a *API) describe(ctx context.Context, name string) events.APIGatewayV2HTTPResponse {
	if err := checkName(name); err != nil {
		return respond(http.StatusBadRequest, apiError{Error: err.Error()})
	}
	for _, m := range a.lookupOrder(name) {
		arn, err := executionARN(m, name)
		if err != nil {
			return a.failed("build execution ARN", name, m.arn, err)
		}
		x, err := a.Executions.DescribeExecution(ctx, arn)
		if errors.Is(err, sfn.ErrExecutionNotFound) {
			continue
		}
		if err != nil {
			return a.failed("describe execution", name, m.arn, err)
		}

		recent, _, err := a.Executions.GetExecutionHistory(ctx, arn, sfn.HistoryOptions{MaxResults: recentEvents, ReverseOrder: true})
		if err != nil {
			return a.failed("read history", name, m.arn, err)
		}
		return respond(http.StatusOK, describeView(m.name, x, recent))
	}
	return notFound(name)
}

func (a *API) history(ctx context.Context, name string) events.APIGatewayV2HTTPResponse {
	if err := checkName(name); err != nil {
		return respond(http.StatusBadRequest, apiError{Error: err.Error()})
	}
	for _, m := range a.lookupOrder(name) {
		arn, err := executionARN(m, name)
		if err != nil {
			return a.failed("build execution ARN", name, m.arn, err)
		}
		all, truncated, err := a.readHistory(ctx, arn)
		if errors.Is(err, sfn.ErrExecutionNotFound) {
			continue
		}
		if err != nil {
			return a.failed("read history", name, m.arn, err)
		}
		// NOTE: when Truncated is set, the events left out are read with
		// `aws stepfunctions get-execution-history`.
		return respond(http.StatusOK, historyResponse{Execution: name, Events: eventViews(all), Truncated: truncated})
	}
	return notFound(name)
}

// readHistory reads the events of the execution arn, at most
// maxHistoryEvents of them, and reports whether it left any out. A longer
// history keeps its oldest historyPageSize events and its newest ones,
// because the newest contain the failure and the state that the execution
// is in.
func (a *API) readHistory(ctx context.Context, arn string) ([]sfn.HistoryEvent, bool, error) {
	oldest, token, err := a.Executions.GetExecutionHistory(ctx, arn, sfn.HistoryOptions{MaxResults: historyPageSize})
	if err != nil || token == "" {
		return oldest, false, err
	}
	var lastRead int64
	if len(oldest) > 0 {
		lastRead = oldest[len(oldest)-1].ID
	}

	var newest []sfn.HistoryEvent
	token = ""
	for len(oldest)+len(newest) < maxHistoryEvents {
		page, next, err := a.Executions.GetExecutionHistory(ctx, arn, sfn.HistoryOptions{MaxResults: historyPageSize, NextToken: token, ReverseOrder: true})
		if err != nil {
			return nil, false, err
		}
		for _, ev := range page {
			if ev.ID <= lastRead || len(oldest)+len(newest) == maxHistoryEvents {
				next = ""
				break
			}
			newest = append(newest, ev)
		}
		if token = next; token == "" {
			break
		}
	}
	slices.Reverse(newest)
	left := len(newest) > 0 && newest[0].ID > lastRead+1
	return append(oldest, newest...), left, nil
}

// historyResponse is the body of GET /v1/executions/{name}/history.
// Truncated is set when the execution has more than maxHistoryEvents
// events, and the ones left out are between the oldest and the newest.
type historyResponse struct {
	Execution string      `json:"execution"`
	Events    []eventView `json:"events"`
	Truncated bool        `json:"truncated,omitempty"`
}

// checkName rejects a name that the StartExecution API reference does not
// allow for an execution: empty, longer than 80 characters, not UTF-8, or
// with whitespace, control characters (U+0000 to U+001F, U+007F to U+009F,
// U+FFFE and U+FFFF) or any of < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /.
// The ":" and "/" would also change the ARN that the name goes into.
func checkName(name string) error {
	length := utf8.RuneCountInString(name)
	invalid := length == 0 || length > 80 || !utf8.ValidString(name) || strings.ContainsFunc(name, notAllowedInName)
	if invalid {
		return fmt.Errorf("invalid execution name %q; use a name that GET /v1/executions lists", name)
	}
	return nil
}

func notAllowedInName(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF ||
		strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r)
}

// executionARN returns the ARN of the execution called name of the state
// machine m, or an error naming m's variable when m's ARN is not a state
// machine ARN.
func executionARN(m machine, name string) (string, error) {
	if !strings.Contains(m.arn, ":stateMachine:") {
		return "", fmt.Errorf("state machine ARN %q has no :stateMachine: part; check %s", m.arn, m.env)
	}
	return sfn.ExecutionARN(m.arn, name), nil
}

// failed logs a failed call on the state machine stateMachineARN with
// the error and returns a 500 response without it. name is the execution,
// or "" for a list.
func (a *API) failed(op, name, stateMachineARN string, err error) events.APIGatewayV2HTTPResponse {
	log := a.logger().With("state_machine", stateMachineARN)
	if name != "" {
		log = log.With("execution", name)
	}
	log.Error(op+" failed", "error", err)
	return respond(http.StatusInternalServerError, apiError{Error: op + " failed; the function log has the cause"})
}

func (a *API) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func notFound(name string) events.APIGatewayV2HTTPResponse {
	return respond(http.StatusNotFound, apiError{Error: "no execution named " + name})
}

func respond(status int, body any) events.APIGatewayV2HTTPResponse {
	data, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":"encode response failed"}`)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(data),
	}
}
