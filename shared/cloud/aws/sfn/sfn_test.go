package sfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
)

func TestMain(m *testing.M) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

const (
	machineARN   = "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision"
	executionARN = "arn:aws:states:us-west-2:123456789012:execution:rl-provision:DATA-4711"
)

// call is one JSON-protocol request that the server received.
type call struct {
	Target string
	Body   map[string]any
}

// reply is the canned response to one operation.
type reply struct {
	status int
	body   string
}

// server is an httptest Step Functions endpoint that records requests and
// returns the canned reply of each operation.
type server struct {
	*httptest.Server
	mu      sync.Mutex
	calls   []call
	replies map[string]reply
}

func newServer(t *testing.T, replies map[string]reply) (*server, *sfn.Client) {
	t.Helper()
	s := &server{replies: replies}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)

	api := sdk.New(sdk.Options{
		Region:           "us-west-2",
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		RetryMaxAttempts: 1,
	})
	return s, sfn.New(api)
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	target := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(data, &body)

	s.mu.Lock()
	s.calls = append(s.calls, call{Target: target, Body: body})
	rep, ok := s.replies[target]
	s.mu.Unlock()

	if !ok {
		rep = reply{status: http.StatusBadRequest, body: `{"__type":"UnknownOperationException","message":"no reply for ` + target + `"}`}
	}
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (s *server) recorded() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.calls...)
}

func TestStartExecution(t *testing.T) {
	srv, client := newServer(t, map[string]reply{
		"StartExecution": {body: `{"executionArn":"` + executionARN + `","startDate":1740830400}`},
	})

	got, err := client.StartExecution(context.Background(), machineARN, "DATA-4711", json.RawMessage(`{"request":{"id":"DATA-4711"}}`))
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	want := sfn.Started{ARN: executionARN, StartDate: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("StartExecution (-want +got):\n%s", diff)
	}

	wantCalls := []call{{Target: "StartExecution", Body: map[string]any{
		"stateMachineArn": machineARN,
		"name":            "DATA-4711",
		"input":           `{"request":{"id":"DATA-4711"}}`,
	}}}
	if diff := cmp.Diff(wantCalls, srv.recorded()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestDescribeExecution(t *testing.T) {
	_, client := newServer(t, map[string]reply{
		"DescribeExecution": {body: `{
			"executionArn":"` + executionARN + `",
			"stateMachineArn":"` + machineARN + `",
			"name":"DATA-4711",
			"status":"FAILED",
			"startDate":1740830400,
			"stopDate":1740834000,
			"input":"{\"request\":{}}",
			"error":"Rejected",
			"cause":"connection rejected",
			"redriveCount":1,
			"redriveStatus":"REDRIVABLE"
		}`},
	})

	got, err := client.DescribeExecution(context.Background(), executionARN)
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	want := sfn.Execution{
		ARN:             executionARN,
		Name:            "DATA-4711",
		StateMachineARN: machineARN,
		Status:          "FAILED",
		StartDate:       time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		StopDate:        time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC),
		Input:           json.RawMessage(`{"request":{}}`),
		Error:           "Rejected",
		Cause:           "connection rejected",
		RedriveCount:    1,
		RedriveStatus:   "REDRIVABLE",
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("DescribeExecution (-want +got):\n%s", diff)
	}
}

func TestSendTaskCalls(t *testing.T) {
	srv, client := newServer(t, map[string]reply{
		"SendTaskSuccess":   {body: `{}`},
		"SendTaskFailure":   {body: `{}`},
		"SendTaskHeartbeat": {body: `{}`},
	})
	ctx := context.Background()

	if err := client.SendTaskSuccess(ctx, "token-1", json.RawMessage(`{"status":"available"}`)); err != nil {
		t.Errorf("SendTaskSuccess: %v", err)
	}
	longCause := strings.Repeat("é", 40000)
	if err := client.SendTaskFailure(ctx, "token-2", "Rejected", longCause); err != nil {
		t.Errorf("SendTaskFailure: %v", err)
	}
	if err := client.SendTaskHeartbeat(ctx, "token-3"); err != nil {
		t.Errorf("SendTaskHeartbeat: %v", err)
	}

	want := []call{
		{Target: "SendTaskSuccess", Body: map[string]any{"taskToken": "token-1", "output": `{"status":"available"}`}},
		{Target: "SendTaskFailure", Body: map[string]any{"taskToken": "token-2", "error": "Rejected", "cause": strings.Repeat("é", 32768)}},
		{Target: "SendTaskHeartbeat", Body: map[string]any{"taskToken": "token-3"}},
	}
	if diff := cmp.Diff(want, srv.recorded()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	apiError := func(code string) reply {
		return reply{status: http.StatusBadRequest, body: `{"__type":"` + code + `","message":"from the test server"}`}
	}
	tests := []struct {
		name  string
		reply reply
		call  func(*sfn.Client) error
		want  error
	}{
		{"start closed name", apiError("ExecutionAlreadyExists"), start, sfn.ErrExecutionAlreadyExists},
		{"describe unknown", apiError("ExecutionDoesNotExist"), describe, sfn.ErrExecutionNotFound},
		{"success unknown token", apiError("TaskDoesNotExist"), success, sfn.ErrTokenGone},
		{"success timed out", apiError("TaskTimedOut"), success, sfn.ErrTokenGone},
		{"failure invalid token", apiError("InvalidToken"), failure, sfn.ErrTokenGone},
		{"heartbeat timed out", apiError("TaskTimedOut"), heartbeat, sfn.ErrTokenGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replies := map[string]reply{}
			for _, op := range []string{"StartExecution", "DescribeExecution", "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"} {
				replies[op] = tt.reply
			}
			_, client := newServer(t, replies)

			err := tt.call(client)
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want one wrapping %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "from the test server") {
				t.Errorf("error %q lost the API message", err)
			}
		})
	}
}

func TestServerErrorUnclassified(t *testing.T) {
	_, client := newServer(t, map[string]reply{
		"SendTaskSuccess": {status: http.StatusInternalServerError, body: `{"__type":"InternalFailure","message":"boom"}`},
	})
	err := client.SendTaskSuccess(context.Background(), "token-1", json.RawMessage(`{}`))
	if err == nil {
		t.Fatal("SendTaskSuccess: nil error, want one")
	}
	if errors.Is(err, sfn.ErrTokenGone) {
		t.Errorf("error %v wraps ErrTokenGone, so the poller would drop a wait it can still complete", err)
	}
}

func start(c *sfn.Client) error {
	_, err := c.StartExecution(context.Background(), machineARN, "DATA-4711", json.RawMessage(`{}`))
	return err
}

func describe(c *sfn.Client) error {
	_, err := c.DescribeExecution(context.Background(), executionARN)
	return err
}

func success(c *sfn.Client) error {
	return c.SendTaskSuccess(context.Background(), "token", json.RawMessage(`{}`))
}

func failure(c *sfn.Client) error {
	return c.SendTaskFailure(context.Background(), "token", "Timeout", "deadline passed")
}

func heartbeat(c *sfn.Client) error {
	return c.SendTaskHeartbeat(context.Background(), "token")
}
