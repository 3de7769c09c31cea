package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/repolink/repolink/shared/engine"
)

func TestStartCheckRejects(t *testing.T) {
	const reason = "execution build of request R-1 is still running; wait for it to close"
	var mu sync.Mutex
	var checked []string
	check := func(_ context.Context, machine, name string, input json.RawMessage) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		checked = append(checked, machine+" "+name+" "+string(input))
		if machine == "teardown" && strings.Contains(string(input), "R-1") {
			return reason, nil
		}
		return "", nil
	}
	f := newFixtureWith(t, map[string]string{"teardown": echoMachine}, map[string]engine.TaskFunc{"echo": echo},
		Options{StartCheck: check})
	ctx := context.Background()

	_, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("teardown")), Name: aws.String("R-1-teardown"), Input: aws.String(`{"id":"R-1"}`)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("StartExecution of R-1-teardown: error = %v, want ConflictException", err)
	}
	if apiErr.ErrorCode() != "ConflictException" {
		t.Errorf("error code = %s, want ConflictException", apiErr.ErrorCode())
	}
	if apiErr.ErrorMessage() != reason {
		t.Errorf("error message = %q, want the reason %q", apiErr.ErrorMessage(), reason)
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() != http.StatusConflict {
		t.Errorf("HTTP status = %d, want %d", respErr.HTTPStatusCode(), http.StatusConflict)
	}
	if _, err := f.e.Describe(ctx, "R-1-teardown"); !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("R-1-teardown after the rejected start: error = %v, want ErrExecutionNotFound", err)
	}

	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("teardown")), Name: aws.String("R-2-teardown"), Input: aws.String(`{"id":"R-2"}`)}); err != nil {
		t.Errorf("StartExecution of R-2-teardown: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	want := []string{`teardown R-1-teardown {"id":"R-1"}`, `teardown R-2-teardown {"id":"R-2"}`}
	if !slices.Equal(checked, want) {
		t.Errorf("StartCheck called with %q, want %q", checked, want)
	}
}

// TestLockStartsCoversCheckAndStart checks that StartExecution and
// RedriveExecution hold the lock from the check until the engine has
// started or redriven the execution, and take the lock for the prepared
// input of the execution.
func TestLockStartsCoversCheckAndStart(t *testing.T) {
	var mu sync.Mutex
	var steps []string
	record := func(step string) {
		mu.Lock()
		defer mu.Unlock()
		steps = append(steps, step)
	}
	var f *fixture
	lock := func(_ context.Context, input json.RawMessage) (func(), error) {
		record("lock " + string(input))
		return func() {
			// Read what the engine has done by the time the lock goes.
			x, err := f.e.Describe(context.Background(), "run")
			switch {
			case err != nil:
				record("unlock before start")
			default:
				record(fmt.Sprintf("unlock after redrive %d", x.RedriveCount))
			}
		}, nil
	}
	check := func(context.Context, string, string, json.RawMessage) (string, error) {
		record("start check")
		return "", nil
	}
	redriveCheck := func(context.Context, engine.Execution) (string, error) {
		record("redrive check")
		return "", nil
	}
	prepare := func(_ context.Context, _ string, input json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(strings.TrimSuffix(string(input), "}") + `,"prepared":true}`), nil
	}
	work := newFailingWork()
	f = newFixtureWith(t, map[string]string{"m": blockingMachine}, map[string]engine.TaskFunc{"work": work.run},
		Options{StartCheck: check, RedriveCheck: redriveCheck, LockStarts: lock, PrepareInput: prepare})
	if _, err := f.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String("run"), Input: aws.String(`{"id":"R-1"}`)}); err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	f.wait(t, "run")
	if _, err := f.client.RedriveExecution(context.Background(), &sfn.RedriveExecutionInput{
		ExecutionArn: aws.String(executionARN("m", "run"))}); err != nil {
		t.Fatalf("RedriveExecution: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	const locked = `lock {"id":"R-1","prepared":true}`
	want := []string{locked, "start check", "unlock after redrive 0", locked, "redrive check", "unlock after redrive 1"}
	if !slices.Equal(steps, want) {
		t.Errorf("steps = %q, want %q", steps, want)
	}
}

// TestStartTakenNameBeforeCheck checks that a name that an execution has
// gets ExecutionAlreadyExists or the running execution, as Step Functions
// returns them, even where StartCheck would report a conflict.
func TestStartTakenNameBeforeCheck(t *testing.T) {
	const reason = "index host example.org is in use by request R-9; tear it down and then start the execution again"
	var mu sync.Mutex
	var checked []string
	check := func(_ context.Context, _, name string, _ json.RawMessage) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		checked = append(checked, name)
		return reason, nil
	}
	work := newFailingWork()
	f := newFixtureWith(t, map[string]string{"m": blockingMachine}, map[string]engine.TaskFunc{"work": work.run},
		Options{StartCheck: check})
	ctx := context.Background()
	start := func(name, input string) (*sfn.StartExecutionOutput, error) {
		return f.client.StartExecution(ctx, &sfn.StartExecutionInput{
			StateMachineArn: aws.String(machineARN("m")), Name: aws.String(name), Input: aws.String(input)})
	}

	// Both executions start through the engine, which StartCheck does not
	// see: "closed" fails at once and "open" waits in its task.
	if _, err := f.e.Start(ctx, "m", "closed", json.RawMessage(`{"id":"K2"}`)); err != nil {
		t.Fatal(err)
	}
	f.wait(t, "closed")
	work.block()
	if _, err := f.e.Start(ctx, "m", "open", json.RawMessage(`{"id":"K3"}`)); err != nil {
		t.Fatal(err)
	}
	<-work.started
	defer work.release()

	tests := []struct {
		name, execution, input string
	}{
		{"closed, other input", "closed", `{"id":"K2","host":"example.org"}`},
		{"closed, same input", "closed", `{"id":"K2"}`},
		{"running, other input", "open", `{"id":"K3","host":"example.org"}`},
	}
	for _, tt := range tests {
		_, err := start(tt.execution, tt.input)
		var exists *types.ExecutionAlreadyExists
		if !errors.As(err, &exists) {
			t.Errorf("%s: error = %v, want ExecutionAlreadyExists", tt.name, err)
		}
	}

	out, err := start("open", `{"id":"K3"}`)
	if err != nil {
		t.Fatalf("running, same input: %v, want the running execution", err)
	}
	if got, want := aws.ToString(out.ExecutionArn), executionARN("m", "open"); got != want {
		t.Errorf("running, same input: executionArn = %s, want %s", got, want)
	}

	_, err = start("new", `{"id":"K4"}`)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ConflictException" {
		t.Errorf("new name: error = %v, want ConflictException", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(checked, []string{"new"}) {
		t.Errorf("StartCheck called for %q, want only the new name", checked)
	}
}
