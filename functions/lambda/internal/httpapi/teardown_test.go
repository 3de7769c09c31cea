package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/lambda/internal/httpapi"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sfnapi"
	"github.com/repolink/repolink/shared/webhook"
)

// teardownMachine is the teardown machine's name beside machineARN.
const teardownMachine = "rl-teardown"

// oneTaskMachine runs the task %s once.
const oneTaskMachine = `{"StartAt":"Only","States":{"Only":{"Type":"Task","Resource":"%s","End":true}}}`

// buildMachine is the fixture's provision machine: Build records a created
// proxy VM in $.resources, as a provision step does, and Check may fail
// after it.
const buildMachine = `{"StartAt":"Preflight","States":{
	"Preflight":{"Type":"Task","Resource":"preflight_task","Next":"Build"},
	"Build":{"Type":"Task","Resource":"build_task","Next":"Check"},
	"Check":{"Type":"Task","Resource":"check_task","End":true}}}`

// teardownFixture is the embedded engine with the provision machine of
// machineARN and a teardown machine, served as the Step Functions API on a
// loopback address and read by the webhook through the AWS SDK client.
type teardownFixture struct {
	engine *engine.Engine
	hook   *httpapi.Webhook
	store  *dynamo.Store
	// gate blocks the teardown task until it is closed.
	gate chan struct{}
	// failPreflight fails the provision machine's Preflight task,
	// failBuild its Build task, before it records a resource, and
	// failCheck its Check task, after that.
	failPreflight, failBuild, failCheck atomic.Bool
	// failTeardown fails the teardown task once the gate lets it go on.
	failTeardown atomic.Bool
	// lists counts the ListExecutions calls of the webhook.
	lists atomic.Int32
	// teardownReads counts the webhook's DescribeExecution calls on
	// teardown executions.
	teardownReads atomic.Int32
}

// countingExecutions is the SDK adapter that counts ListExecutions calls
// and DescribeExecution calls on teardowns.
type countingExecutions struct {
	*sfn.Client
	lists         *atomic.Int32
	teardownReads *atomic.Int32
}

func (c countingExecutions) ListExecutions(ctx context.Context, arn string, opts sfn.ListOptions) ([]sfn.ExecutionSummary, string, error) {
	c.lists.Add(1)
	return c.Client.ListExecutions(ctx, arn, opts)
}

func (c countingExecutions) DescribeExecution(ctx context.Context, arn string) (sfn.Execution, error) {
	if strings.Contains(arn, ":"+teardownMachine+":") {
		c.teardownReads.Add(1)
	}
	return c.Client.DescribeExecution(ctx, arn)
}

func newTeardownFixture(t *testing.T) *teardownFixture {
	t.Helper()
	e, err := engine.Open(filepath.Join(t.TempDir(), "engine.db"), engine.Options{Region: "us-west-2", Account: "123456789012"})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	f := &teardownFixture{engine: e, gate: make(chan struct{})}

	e.Register("preflight_task", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		if f.failPreflight.Load() {
			return nil, errors.New("preflight: package not found")
		}
		return in, nil
	})
	e.Register("build_task", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		if f.failBuild.Load() {
			return nil, errors.New("proxy_vm: instance limit exceeded")
		}
		return json.RawMessage(`{"resources":{"proxy_vm":{"action":"created","id":"i-0abc"}}}`), nil
	})
	e.Register("check_task", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		if f.failCheck.Load() {
			return nil, errors.New("target_group: access denied")
		}
		return json.RawMessage(`{}`), nil
	})
	e.Register("teardown_task", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		select {
		case <-f.gate:
			if f.failTeardown.Load() {
				return nil, errors.New("teardown_proxy_vm: access denied")
			}
			return json.RawMessage(`{}`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	if err := e.Define("rl-provision", []byte(buildMachine)); err != nil {
		t.Fatalf("define rl-provision: %v", err)
	}
	if err := e.Define(teardownMachine, []byte(strings.Replace(oneTaskMachine, "%s", "teardown_task", 1))); err != nil {
		t.Fatalf("define %s: %v", teardownMachine, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		f.release()
		cancel()
		<-done
	})

	server := httptest.NewServer(sfnapi.New(e, sfnapi.Options{}))
	t.Cleanup(server.Close)
	client := sfn.New(sfnsdk.New(sfnsdk.Options{
		Region:           "us-west-2",
		BaseEndpoint:     aws.String(server.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		RetryMaxAttempts: 1,
	}))

	tables := dynamotest.Start(t)
	tables.CreateTable(t, "repolink-test")
	f.store = dynamo.New(tables.Client(), "repolink-test")
	restartSigning()
	f.store.Now = func() time.Time { return now }

	f.hook = &httpapi.Webhook{
		Secret:          func(context.Context) ([]byte, error) { return secret, nil },
		Deliveries:      f.store,
		Executions:      countingExecutions{Client: client, lists: &f.lists, teardownReads: &f.teardownReads},
		StateMachineARN: machineARN,
		TeardownMachine: teardownMachine,
		Claims:          f.store,
		Now:             func() time.Time { return now },
	}
	return f
}

// release lets the running teardowns succeed.
func (f *teardownFixture) release() {
	select {
	case <-f.gate:
	default:
		close(f.gate)
	}
}

// deliver sends body to the webhook and checks the response status.
func (f *teardownFixture) deliver(t *testing.T, step string, body []byte, wantStatus int) webhook.Response {
	t.Helper()
	resp, err := f.hook.Handle(context.Background(), signedEvent(body, secret, now))
	if err != nil {
		t.Fatalf("%s: Handle: %v", step, err)
	}
	if resp.StatusCode != wantStatus {
		t.Errorf("%s: status %d, want %d (body %s)", step, resp.StatusCode, wantStatus, resp.Body)
	}
	return decodeResponse(t, resp)
}

func (f *teardownFixture) startTeardown(t *testing.T, name, requestID string) {
	t.Helper()
	input := json.RawMessage(`{"request":{"id":"` + requestID + `"}}`)
	if _, err := f.engine.Start(context.Background(), teardownMachine, name, input); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
}

func (f *teardownFixture) wait(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := f.engine.Wait(ctx, name); err != nil {
		t.Fatalf("wait for %s: %v", name, err)
	}
}

// provisioned delivers the example request, checks that it started
// DATA-4711, and waits until that run has closed.
func (f *teardownFixture) provisioned(t *testing.T, body []byte) {
	t.Helper()
	got := f.deliver(t, "first delivery", body, http.StatusAccepted)
	if got.Execution != "DATA-4711" {
		t.Fatalf("first delivery started %q, want DATA-4711", got.Execution)
	}
	f.wait(t, "DATA-4711")
}

func TestWebhookDuringTeardown(t *testing.T) {
	f := newTeardownFixture(t)
	body := readExample(t)
	edited := []byte(strings.Replace(string(body), `"requests"`, `"numpy"`, 1))
	f.provisioned(t, body)
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")

	wantError := "teardown DATA-4711-teardown of request DATA-4711 is still running; " +
		"the request starts a new provision execution only after the teardown has closed, " +
		"so send it again after DATA-4711-teardown closes"
	for _, step := range []struct {
		name string
		body []byte
	}{{"unchanged request", body}, {"changed request", edited}} {
		got := f.deliver(t, step.name, step.body, http.StatusConflict)
		want := webhook.Response{Status: webhook.StatusRejected, BlockingExecution: "DATA-4711-teardown", Error: wantError}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: response (-want +got):\n%s", step.name, diff)
		}
	}

	all, err := f.engine.List(context.Background())
	if err != nil {
		t.Fatalf("list executions: %v", err)
	}
	if len(all) != 2 {
		t.Errorf("%d executions after the deliveries, want 2: DATA-4711 and its teardown", len(all))
	}
}

func TestWebhookAfterTeardown(t *testing.T) {
	f := newTeardownFixture(t)
	body := readExample(t)
	f.provisioned(t, body)
	f.release()
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	f.wait(t, "DATA-4711-teardown")

	got := f.deliver(t, "delivery after the teardown", body, http.StatusAccepted)
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r2", Status: "RUNNING"}, got); diff != "" {
		t.Errorf("delivery after the teardown: response (-want +got):\n%s", diff)
	}
	got = f.deliver(t, "redelivery", body, http.StatusOK)
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r2", Duplicate: true}, got); diff != "" {
		t.Errorf("redelivery: response (-want +got):\n%s", diff)
	}

	// A second teardown makes the unchanged request new once more.
	f.wait(t, "DATA-4711-r2")
	f.startTeardown(t, "DATA-4711-teardown-r2", "DATA-4711")
	f.wait(t, "DATA-4711-teardown-r2")
	got = f.deliver(t, "delivery after the second teardown", body, http.StatusAccepted)
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r3", Status: "RUNNING"}, got); diff != "" {
		t.Errorf("delivery after the second teardown: response (-want +got):\n%s", diff)
	}
}

// TestWebhookAfterTeardownRecordGone checks that a run that closed before
// the teardown does not count as having run the request when the ticket's
// record no longer names it, such as after the record expired.
func TestWebhookAfterTeardownRecordGone(t *testing.T) {
	f := newTeardownFixture(t)
	body := readExample(t)
	f.provisioned(t, body)
	f.release()
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	f.wait(t, "DATA-4711-teardown")
	// A fresh table has no record of the ticket.
	tables := dynamotest.Start(t)
	tables.CreateTable(t, "repolink-test")
	f.hook.Deliveries = dynamo.New(tables.Client(), "repolink-test")
	restartSigning()

	got := f.deliver(t, "delivery after the teardown", body, http.StatusAccepted)
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r2", Status: "RUNNING"}, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

// TestWebhookTeardownFromRunItem checks that a running teardown that holds
// the request's run item is found without listing the teardown machine.
func TestWebhookTeardownFromRunItem(t *testing.T) {
	f := newTeardownFixture(t)
	f.hook.RunItems = f.store
	body := readExample(t)
	f.provisioned(t, body)
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	teardownARN := "arn:aws:states:us-west-2:123456789012:execution:" + teardownMachine + ":DATA-4711-teardown"
	holders := map[string]dynamo.RunHolder{teardownARN: {Machine: "teardown", TakenAt: now}}
	if ok, err := f.store.WriteRunHolders(context.Background(), "DATA-4711", dynamo.RunHolders{}, holders); err != nil || !ok {
		t.Fatalf("write run item: written %v, error %v", ok, err)
	}
	before := f.lists.Load()

	got := f.deliver(t, "unchanged request", body, http.StatusConflict)
	checkRejectedBy(t, "unchanged request", got, "DATA-4711-teardown")
	if n := f.lists.Load() - before; n != 0 {
		t.Errorf("webhook listed executions %d times, want 0 with a running teardown in the run item", n)
	}
}

// teardownARN returns the execution ARN of the teardown called name.
func teardownARN(name string) string {
	return "arn:aws:states:us-west-2:123456789012:execution:" + teardownMachine + ":" + name
}

// startTeardownRecord stores start as the time from which teardowns record
// themselves in the run items, as the first task of the first teardown
// does.
func (f *teardownFixture) startTeardownRecord(t *testing.T, start time.Time) {
	t.Helper()
	if err := f.store.StartTeardownRecord(context.Background(), start); err != nil {
		t.Fatalf("start teardown record: %v", err)
	}
}

// TestWebhookNoTeardownReadsNone checks that a delivery of a request
// without a teardown describes no teardown of other requests once the
// teardowns record themselves in the run items.
func TestWebhookNoTeardownReadsNone(t *testing.T) {
	f := newTeardownFixture(t)
	f.hook.RunItems = f.store
	f.release()
	f.startTeardownRecord(t, time.Now().Add(-time.Minute))
	for _, id := range []string{"OTHER-1", "OTHER-2", "OTHER-3", "OTHER-4", "OTHER-5"} {
		f.startTeardown(t, id+"-teardown", id)
		f.wait(t, id+"-teardown")
	}

	got := f.deliver(t, "first delivery", readExample(t), http.StatusAccepted)
	if got.Execution != "DATA-4711" {
		t.Errorf("delivery started %q, want DATA-4711", got.Execution)
	}
	if n := f.teardownReads.Load(); n != 0 {
		t.Errorf("webhook described %d teardowns, want 0 for a request whose run item names none", n)
	}
}

// TestWebhookTeardownRecordedInRunItem checks that the teardown that the
// run item names counts as the request's latest teardown, and that it is
// the only teardown the webhook describes.
func TestWebhookTeardownRecordedInRunItem(t *testing.T) {
	f := newTeardownFixture(t)
	f.hook.RunItems = f.store
	body := readExample(t)
	f.startTeardownRecord(t, time.Now().Add(-time.Minute))
	f.provisioned(t, body)
	f.release()
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	f.wait(t, "DATA-4711-teardown")
	// Teardowns of other requests start later, so a read of the history
	// newest first would describe them too.
	for _, id := range []string{"OTHER-1", "OTHER-2"} {
		f.startTeardown(t, id+"-teardown", id)
		f.wait(t, id+"-teardown")
	}
	ctx := context.Background()
	read, err := f.store.ReadRunHolders(ctx, "DATA-4711")
	if err != nil {
		t.Fatalf("read run item: %v", err)
	}
	if ok, err := f.store.WriteRunItem(ctx, "DATA-4711", read, nil, teardownARN("DATA-4711-teardown")); err != nil || !ok {
		t.Fatalf("write run item: written %v, error %v", ok, err)
	}
	before := f.teardownReads.Load()

	got := f.deliver(t, "delivery after the teardown", body, http.StatusAccepted)
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r2", Status: "RUNNING"}, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if n := f.teardownReads.Load() - before; n != 1 {
		t.Errorf("webhook described %d teardowns, want 1, the one in the run item", n)
	}
}

// TestWebhookTeardownBeforeRecord checks that a teardown that started
// before the teardown record, and so is missing from the run item, is
// still found in the execution history.
func TestWebhookTeardownBeforeRecord(t *testing.T) {
	f := newTeardownFixture(t)
	f.hook.RunItems = f.store
	body := readExample(t)
	f.provisioned(t, body)
	f.release()
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	f.wait(t, "DATA-4711-teardown")
	// Start dates have a resolution of one second in the record.
	f.startTeardownRecord(t, time.Now().Add(2*time.Second))

	got := f.deliver(t, "delivery after the teardown", body, http.StatusAccepted)
	if diff := cmp.Diff(webhook.Response{Execution: "DATA-4711-r2", Status: "RUNNING"}, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

// TestWebhookRejectsChangedPlacement checks that a request that moves a
// succeeded run to another Snowflake account is rejected until a teardown
// of the request has succeeded, because the run would leave the earlier
// run's resources behind.
func TestWebhookRejectsChangedPlacement(t *testing.T) {
	f := newTeardownFixture(t)
	body := readExample(t)
	moved := []byte(strings.Replace(string(body), `"account": "myorg-analytics"`, `"account": "myorg-other"`, 1))
	f.provisioned(t, body)

	got := f.deliver(t, "moved request", moved, http.StatusConflict)
	checkRejectedBy(t, "moved request", got, "DATA-4711")
	if want := "request DATA-4711 changes $.snowflake.account from execution DATA-4711 (SUCCEEDED)"; !strings.Contains(got.Error, want) {
		t.Errorf("moved request: error %q lacks %q", got.Error, want)
	}
	if want := "The request changes $.snowflake.account from myorg-analytics to myorg-other."; !strings.Contains(got.Error, want) {
		t.Errorf("moved request: error %q lacks the old and new values, %q", got.Error, want)
	}
	if want := "maximum of 5 private endpoints for 7 days"; !strings.Contains(got.Error, want) {
		t.Errorf("moved request: error %q lacks the endpoint place that a teardown costs, %q", got.Error, want)
	}

	f.release()
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	f.wait(t, "DATA-4711-teardown")
	got = f.deliver(t, "moved request after the teardown", moved, http.StatusAccepted)
	if got.Execution != "DATA-4711-r2" {
		t.Errorf("moved request after the teardown: execution %q, want DATA-4711-r2", got.Execution)
	}
}

// TestWebhookRejectsPlacementOfFailedRun checks that a run that failed in
// a building step blocks a request that moves it to another Snowflake
// account, as a succeeded run does. The run fails once after it recorded a
// created resource, and once in the building step itself, which records
// nothing but may have built before it failed. The reason names the
// teardown and the redrive of the failed run.
func TestWebhookRejectsPlacementOfFailedRun(t *testing.T) {
	t.Run("after a recorded resource", func(t *testing.T) {
		checkWebhookPlacementOfFailedRun(t, func(f *teardownFixture) { f.failCheck.Store(true) })
	})
	t.Run("in the building step", func(t *testing.T) {
		checkWebhookPlacementOfFailedRun(t, func(f *teardownFixture) { f.failBuild.Store(true) })
	})
}

// checkWebhookPlacementOfFailedRun provisions the example request with
// fail applied to the fixture, then checks that the failed run blocks the
// request moved to another account until a teardown.
func checkWebhookPlacementOfFailedRun(t *testing.T, fail func(*teardownFixture)) {
	f := newTeardownFixture(t)
	fail(f)
	body := readExample(t)
	moved := []byte(strings.Replace(string(body), `"account": "myorg-analytics"`, `"account": "myorg-other"`, 1))
	f.provisioned(t, body)

	got := f.deliver(t, "moved request", moved, http.StatusConflict)
	checkRejectedBy(t, "moved request", got, "DATA-4711")
	for _, want := range []string{
		"request DATA-4711 changes $.snowflake.account from execution DATA-4711 (FAILED), which may have built resources before it stopped",
		"Tear down the request first",
		"redrive DATA-4711",
	} {
		if !strings.Contains(got.Error, want) {
			t.Errorf("moved request: error %q lacks %q", got.Error, want)
		}
	}
	// The failed run never entered the endpoint step, so a teardown
	// deprovisions no Snowflake private endpoint.
	if cost := "deprovisions its Snowflake private endpoint"; strings.Contains(got.Error, cost) {
		t.Errorf("moved request: error %q contains %q", got.Error, cost)
	}

	f.release()
	f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
	f.wait(t, "DATA-4711-teardown")
	got = f.deliver(t, "moved request after the teardown", moved, http.StatusAccepted)
	if got.Execution != "DATA-4711-r2" {
		t.Errorf("moved request after the teardown: execution %q, want DATA-4711-r2", got.Execution)
	}
}

// TestWebhookIgnoresPlacementOfPreflightFailure checks that a run that
// failed in preflight, before any building step, does not block a request
// that moves it to another Snowflake account.
func TestWebhookIgnoresPlacementOfPreflightFailure(t *testing.T) {
	f := newTeardownFixture(t)
	f.failPreflight.Store(true)
	body := readExample(t)
	moved := []byte(strings.Replace(string(body), `"account": "myorg-analytics"`, `"account": "myorg-other"`, 1))
	f.provisioned(t, body)

	got := f.deliver(t, "moved request", moved, http.StatusAccepted)
	if got.Execution != "DATA-4711-r2" {
		t.Errorf("moved request: execution %q, want DATA-4711-r2 (error %q)", got.Execution, got.Error)
	}
}

// TestWebhookRedriveOfferOfFailedRun checks that the reason for a request
// that moves a run that failed after it built offers a redrive of that run
// only while no later run of the ticket and no teardown followed it.
func TestWebhookRedriveOfferOfFailedRun(t *testing.T) {
	tests := []struct {
		name string
		// follow runs after DATA-4711 has failed.
		follow      func(t *testing.T, f *teardownFixture, body []byte)
		wantRedrive bool
	}{
		{"not followed", func(*testing.T, *teardownFixture, []byte) {}, true},
		{"later run", func(t *testing.T, f *teardownFixture, body []byte) {
			// A change of the packages keeps the placement, so it starts
			// a second run, which fails after it built as well.
			edited := []byte(strings.Replace(string(body), `"requests"`, `"numpy"`, 1))
			got := f.deliver(t, "changed packages", edited, http.StatusAccepted)
			if got.Execution != "DATA-4711-r2" {
				t.Fatalf("changed packages started %q, want DATA-4711-r2 (error %q)", got.Execution, got.Error)
			}
			f.wait(t, "DATA-4711-r2")
		}, false},
		{"failed teardown", func(t *testing.T, f *teardownFixture, _ []byte) {
			f.failTeardown.Store(true)
			f.release()
			f.startTeardown(t, "DATA-4711-teardown", "DATA-4711")
			f.wait(t, "DATA-4711-teardown")
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTeardownFixture(t)
			f.failCheck.Store(true)
			body := readExample(t)
			moved := []byte(strings.Replace(string(body), `"account": "myorg-analytics"`, `"account": "myorg-other"`, 1))
			f.provisioned(t, body)
			tt.follow(t, f, body)

			got := f.deliver(t, "moved request", moved, http.StatusConflict)
			checkRejectedBy(t, "moved request", got, "DATA-4711")
			if want := "Tear down the request first"; !strings.Contains(got.Error, want) {
				t.Errorf("moved request: error %q lacks %q", got.Error, want)
			}
			if offered := strings.Contains(got.Error, "redrive"); offered != tt.wantRedrive {
				t.Errorf("moved request: error %q offers a redrive: %t, want %t", got.Error, offered, tt.wantRedrive)
			}
		})
	}
}
