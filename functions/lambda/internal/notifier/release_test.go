package notifier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/repolink/repolink/functions/lambda/internal/notifier"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sfnapi"
	"github.com/repolink/repolink/shared/workflow"
)

// provisionARN is the provision machine of the release tests, served by the
// embedded engine through the Step Functions API.
const provisionARN = "arn:aws:states:us-west-2:123456789012:stateMachine:rl-provision"

// releaseMachine is a provision machine cut down to the preflight and
// endpoint steps. Each step calls the task of the same name, which the
// fixture makes fail or block.
const releaseMachine = `{"StartAt": "Preflight", "States": {
	"Preflight": {"Type": "Task", "Resource": "preflight", "Next": "Endpoint"},
	"Endpoint": {"Type": "Task", "Resource": "endpoint", "End": true}}}`

// timeoutMachine is releaseMachine with an execution timeout of one
// second.
const timeoutMachine = `{"StartAt": "Preflight", "TimeoutSeconds": 1, "States": {
	"Preflight": {"Type": "Task", "Resource": "preflight", "Next": "Endpoint"},
	"Endpoint": {"Type": "Task", "Resource": "endpoint", "End": true}}}`

// releaseFixture is the embedded engine behind the Step Functions API, a
// DynamoDB table in dynalite with its reservation store, and the tasks of
// releaseMachine.
type releaseFixture struct {
	engine *engine.Engine
	client *sfn.Client
	dynamo *dynamotest.Server
	store  *dynamo.Store
	// failPreflight fails the preflight task while it is set. Otherwise
	// preflight succeeds and the endpoint task fails.
	failPreflight atomic.Bool
	// blockPreflight makes the preflight task wait until its run is
	// stopped, in place of failing or succeeding.
	blockPreflight atomic.Bool
	// clock is the engine's clock, which a test moves past an execution's
	// TimeoutSeconds instead of waiting it out.
	clock *skewedClock
	logs  bytes.Buffer
}

// skewedClock is the wall clock moved forward by what tests add. Its
// timers are wall-clock timers, so the engine's Run loop still wakes every
// poll interval and then reads the moved time from Now.
type skewedClock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *skewedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *skewedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew += d
}

func (c *skewedClock) NewTimer(d time.Duration) engine.Timer { return wallTimer{time.NewTimer(d)} }

type wallTimer struct{ timer *time.Timer }

func (w wallTimer) C() <-chan time.Time { return w.timer.C }
func (w wallTimer) Stop() bool          { return w.timer.Stop() }

func newReleaseFixture(t *testing.T) *releaseFixture {
	t.Helper()
	dynamoServer := dynamotest.Start(t)
	dynamoServer.CreateTable(t, "repolink-notifier-test")
	f := &releaseFixture{dynamo: dynamoServer, store: dynamo.New(dynamoServer.Client(), "repolink-notifier-test"), clock: &skewedClock{}}

	e, err := engine.Open(filepath.Join(t.TempDir(), "engine.db"), engine.Options{
		Region: "us-west-2", Account: "123456789012", PollInterval: 20 * time.Millisecond, Clock: f.clock,
	})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	f.engine = e
	e.Register("preflight", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		if f.blockPreflight.Load() {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		if f.failPreflight.Load() {
			return nil, workflow.Errorf(workflow.ErrConflict, "preflight failed")
		}
		return in, nil
	})
	e.Register("endpoint", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, workflow.Errorf(workflow.ErrTransient, "provision endpoint failed")
	})
	if err := e.Define("rl-provision", []byte(releaseMachine)); err != nil {
		t.Fatalf("define machine: %v", err)
	}
	if err := e.Define("rl-provision-timeout", []byte(timeoutMachine)); err != nil {
		t.Fatalf("define timeout machine: %v", err)
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
	f.client = sfn.New(sfnsdk.New(sfnsdk.Options{
		Region:           "us-west-2",
		BaseEndpoint:     aws.String(server.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		RetryMaxAttempts: 1,
	}))
	return f
}

// notifier returns a notifier that reads executions through the Step
// Functions API, releases places in the fixture's table and logs to
// f.logs. It has no signing key, so it releases for requests without a
// notify URL only.
func (f *releaseFixture) notifier() *notifier.Notifier {
	return &notifier.Notifier{
		Executions: f.client,
		Env:        &workflow.Env{EndpointReservations: f.store},
		Logger:     slog.New(slog.NewTextHandler(&f.logs, nil)),
	}
}

// reserveLast reserves the last free place of acme-prod, which has four
// endpoints of five, for request id as execution.
func (f *releaseFixture) reserveLast(t *testing.T, id, execution string) bool {
	t.Helper()
	return f.reserve(t, id, execution, "svc-1", "svc-2", "svc-3", "svc-4")
}

// reserve reserves a place of acme-prod, which has the listed endpoints,
// for request id as execution.
func (f *releaseFixture) reserve(t *testing.T, id, execution string, listed ...string) bool {
	t.Helper()
	got, err := f.store.Reserve(t.Context(), workflow.EndpointReservation{
		Account: "acme-prod", RequestID: id, Execution: execution, Listed: listed,
		Limit: provisionendpoint.MaxEndpoints, Now: time.Now(),
	})
	if err != nil {
		t.Fatalf("reserve %s as %s: %v", id, execution, err)
	}
	return got.Reserved
}

func executionARNOf(name string) string {
	return "arn:aws:states:us-west-2:123456789012:execution:rl-provision:" + name
}

// run starts execution name of request id and waits until it has closed.
func (f *releaseFixture) run(t *testing.T, name, id string) sfn.Execution {
	t.Helper()
	input := mustJSON(t, workflow.Document{Request: request.Request{
		ID: id, Route: request.RouteAWSPrivateLink, Snowflake: request.Snowflake{Account: "acme-prod"},
	}})
	if _, err := f.client.StartExecution(t.Context(), provisionARN, name, json.RawMessage(input)); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return f.waitClosed(t, executionARNOf(name))
}

// waitStatus waits until the status of execution name of the provision
// machine meets done.
func (f *releaseFixture) waitStatus(t *testing.T, name string, done func(string) bool) sfn.Execution {
	t.Helper()
	return f.waitExecution(t, executionARNOf(name), done)
}

// waitClosed waits until the execution arn has closed.
func (f *releaseFixture) waitClosed(t *testing.T, arn string) sfn.Execution {
	t.Helper()
	return f.waitExecution(t, arn, func(status string) bool { return status != "RUNNING" })
}

func (f *releaseFixture) waitExecution(t *testing.T, arn string, done func(string) bool) sfn.Execution {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		x, err := f.client.DescribeExecution(t.Context(), arn)
		if err != nil {
			t.Fatalf("describe %s: %v", arn, err)
		}
		if done(x.Status) {
			return x
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("execution %s did not reach the expected status within 30 s", arn)
	return sfn.Execution{}
}

// closedEvent returns the status change event that EventBridge sends for
// x, with or without its input.
func closedEvent(t *testing.T, x sfn.Execution, withInput bool) json.RawMessage {
	t.Helper()
	detail := map[string]any{
		"executionArn":    x.ARN,
		"stateMachineArn": x.StateMachineARN,
		"name":            x.Name,
		"status":          x.Status,
		"startDate":       x.StartDate.UnixMilli(),
		"stopDate":        x.StopDate.UnixMilli(),
		"input":           string(x.Input),
		"inputDetails":    map[string]any{"included": true},
		"output":          nil,
		"error":           x.Error,
		"cause":           x.Cause,
		"redriveCount":    x.RedriveCount,
	}
	if !withInput {
		delete(detail, "input")
		detail["inputDetails"] = map[string]any{"included": false}
	}
	return json.RawMessage(mustJSON(t, map[string]any{
		"version":     "0",
		"detail-type": "Step Functions Execution Status Change",
		"source":      "aws.states",
		"detail":      detail,
	}))
}

func (f *releaseFixture) handle(t *testing.T, event json.RawMessage) {
	t.Helper()
	if _, err := f.notifier().Handle(t.Context(), event); err != nil {
		t.Fatalf("Handle: %v", err)
	}
}

func TestReleaseFailedAtPreflight(t *testing.T) {
	for _, withInput := range []bool{true, false} {
		t.Run(fmt.Sprintf("input in event %t", withInput), func(t *testing.T) {
			f := newReleaseFixture(t)
			f.failPreflight.Store(true)
			if !f.reserveLast(t, "DATA-1", "DATA-1") {
				t.Fatal("reserve DATA-1 rejected for the last place")
			}
			x := f.run(t, "DATA-1", "DATA-1")
			if x.Status != "FAILED" {
				t.Fatalf("DATA-1 status = %s, want FAILED", x.Status)
			}
			if f.reserveLast(t, "DATA-2", "DATA-2") {
				t.Fatal("reserve DATA-2 took the place of DATA-1 before the notifier ran")
			}

			f.handle(t, closedEvent(t, x, withInput))
			if !f.reserveLast(t, "DATA-2", "DATA-2") {
				t.Errorf("reserve DATA-2 after DATA-1 failed at preflight was rejected; log:\n%s", f.logs.String())
			}
		})
	}
}

func TestReleaseKeepsEnteredEndpoint(t *testing.T) {
	f := newReleaseFixture(t)
	// acme-prod has three endpoints, so DATA-1 and DATA-3 take the last
	// two places.
	three := []string{"svc-1", "svc-2", "svc-3"}
	for _, id := range []string{"DATA-1", "DATA-3"} {
		if !f.reserve(t, id, id, three...) {
			t.Fatalf("reserve %s rejected", id)
		}
	}
	entered := f.run(t, "DATA-1", "DATA-1")
	if entered.Status != "FAILED" {
		t.Fatalf("DATA-1 status = %s, want FAILED", entered.Status)
	}
	f.failPreflight.Store(true)
	failedEarly := f.run(t, "DATA-3", "DATA-3")

	f.handle(t, closedEvent(t, entered, true))
	f.handle(t, closedEvent(t, failedEarly, true))
	if !f.reserve(t, "DATA-2", "DATA-2", three...) {
		t.Error("reserve DATA-2 was rejected after DATA-3 failed at preflight, want the place of DATA-3")
	}
	if f.reserve(t, "DATA-4", "DATA-4", three...) {
		t.Error("reserve DATA-4 took the place of DATA-1, which entered the endpoint step")
	}
}

func TestReleaseKeepsLaterRunPlace(t *testing.T) {
	f := newReleaseFixture(t)
	f.failPreflight.Store(true)
	if !f.reserveLast(t, "DATA-1", "DATA-1") {
		t.Fatal("reserve DATA-1 rejected for the last place")
	}
	// The next run of the request takes the place over before the first
	// run's event arrives.
	if !f.reserveLast(t, "DATA-1", "DATA-1-r2") {
		t.Fatal("reserve DATA-1 as DATA-1-r2 rejected")
	}
	x := f.run(t, "DATA-1", "DATA-1")

	f.handle(t, closedEvent(t, x, true))
	if f.reserveLast(t, "DATA-2", "DATA-2") {
		t.Error("reserve DATA-2 took the place that DATA-1-r2 holds after DATA-1 failed")
	}

	later := f.run(t, "DATA-1-r2", "DATA-1")
	f.handle(t, closedEvent(t, later, true))
	if !f.reserveLast(t, "DATA-2", "DATA-2") {
		t.Error("reserve DATA-2 after DATA-1-r2 failed at preflight was rejected")
	}
}

func TestReleaseSkipsRedrivenRun(t *testing.T) {
	f := newReleaseFixture(t)
	f.failPreflight.Store(true)
	if !f.reserveLast(t, "DATA-1", "DATA-1") {
		t.Fatal("reserve DATA-1 rejected for the last place")
	}
	x := f.run(t, "DATA-1", "DATA-1")

	// The redriven run is back in preflight, where it holds the place
	// under the same execution name, when the first close's event
	// arrives.
	f.blockPreflight.Store(true)
	if _, err := f.engine.Redrive(t.Context(), "DATA-1"); err != nil {
		t.Fatalf("redrive DATA-1: %v", err)
	}
	f.waitStatus(t, "DATA-1", func(status string) bool { return status == "RUNNING" })

	f.handle(t, closedEvent(t, x, true))
	if f.reserveLast(t, "DATA-2", "DATA-2") {
		t.Error("reserve DATA-2 took the place of DATA-1, which runs again after a redrive")
	}

	if _, err := f.engine.Stop(t.Context(), "DATA-1", "", ""); err != nil {
		t.Fatalf("stop DATA-1: %v", err)
	}
	redriven := f.waitStatus(t, "DATA-1", func(status string) bool { return status == "ABORTED" })
	f.handle(t, closedEvent(t, redriven, true))
	if !f.reserveLast(t, "DATA-2", "DATA-2") {
		t.Error("reserve DATA-2 was rejected after the redriven DATA-1 was aborted in preflight")
	}
}

func TestReleaseStoppedInPreflight(t *testing.T) {
	for _, tt := range []struct {
		name    string
		machine string
		status  string
	}{
		{"aborted", "rl-provision", "ABORTED"},
		{"timed out", "rl-provision-timeout", "TIMED_OUT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newReleaseFixture(t)
			f.blockPreflight.Store(true)
			if !f.reserveLast(t, "DATA-1", "DATA-1") {
				t.Fatal("reserve DATA-1 rejected for the last place")
			}
			input := mustJSON(t, workflow.Document{Request: request.Request{ID: "DATA-1", Snowflake: request.Snowflake{Account: "acme-prod"}}})
			machineARN := "arn:aws:states:us-west-2:123456789012:stateMachine:" + tt.machine
			started, err := f.client.StartExecution(t.Context(), machineARN, "DATA-1", json.RawMessage(input))
			if err != nil {
				t.Fatalf("start DATA-1: %v", err)
			}
			switch tt.status {
			case "ABORTED":
				if _, err := f.engine.Stop(t.Context(), "DATA-1", "", ""); err != nil {
					t.Fatalf("stop DATA-1: %v", err)
				}
			case "TIMED_OUT":
				f.clock.Advance(2 * time.Second)
			}
			x := f.waitClosed(t, started.ARN)
			if x.Status != tt.status {
				t.Fatalf("DATA-1 status = %s, want %s", x.Status, tt.status)
			}

			f.handle(t, closedEvent(t, x, true))
			if !f.reserveLast(t, "DATA-2", "DATA-2") {
				t.Errorf("reserve DATA-2 after DATA-1 closed %s in preflight was rejected", x.Status)
			}
		})
	}
}

func TestReleaseFailureStillNotifies(t *testing.T) {
	f := newReleaseFixture(t)
	f.failPreflight.Store(true)
	recv := newReceiver(t, http.StatusNoContent)
	x := f.run(t, "DATA-1", "DATA-1")

	// The document names the request with a notify URL, and the store's
	// table does not exist, so the release fails.
	req := baseRequest(t, recv.URL+"/hooks/repolink")
	req.Snowflake.Account = "acme-prod"
	x.Input = json.RawMessage(mustJSON(t, workflow.Document{Request: req}))
	n := recv.notifier(secret)
	n.Executions = f.client
	n.Env = &workflow.Env{EndpointReservations: dynamo.New(f.dynamo.Client(), "repolink-missing-table")}
	n.Logger = slog.New(slog.NewTextHandler(&f.logs, nil))

	out, err := n.Handle(t.Context(), closedEvent(t, x, true))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if string(out) != `{"delivered":true,"status_code":204}` {
		t.Errorf("Handle output = %s, want delivered with 204", out)
	}
	if !bytes.Contains(f.logs.Bytes(), []byte("level=WARN msg=\"release endpoint reservation failed")) {
		t.Errorf("log has no warning about the failed release:\n%s", f.logs.String())
	}
}
