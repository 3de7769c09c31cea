package sfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sfnapi"
)

// callbackMachine registers its task token with the register task and waits
// for it, like the provision machine's AwaitEndpoint state.
const callbackMachine = `{"StartAt":"Await","States":{"Await":{"Type":"Task",
	"Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","HeartbeatSeconds":60,
	"Parameters":{"FunctionName":"register","Payload":{"token.$":"$$.Task.Token"}},"End":true}}}`

// engineFixture is the embedded engine served as the Step Functions API and
// reached through the adapter.
type engineFixture struct {
	engine *engine.Engine
	client *sfn.Client
	tokens chan string
}

func newEngineFixture(t *testing.T) *engineFixture {
	t.Helper()
	e, err := engine.Open(filepath.Join(t.TempDir(), "engine.db"), engine.Options{Region: "us-west-2", Account: "123456789012"})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })

	f := &engineFixture{engine: e, tokens: make(chan string, 4)}
	e.Register("register", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		var payload struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(in, &payload); err != nil {
			return nil, err
		}
		f.tokens <- payload.Token
		return json.RawMessage(`{}`), nil
	})
	if err := e.Define("rl-provision", []byte(callbackMachine)); err != nil {
		t.Fatalf("define machine: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	server := httptest.NewServer(sfnapi.New(e, sfnapi.Options{}))
	t.Cleanup(server.Close)
	f.client = sfn.New(sdk.New(sdk.Options{
		Region:           "us-west-2",
		BaseEndpoint:     aws.String(server.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		RetryMaxAttempts: 1,
	}))
	return f
}

// token returns the next task token that the register task received.
func (f *engineFixture) token(t *testing.T) string {
	t.Helper()
	select {
	case token := <-f.tokens:
		return token
	case <-time.After(10 * time.Second):
		t.Fatal("no task token within 10s")
		return ""
	}
}

func (f *engineFixture) wait(t *testing.T, name string) engine.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, err := f.engine.Wait(ctx, name)
	if err != nil {
		t.Fatalf("wait for %s: %v", name, err)
	}
	return x
}

func TestEngineCallbackRun(t *testing.T) {
	f := newEngineFixture(t)
	ctx := context.Background()
	machine := f.engine.StateMachineARN("rl-provision")
	input := json.RawMessage(`{"request":{"id":"DATA-4711"}}`)

	started, err := f.client.StartExecution(ctx, machine, "DATA-4711", input)
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	if want := f.engine.ExecutionARN("rl-provision", "DATA-4711"); started.ARN != want {
		t.Errorf("execution ARN = %s, want %s", started.ARN, want)
	}

	// A redelivered webhook starts the same name with the same input.
	again, err := f.client.StartExecution(ctx, machine, "DATA-4711", input)
	if err != nil {
		t.Fatalf("second StartExecution with the same input: %v", err)
	}
	if again.ARN != started.ARN {
		t.Errorf("second start ARN = %s, want %s", again.ARN, started.ARN)
	}
	_, err = f.client.StartExecution(ctx, machine, "DATA-4711", json.RawMessage(`{"request":{"id":"other"}}`))
	if !errors.Is(err, sfn.ErrExecutionAlreadyExists) {
		t.Errorf("start with another input: error %v, want ErrExecutionAlreadyExists", err)
	}

	token := f.token(t)
	if err := f.client.SendTaskHeartbeat(ctx, token); err != nil {
		t.Errorf("SendTaskHeartbeat: %v", err)
	}
	if err := f.client.SendTaskSuccess(ctx, token, json.RawMessage(`{"endpoint_state":"CREATED","status":"available"}`)); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	f.wait(t, "DATA-4711")

	x, err := f.client.DescribeExecution(ctx, started.ARN)
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if x.Status != "SUCCEEDED" || string(x.Output) != `{"endpoint_state":"CREATED","status":"available"}` {
		t.Errorf("execution = %s with output %s, want SUCCEEDED with the task output", x.Status, x.Output)
	}
	if x.Status != sfn.StatusSucceeded {
		t.Errorf("execution status = %s, want sfn.StatusSucceeded (%s)", x.Status, sfn.StatusSucceeded)
	}
	if x.Name != "DATA-4711" || x.StateMachineARN != machine {
		t.Errorf("execution name %q of %s, want DATA-4711 of %s", x.Name, x.StateMachineARN, machine)
	}

	// The poller drops a wait whose token is spent.
	if err := f.client.SendTaskSuccess(ctx, token, json.RawMessage(`{}`)); !errors.Is(err, sfn.ErrTokenGone) {
		t.Errorf("SendTaskSuccess of a spent token: error %v, want ErrTokenGone", err)
	}
	if err := f.client.SendTaskFailure(ctx, "not-a-token", "Timeout", "deadline passed"); !errors.Is(err, sfn.ErrTokenGone) {
		t.Errorf("SendTaskFailure of an unknown token: error %v, want ErrTokenGone", err)
	}
	_, err = f.client.StartExecution(ctx, machine, "DATA-4711", input)
	if !errors.Is(err, sfn.ErrExecutionAlreadyExists) {
		t.Errorf("start of a closed name: error %v, want ErrExecutionAlreadyExists", err)
	}
}

func TestEngineTaskFailure(t *testing.T) {
	f := newEngineFixture(t)
	ctx := context.Background()
	started, err := f.client.StartExecution(ctx, f.engine.StateMachineARN("rl-provision"), "DATA-4712", json.RawMessage(`{}`))
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}

	if err := f.client.SendTaskFailure(ctx, f.token(t), "Timeout", "awaiting operator: the endpoint was not live by the deadline"); err != nil {
		t.Fatalf("SendTaskFailure: %v", err)
	}
	f.wait(t, "DATA-4712")

	x, err := f.client.DescribeExecution(ctx, started.ARN)
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if x.Status != "FAILED" || x.Error != "Timeout" || x.Cause != "awaiting operator: the endpoint was not live by the deadline" {
		t.Errorf("execution = %s %s %q, want FAILED Timeout with the cause", x.Status, x.Error, x.Cause)
	}
}

func TestEngineDescribeUnknown(t *testing.T) {
	f := newEngineFixture(t)
	_, err := f.client.DescribeExecution(context.Background(), f.engine.ExecutionARN("rl-provision", "never-started"))
	if !errors.Is(err, sfn.ErrExecutionNotFound) {
		t.Errorf("DescribeExecution of an unknown execution: error %v, want ErrExecutionNotFound", err)
	}
}
