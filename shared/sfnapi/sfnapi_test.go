package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/engine"
)

const (
	region  = "us-east-1"
	account = "123456789012"
)

func machineARN(name string) string {
	return "arn:aws:states:" + region + ":" + account + ":stateMachine:" + name
}

func executionARN(machine, name string) string {
	return "arn:aws:states:" + region + ":" + account + ":execution:" + machine + ":" + name
}

// fixture is an engine with its Run loop, served over httptest and reached
// with the real Step Functions client.
type fixture struct {
	e      *engine.Engine
	client *sfn.Client
	url    string
	path   string // the engine's store
}

func newFixture(t *testing.T, machines map[string]string, tasks map[string]engine.TaskFunc) *fixture {
	t.Helper()
	return newFixtureWith(t, machines, tasks, Options{})
}

func newFixtureWith(t *testing.T, machines map[string]string, tasks map[string]engine.TaskFunc, opts Options) *fixture {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	path := filepath.Join(t.TempDir(), "engine.db")
	e, err := engine.Open(path, engine.Options{Region: region, Account: account})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	for name, fn := range tasks {
		e.Register(name, fn)
	}
	for name, def := range machines {
		if err := e.Define(name, []byte(def)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	srv := httptest.NewServer(New(e, opts))
	t.Cleanup(srv.Close)
	return &fixture{e: e, client: newClient(srv.URL), url: srv.URL, path: path}
}

// newClient returns a Step Functions client of the server at url.
func newClient(url string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:           region,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "dummy-secret", ""),
		RetryMaxAttempts: 1,
	})
}

// wait blocks until the execution is closed.
func (f *fixture) wait(t *testing.T, name string) engine.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, err := f.e.Wait(ctx, name)
	if err != nil {
		t.Fatalf("wait for %s: %v", name, err)
	}
	return x
}

const echoMachine = `{"StartAt":"Echo","States":{"Echo":{"Type":"Task","Resource":"echo","End":true}}}`

func echo(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil }

func TestStartDescribeList(t *testing.T) {
	f := newFixture(t, map[string]string{"m": echoMachine, "other": echoMachine}, map[string]engine.TaskFunc{"echo": echo})
	ctx := context.Background()

	started, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")),
		Name:            aws.String("first"),
		Input:           aws.String(`{"n":1}`),
	})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	if got, want := aws.ToString(started.ExecutionArn), executionARN("m", "first"); got != want {
		t.Errorf("executionArn = %s, want %s", got, want)
	}
	if started.StartDate == nil || time.Since(*started.StartDate) > time.Minute {
		t.Errorf("startDate = %v, want about now", started.StartDate)
	}
	f.wait(t, "first")

	described, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if described.Status != types.ExecutionStatusSucceeded {
		t.Errorf("status = %s, want SUCCEEDED", described.Status)
	}
	if got := aws.ToString(described.Output); got != `{"n":1}` {
		t.Errorf("output = %s, want {\"n\":1}", got)
	}
	if got := aws.ToString(described.Input); got != `{"n":1}` {
		t.Errorf("input = %s, want {\"n\":1}", got)
	}
	if got := aws.ToString(described.StateMachineArn); got != machineARN("m") {
		t.Errorf("stateMachineArn = %s, want %s", got, machineARN("m"))
	}
	if described.StopDate == nil || described.StopDate.Before(*described.StartDate) {
		t.Errorf("stopDate = %v, want at or after startDate %v", described.StopDate, described.StartDate)
	}
	if described.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable {
		t.Errorf("redriveStatus = %s, want NOT_REDRIVABLE", described.RedriveStatus)
	}

	// Without a name, Step Functions makes one up.
	unnamed, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machineARN("m"))})
	if err != nil {
		t.Fatalf("StartExecution without a name: %v", err)
	}
	name := aws.ToString(unnamed.ExecutionArn)[len(executionARN("m", "")):]
	if len(name) != 36 {
		t.Errorf("generated name %q, want a UUID", name)
	}
	f.wait(t, name)
	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("other")), Name: aws.String("elsewhere"),
	}); err != nil {
		t.Fatal(err)
	}
	f.wait(t, "elsewhere")

	var listed []string
	var token *string
	for {
		page, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{
			StateMachineArn: aws.String(machineARN("m")),
			StatusFilter:    types.ExecutionStatusSucceeded,
			MaxResults:      1,
			NextToken:       token,
		})
		if err != nil {
			t.Fatalf("ListExecutions: %v", err)
		}
		for _, item := range page.Executions {
			listed = append(listed, aws.ToString(item.Name))
			if item.Status != types.ExecutionStatusSucceeded {
				t.Errorf("%s listed with status %s", aws.ToString(item.Name), item.Status)
			}
		}
		if page.NextToken == nil {
			break
		}
		token = page.NextToken
	}
	if len(listed) != 2 || !contains(listed, "first") || !contains(listed, name) {
		t.Errorf("listed %v, want first and %s, one per page", listed, name)
	}

	running, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(machineARN("m")), StatusFilter: types.ExecutionStatusRunning,
	})
	if err != nil || len(running.Executions) != 0 {
		t.Errorf("ListExecutions RUNNING = %v, %v, want none", running, err)
	}
}

func TestListExecutionsPendingRedrive(t *testing.T) {
	f := newFixture(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo})
	_, err := f.client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(machineARN("m")), StatusFilter: types.ExecutionStatusPendingRedrive,
	})
	var invalid *types.ValidationException
	if !errors.As(err, &invalid) {
		t.Fatalf("ListExecutions PENDING_REDRIVE: error = %v, want ValidationException", err)
	}
	if !strings.Contains(invalid.ErrorMessage(), "mapRunArn") {
		t.Errorf("message %q does not name mapRunArn", invalid.ErrorMessage())
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// unknownToken has the form of a task token, but no task has it.
var unknownToken = "T" + strings.Repeat("A", 64)

func TestErrors(t *testing.T) {
	f := newFixture(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo})
	ctx := context.Background()
	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("done"), Input: aws.String(`{}`),
	}); err != nil {
		t.Fatal(err)
	}
	f.wait(t, "done")

	tests := []struct {
		name string
		call func() error
		want string // the error code, which the SDK also maps to types.<code>
	}{
		{"describe unknown execution", func() error {
			_, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN("m", "nope"))})
			return err
		}, "ExecutionDoesNotExist"},
		{"describe with another machine", func() error {
			_, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN("x", "done"))})
			return err
		}, "ExecutionDoesNotExist"},
		{"describe another account", func() error {
			_, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{
				ExecutionArn: aws.String("arn:aws:states:us-east-1:999999999999:execution:m:done")})
			return err
		}, "ExecutionDoesNotExist"},
		{"malformed ARN", func() error {
			_, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("done")})
			return err
		}, "InvalidArn"},
		{"start closed name", func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(machineARN("m")), Name: aws.String("done"), Input: aws.String(`{}`)})
			return err
		}, "ExecutionAlreadyExists"},
		{"start invalid name", func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(machineARN("m")), Name: aws.String("a b")})
			return err
		}, "InvalidName"},
		{"start name with zero width space", func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(machineARN("m")), Name: aws.String("do\u200bne")})
			return err
		}, "InvalidName"},
		{"start invalid input", func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(machineARN("m")), Name: aws.String("bad-input"), Input: aws.String(`{`)})
			return err
		}, "InvalidExecutionInput"},
		{"start unknown machine", func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machineARN("nope"))})
			return err
		}, "StateMachineDoesNotExist"},
		{"redrive succeeded execution", func() error {
			_, err := f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(executionARN("m", "done"))})
			return err
		}, "ExecutionNotRedrivable"},
		{"task success unknown token", func() error {
			_, err := f.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(unknownToken), Output: aws.String(`{}`)})
			return err
		}, "TaskDoesNotExist"},
		{"heartbeat unknown token", func() error {
			_, err := f.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(unknownToken)})
			return err
		}, "TaskDoesNotExist"},
		{"task success token without T", func() error {
			_, err := f.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{
				TaskToken: aws.String(unknownToken[1:]), Output: aws.String(`{}`)})
			return err
		}, "TaskDoesNotExist"},
		{"task success malformed token", func() error {
			_, err := f.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("unknown"), Output: aws.String(`{}`)})
			return err
		}, "InvalidToken"},
		{"task failure malformed token", func() error {
			_, err := f.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(unknownToken + "A")})
			return err
		}, "InvalidToken"},
		{"heartbeat malformed token", func() error {
			_, err := f.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String("T" + strings.Repeat("!", 64))})
			return err
		}, "InvalidToken"},
		{"heartbeat token too long", func() error {
			_, err := f.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(strings.Repeat("T", 1025))})
			return err
		}, "ValidationException"},
		{"task failure error too long", func() error {
			_, err := f.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{
				TaskToken: aws.String(unknownToken), Error: aws.String(strings.Repeat("e", 257))})
			return err
		}, "ValidationException"},
		{"stop with error too long", func() error {
			_, err := f.client.StopExecution(ctx, &sfn.StopExecutionInput{
				ExecutionArn: aws.String(executionARN("m", "done")), Error: aws.String(strings.Repeat("e", 257))})
			return err
		}, "ValidationException"},
		{"stop with cause too long", func() error {
			_, err := f.client.StopExecution(ctx, &sfn.StopExecutionInput{
				ExecutionArn: aws.String(executionARN("m", "done")), Cause: aws.String(strings.Repeat("c", 32769))})
			return err
		}, "ValidationException"},
		{"list unknown machine", func() error {
			_, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineARN("nope"))})
			return err
		}, "StateMachineDoesNotExist"},
		{"redrive with invalid client token", func() error {
			_, err := f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{
				ExecutionArn: aws.String(executionARN("m", "done")), ClientToken: aws.String(strings.Repeat("t", 65))})
			return err
		}, "ValidationException"},
		{"list invalid token", func() error {
			_, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{
				StateMachineArn: aws.String(machineARN("m")), NextToken: aws.String("%%%")})
			return err
		}, "InvalidToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v, want the API error %s", err, tt.want)
			}
			if apiErr.ErrorCode() != tt.want {
				t.Errorf("error code = %s (%v), want %s", apiErr.ErrorCode(), err, tt.want)
			}
		})
	}
}

const callbackMachine = `{"StartAt":"Approve","States":{"Approve":{"Type":"Task",
	"Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","HeartbeatSeconds":60,
	"Parameters":{"FunctionName":"register",
	"Payload":{"execution.$":"$$.Execution.Name","token.$":"$$.Task.Token"}},"End":true}}}`

// tokens collects the task tokens that the register task receives, each
// with the name of its execution: two executions reach the task in either
// order.
type tokens struct{ ch chan [2]string }

func (k *tokens) register(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	var payload struct {
		Execution string `json:"execution"`
		Token     string `json:"token"`
	}
	if err := json.Unmarshal(in, &payload); err != nil {
		return nil, err
	}
	k.ch <- [2]string{payload.Execution, payload.Token}
	return json.RawMessage(`{}`), nil
}

func TestTaskTokens(t *testing.T) {
	k := &tokens{ch: make(chan [2]string, 2)}
	f := newFixture(t, map[string]string{"m": callbackMachine}, map[string]engine.TaskFunc{"register": k.register})
	ctx := context.Background()
	for _, name := range []string{"approved", "rejected"} {
		if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
			StateMachineArn: aws.String(machineARN("m")), Name: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	byExecution := map[string]string{}
	for range 2 {
		got := <-k.ch
		byExecution[got[0]] = got[1]
	}
	first, second := byExecution["approved"], byExecution["rejected"]

	if _, err := f.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(first)}); err != nil {
		t.Errorf("SendTaskHeartbeat: %v", err)
	}
	if _, err := f.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{
		TaskToken: aws.String(first), Output: aws.String(`{"ok":true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	if _, err := f.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{
		TaskToken: aws.String(second), Error: aws.String("Rejected"), Cause: aws.String("by hand")}); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}

	results := map[string]engine.Execution{}
	for _, name := range []string{"approved", "rejected"} {
		results[name] = f.wait(t, name)
	}
	if x := results["approved"]; x.Status != engine.StatusSucceeded || string(x.Output) != `{"ok":true}` {
		t.Errorf("approved: %s with %s, want SUCCEEDED with {\"ok\":true}", x.Status, x.Output)
	}
	if x := results["rejected"]; x.Status != engine.StatusFailed || x.Error != "Rejected" || x.Cause != "by hand" {
		t.Errorf("rejected: %s %s %q, want FAILED Rejected \"by hand\"", x.Status, x.Error, x.Cause)
	}

	// The token of a closed task is TaskTimedOut, as in Step Functions.
	_, err := f.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(first), Output: aws.String(`{}`)})
	var timedOut *types.TaskTimedOut
	if !errors.As(err, &timedOut) {
		t.Errorf("second SendTaskSuccess: error = %v, want TaskTimedOut", err)
	}
	_, err = f.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(first), Output: aws.String(`{`)})
	var invalidOutput *types.InvalidOutput
	if !errors.As(err, &invalidOutput) {
		t.Errorf("SendTaskSuccess with invalid JSON: error = %v, want InvalidOutput", err)
	}
}

const blockingMachine = `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"work","End":true}}}`

func TestStopAndRedrive(t *testing.T) {
	var calls atomic.Int32
	started := make(chan struct{}, 2)
	work := func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		n := calls.Add(1)
		started <- struct{}{}
		if n == 1 {
			<-ctx.Done() // the first call runs until the execution is stopped
			return nil, ctx.Err()
		}
		return json.RawMessage(`"second call"`), nil
	}
	f := newFixture(t, map[string]string{"m": blockingMachine}, map[string]engine.TaskFunc{"work": work})
	ctx := context.Background()
	arn := aws.String(executionARN("m", "run"))
	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("run")}); err != nil {
		t.Fatal(err)
	}
	<-started

	stopped, err := f.client.StopExecution(ctx, &sfn.StopExecutionInput{
		ExecutionArn: arn, Error: aws.String("Operator"), Cause: aws.String("stopped from the API")})
	if err != nil {
		t.Fatalf("StopExecution: %v", err)
	}
	if stopped.StopDate == nil {
		t.Error("StopExecution returned no stopDate")
	}
	described, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if described.Status != types.ExecutionStatusAborted || aws.ToString(described.Error) != "Operator" {
		t.Errorf("after StopExecution: %s %s, want ABORTED Operator", described.Status, aws.ToString(described.Error))
	}
	if described.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
		t.Errorf("redriveStatus = %s, want REDRIVABLE", described.RedriveStatus)
	}
	again, err := f.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: arn})
	if err != nil || !again.StopDate.Equal(*stopped.StopDate) {
		t.Errorf("second StopExecution = %v, %v, want the first stop date %v", again.StopDate, err, stopped.StopDate)
	}

	redriven, err := f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatalf("RedriveExecution: %v", err)
	}
	if redriven.RedriveDate == nil || redriven.RedriveDate.Before(*stopped.StopDate) {
		t.Errorf("redriveDate = %v, want after the stop date %v", redriven.RedriveDate, stopped.StopDate)
	}
	x := f.wait(t, "run")
	if x.Status != engine.StatusSucceeded || string(x.Output) != `"second call"` || x.RedriveCount != 1 {
		t.Errorf("after redrive: %s with %s, redrive count %d, want SUCCEEDED with \"second call\", 1",
			x.Status, x.Output, x.RedriveCount)
	}
}

func TestGetExecutionHistory(t *testing.T) {
	f := newFixture(t, map[string]string{"m": `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Result":{"a":1},"Next":"Echo"},
		"Echo":{"Type":"Task","Resource":"echo","End":true}}}`}, map[string]engine.TaskFunc{"echo": echo})
	ctx := context.Background()
	arn := aws.String(executionARN("m", "run"))
	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("run"), Input: aws.String(`{"in":true}`)}); err != nil {
		t.Fatal(err)
	}
	f.wait(t, "run")

	var events []types.HistoryEvent
	var token *string
	for {
		page, err := f.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{
			ExecutionArn: arn, MaxResults: 3, NextToken: token})
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		events = append(events, page.Events...)
		if page.NextToken == nil {
			break
		}
		token = page.NextToken
	}
	var gotTypes []types.HistoryEventType
	for i, ev := range events {
		gotTypes = append(gotTypes, ev.Type)
		if ev.Id != int64(i+1) {
			t.Errorf("event %d has id %d", i+1, ev.Id)
		}
	}
	wantTypes := []types.HistoryEventType{"ExecutionStarted", "PassStateEntered", "PassStateExited", "TaskStateEntered",
		"TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if diff := cmp.Diff(wantTypes, gotTypes); diff != "" {
		t.Fatalf("event types (-want +got):\n%s", diff)
	}

	checks := []struct {
		field, got, want string
	}{
		{"executionStarted.input", aws.ToString(events[0].ExecutionStartedEventDetails.Input), `{"in":true}`},
		{"passStateEntered.name", aws.ToString(events[1].StateEnteredEventDetails.Name), "P"},
		{"passStateExited.output", aws.ToString(events[2].StateExitedEventDetails.Output), `{"a":1}`},
		{"taskScheduled.resource", aws.ToString(events[4].TaskScheduledEventDetails.Resource), "echo"},
		{"taskScheduled.parameters", aws.ToString(events[4].TaskScheduledEventDetails.Parameters), `{"a":1}`},
		{"taskSucceeded.output", aws.ToString(events[6].TaskSucceededEventDetails.Output), `{"a":1}`},
		{"executionSucceeded.output", aws.ToString(events[8].ExecutionSucceededEventDetails.Output), `{"a":1}`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.field, c.got, c.want)
		}
	}

	reversed, err := f.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{
		ExecutionArn: arn, ReverseOrder: true, IncludeExecutionData: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if first := reversed.Events[0]; first.Type != "ExecutionSucceeded" || first.ExecutionSucceededEventDetails.Output != nil {
		t.Errorf("reversed history starts with %s with output %v, want ExecutionSucceeded without data",
			first.Type, first.ExecutionSucceededEventDetails.Output)
	}
}

func TestProtocolErrors(t *testing.T) {
	f := newFixture(t, nil, nil)
	tests := []struct {
		name, method, target, body string
		status                     int
		errorType                  string
	}{
		{"unknown operation", http.MethodPost, "AWSStepFunctions.CreateStateMachine", `{}`, 400, "UnknownOperationException"},
		{"missing target", http.MethodPost, "", `{}`, 400, "UnknownOperationException"},
		{"GET", http.MethodGet, "AWSStepFunctions.ListExecutions", ``, 405, "UnknownOperationException"},
		{"invalid body", http.MethodPost, "AWSStepFunctions.DescribeExecution", `{`, 400, "SerializationException"},
		{"missing ARN", http.MethodPost, "AWSStepFunctions.DescribeExecution", `{}`, 400, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, f.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("body %s: %v", raw, err)
			}
			if body.Type != tt.errorType || body.Message == "" {
				t.Errorf("body = %s, want __type %s and a message", raw, tt.errorType)
			}
		})
	}
}

func TestMissingExecutionNamesOperation(t *testing.T) {
	f := newFixture(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo})
	ctx := context.Background()
	arn := aws.String(executionARN("m", "NOPE"))
	tests := []struct {
		operation string
		call      func() error
	}{
		{"describe execution", func() error {
			_, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
			return err
		}},
		{"redrive execution", func() error {
			_, err := f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: arn})
			return err
		}},
		{"stop execution", func() error {
			_, err := f.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: arn})
			return err
		}},
		{"get execution history", func() error {
			_, err := f.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: arn})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.operation, func(t *testing.T) {
			var notFound *types.ExecutionDoesNotExist
			if err := tt.call(); !errors.As(err, &notFound) {
				t.Fatalf("error = %v, want ExecutionDoesNotExist", err)
			}
			if want := tt.operation + ` "NOPE": execution not found`; notFound.ErrorMessage() != want {
				t.Errorf("message = %q, want %q", notFound.ErrorMessage(), want)
			}
		})
	}
}

func TestInputAsGiven(t *testing.T) {
	f := newFixture(t, map[string]string{"m": `{"StartAt":"Echo","States":{
		"Echo":{"Type":"Task","Resource":"${echo}","End":true}}}`}, map[string]engine.TaskFunc{"echo": echo})
	ctx := context.Background()
	input := `{"pad": "\u00e9<&>"}`
	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("run"), Input: aws.String(input)}); err != nil {
		t.Fatal(err)
	}
	f.wait(t, "run")
	arn := aws.String(executionARN("m", "run"))

	described, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(described.Input); got != input {
		t.Errorf("DescribeExecution input = %s, want %s as given", got, input)
	}
	history, err := f.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(history.Events[0].ExecutionStartedEventDetails.Input); got != input {
		t.Errorf("ExecutionStarted input = %s, want %s as given", got, input)
	}

	// A ${name} placeholder shows as the function that ran, as if
	// DefinitionSubstitutions had filled it.
	for _, ev := range history.Events {
		if ev.Type == types.HistoryEventTypeTaskScheduled {
			if got := aws.ToString(ev.TaskScheduledEventDetails.Resource); got != "echo" {
				t.Errorf("TaskScheduled resource = %s, want echo", got)
			}
		}
	}

	// The 256 KiB limit applies to the input as given: each \u00e9 is 6
	// bytes here and 2 bytes once decoded.
	large := `{"pad":"` + strings.Repeat(`\u00e9`, 256<<10/6+1) + `"}`
	_, err = f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("large"), Input: aws.String(large)})
	var invalid *types.InvalidExecutionInput
	if !errors.As(err, &invalid) {
		t.Errorf("StartExecution with %d bytes of input: error = %v, want InvalidExecutionInput", len(large), err)
	}
}

func TestStartCheckName(t *testing.T) {
	opts := Options{CheckName: func(machine, name string) string {
		if machine == "m" && strings.HasSuffix(name, "-reserved") {
			return "names ending in -reserved are for the other machine"
		}
		return ""
	}}
	f := newFixtureWith(t, map[string]string{"m": echoMachine, "other": echoMachine}, map[string]engine.TaskFunc{"echo": echo}, opts)
	ctx := context.Background()

	_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("x-reserved"), Input: aws.String(`{}`)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidName" {
		t.Fatalf("start m x-reserved: %v, want InvalidName", err)
	}
	if !strings.Contains(apiErr.ErrorMessage(), "ending in -reserved") {
		t.Errorf("message %q does not give the reason", apiErr.ErrorMessage())
	}
	if _, err := f.e.Describe(ctx, "x-reserved"); !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("rejected execution exists: %v", err)
	}

	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("other")), Name: aws.String("y-reserved"), Input: aws.String(`{}`)}); err != nil {
		t.Errorf("start other y-reserved: %v, want started", err)
	}
}

func TestSerializationMessages(t *testing.T) {
	f := newFixture(t, nil, nil)
	tests := []struct {
		operation, body, want string
	}{
		{"StartExecution", `[]`, "request body must be a JSON object, not a JSON array"},
		{"StartExecution", `{"name": 5}`, "name must be a string, not a JSON number"},
		{"StartExecution", `{"input": {"request": {}}}`, "input must be a string, not a JSON object"},
		{"DescribeExecution", `{"executionArn": 5}`, "executionArn must be a string, not a JSON number"},
		{"ListExecutions", `{"maxResults": "x"}`, "maxResults must be a whole number, not a JSON string"},
		{"ListExecutions", `{"maxResults": 1.5}`, "maxResults must be a whole number"},
		{"GetExecutionHistory", `{"reverseOrder": "yes"}`, "reverseOrder must be true or false, not a JSON string"},
		{"StopExecution", `[]`, "request body must be a JSON object, not a JSON array"},
		{"StopExecution", `{`, "request body is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.operation+" "+tt.body, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, f.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			req.Header.Set("X-Amz-Target", "AWSStepFunctions."+tt.operation)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if body.Type != "SerializationException" {
				t.Errorf("__type = %q, want SerializationException", body.Type)
			}
			if !strings.HasPrefix(body.Message, tt.want) {
				t.Errorf("message = %q, want it to start with %q", body.Message, tt.want)
			}
			for _, goWord := range []string{"Go ", "struct", "*string", "float64"} {
				if strings.Contains(body.Message, goWord) {
					t.Errorf("message %q names a Go type", body.Message)
				}
			}
		})
	}
}

func TestMachineNotFoundNamesARN(t *testing.T) {
	f := newFixture(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo})
	ctx := context.Background()
	arn := aws.String(machineARN("nope"))
	calls := map[string]func() error{
		"start without name": func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: arn})
			return err
		},
		"start with name": func() error {
			_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: arn, Name: aws.String("run")})
			return err
		},
		"list": func() error {
			_, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: arn})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			var notFound *types.StateMachineDoesNotExist
			if !errors.As(err, &notFound) {
				t.Fatalf("error = %v, want StateMachineDoesNotExist", err)
			}
			if msg := notFound.ErrorMessage(); !strings.Contains(msg, machineARN("nope")) {
				t.Errorf("message %q does not name %s", msg, machineARN("nope"))
			}
		})
	}
}
