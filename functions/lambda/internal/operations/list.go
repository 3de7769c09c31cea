package operations

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
)

// statuses are the values that the status query parameter accepts.
var statuses = map[string]bool{
	"RUNNING": true, "SUCCEEDED": true, "FAILED": true, "TIMED_OUT": true, "ABORTED": true, "PENDING_REDRIVE": true,
}

// listResponse is the body of GET /v1/executions. NextToken is an addition
// to the local API, which returns every execution at once.
type listResponse struct {
	Executions []executionView `json:"executions"`
	NextToken  string          `json:"next_token,omitempty"`
}

// nextTokenAdvice ends the message of every rejected next_token.
const nextTokenAdvice = "pass the next_token of the previous page with the same status, or list again without next_token"

// list merges the executions of the provision and teardown machines into
// one list, newest first, as repolink up lists them: by start date, and by
// name for equal start dates.
func (a *API) list(ctx context.Context, query map[string]string) events.APIGatewayV2HTTPResponse {
	status := strings.ToUpper(query["status"])
	if status != "" && !statuses[status] {
		return respond(http.StatusBadRequest, apiError{Error: fmt.Sprintf(
			"invalid status %q; use RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE", query["status"])})
	}
	pageSize := listPageSize
	if raw := query["max_results"]; raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1000 {
			return respond(http.StatusBadRequest, apiError{Error: fmt.Sprintf("invalid max_results %q; use a number from 1 to 1000", raw)})
		}
		pageSize = n
	}

	machines := a.machines()
	cursor := newListCursor(status, pageSize, machines)
	if raw := query["next_token"]; raw != "" {
		var err error
		if cursor, err = decodeListCursor(raw, status, machines); err != nil {
			return respond(http.StatusBadRequest, apiError{Error: fmt.Sprintf("invalid next_token: %v; %s", err, nextTokenAdvice)})
		}
	}

	streams := make([]*machineStream, len(machines))
	for i, m := range machines {
		streams[i] = &machineStream{api: a, machine: m, status: status, pageSize: cursor.PageSize, position: cursor.Machines[i]}
	}
	views := make([]executionView, 0, pageSize)
	for len(views) < pageSize {
		next, err := newest(ctx, streams)
		if err != nil {
			return a.listFailed(query["next_token"] != "", next.machine.arn, err)
		}
		if next == nil {
			break
		}
		views = append(views, summaryView(next.take()))
	}

	body := listResponse{Executions: views}
	more := false
	for i, s := range streams {
		cursor.Machines[i] = s.position
		more = more || !s.position.Done
	}
	if more {
		body.NextToken = cursor.encode()
	}
	return respond(http.StatusOK, body)
}

// listFailed returns the response to a failed ListExecutions call. Step
// Functions rejects an invalid page token with InvalidToken, and its API
// reference states that a page token expires after 24 hours.
func (a *API) listFailed(withToken bool, stateMachineARN string, err error) events.APIGatewayV2HTTPResponse {
	if withToken && errors.Is(err, sfn.ErrTokenGone) {
		a.logger().Warn("list executions rejected next_token", "state_machine", stateMachineARN, "error", err)
		return respond(http.StatusBadRequest, apiError{Error: "invalid next_token: Step Functions rejected it; " + nextTokenAdvice})
	}
	return a.failed("list executions", "", stateMachineARN, err)
}

// newest returns the stream whose next execution is the newest, or nil
// when no stream has executions left. Equal start dates go by name, and
// then by machine, provision first. When a read fails, it returns the
// stream that failed with the error.
func newest(ctx context.Context, streams []*machineStream) (*machineStream, error) {
	var best *machineStream
	for _, s := range streams {
		if err := s.fill(ctx); err != nil {
			return s, err
		}
		if len(s.page) == 0 {
			continue
		}
		if best == nil || newerThan(s.page[0], best.page[0]) {
			best = s
		}
	}
	return best, nil
}

func newerThan(x, y sfn.ExecutionSummary) bool {
	if !x.StartDate.Equal(y.StartDate) {
		return x.StartDate.After(y.StartDate)
	}
	return x.Name < y.Name
}

// machineStream reads one state machine's executions page by page from
// position.
type machineStream struct {
	api      *API
	machine  machine
	status   string
	pageSize int
	position machinePosition
	// page contains the executions of the page at position that are not
	// listed yet, and nextToken is the Step Functions token of the page
	// after it. loaded is set once the page at position has been read.
	page      []sfn.ExecutionSummary
	nextToken string
	loaded    bool
}

// fill reads pages until the stream has an execution to list or none
// remain, which sets position.Done.
func (s *machineStream) fill(ctx context.Context) error {
	for !s.position.Done && len(s.page) == 0 {
		if s.loaded {
			s.advance()
			continue
		}
		page, next, err := s.api.Executions.ListExecutions(ctx, s.machine.arn, sfn.ListOptions{
			Status: s.status, MaxResults: s.pageSize, NextToken: s.position.Token})
		if err != nil {
			return err
		}
		s.page = page[min(s.position.Skip, len(page)):]
		s.nextToken = next
		s.loaded = true
	}
	return nil
}

// take removes the stream's next execution and returns it.
func (s *machineStream) take() sfn.ExecutionSummary {
	x := s.page[0]
	s.page = s.page[1:]
	s.position.Skip++
	if len(s.page) == 0 {
		s.advance()
	}
	return x
}

// advance moves position past the page that is loaded, to the next page
// or to the end. The next page is read only when it is needed.
func (s *machineStream) advance() {
	if s.nextToken == "" {
		s.position = machinePosition{Machine: s.machine.name, Done: true}
		return
	}
	s.position = machinePosition{Machine: s.machine.name, Token: s.nextToken}
	s.page, s.nextToken, s.loaded = nil, "", false
}

// listCursor is the position of a list in each machine's executions, which
// next_token encodes. Step Functions pages depend on the status filter and
// the page size, so the cursor keeps both.
type listCursor struct {
	Version  int               `json:"v"`
	Status   string            `json:"status,omitempty"`
	PageSize int               `json:"page_size"`
	Machines []machinePosition `json:"machines"`
}

// machinePosition is the position in one machine's executions: the Step
// Functions token of the page with the next execution to list ("" for the
// first page), and how many executions of that page were listed. Done is
// set when none remain.
type machinePosition struct {
	Machine string `json:"machine"`
	Token   string `json:"token,omitempty"`
	Skip    int    `json:"skip,omitempty"`
	Done    bool   `json:"done,omitempty"`
}

// listCursorVersion is the version of the next_token format.
const listCursorVersion = 1

func newListCursor(status string, pageSize int, machines []machine) listCursor {
	c := listCursor{Version: listCursorVersion, Status: status, PageSize: pageSize}
	for _, m := range machines {
		c.Machines = append(c.Machines, machinePosition{Machine: m.name})
	}
	return c
}

func (c listCursor) encode() string {
	// Marshal cannot fail on a struct of strings, ints and bools.
	data, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(data)
}

// decodeListCursor decodes a next_token and checks that it belongs to a
// list with this status over these machines.
func decodeListCursor(token, status string, machines []machine) (listCursor, error) {
	data, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return listCursor{}, fmt.Errorf("it is not URL-safe base64: %w", err)
	}
	var c listCursor
	if err := json.Unmarshal(data, &c); err != nil {
		// The decoder's message would show the token's bytes, which the
		// caller did not write.
		return listCursor{}, errors.New("it is not a list position")
	}
	switch {
	case c.Version != listCursorVersion:
		return listCursor{}, fmt.Errorf("its version is %d, not %d", c.Version, listCursorVersion)
	case c.Status != status:
		return listCursor{}, fmt.Errorf("it is for status %q, not %q", c.Status, status)
	case c.PageSize < 1 || c.PageSize > 1000:
		return listCursor{}, fmt.Errorf("its page size %d is not from 1 to 1000", c.PageSize)
	case len(c.Machines) != len(machines):
		return listCursor{}, fmt.Errorf("it has positions in %d state machines, not %d", len(c.Machines), len(machines))
	}
	for i, p := range c.Machines {
		if p.Machine != machines[i].name || p.Skip < 0 || p.Skip > c.PageSize || (p.Done && (p.Token != "" || p.Skip != 0)) {
			return listCursor{}, fmt.Errorf("its position in state machine %d is invalid", i+1)
		}
	}
	return c, nil
}
