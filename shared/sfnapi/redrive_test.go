package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/repolink/repolink/shared/engine"
)

// failingWork fails at once, or, while blocked, waits until it is
// released and then fails.
type failingWork struct {
	mu      sync.Mutex
	gate    chan struct{}
	started chan struct{}
}

func newFailingWork() *failingWork { return &failingWork{started: make(chan struct{}, 1)} }

func (w *failingWork) block() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gate = make(chan struct{})
}

func (w *failingWork) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.gate)
	w.gate = nil
}

func (w *failingWork) run(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
	w.mu.Lock()
	gate := w.gate
	w.mu.Unlock()
	if gate != nil {
		w.started <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, errors.New("connection rejected")
}

func (f *fixture) start(t *testing.T, name string) {
	t.Helper()
	if _, err := f.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("m")), Name: aws.String(name)}); err != nil {
		t.Fatalf("StartExecution %s: %v", name, err)
	}
}

func TestRedriveClientTokenRepeated(t *testing.T) {
	work := newFailingWork()
	f := newFixture(t, map[string]string{"m": blockingMachine}, map[string]engine.TaskFunc{"work": work.run})
	ctx := context.Background()
	arn := aws.String(executionARN("m", "run"))
	f.start(t, "run")
	if x := f.wait(t, "run"); x.Status != engine.StatusFailed {
		t.Fatalf("first run: status %s, want FAILED", x.Status)
	}

	work.block()
	redrive := &sfn.RedriveExecutionInput{ExecutionArn: arn, ClientToken: aws.String("token-1")}
	first, err := f.client.RedriveExecution(ctx, redrive)
	if err != nil {
		t.Fatalf("RedriveExecution: %v", err)
	}
	<-work.started

	// An SDK retry while the redriven execution runs.
	again, err := f.client.RedriveExecution(ctx, redrive)
	if err != nil {
		t.Fatalf("RedriveExecution with the same token while running: %v", err)
	}
	if !again.RedriveDate.Equal(*first.RedriveDate) {
		t.Errorf("same token while running: redriveDate %v, want the first %v", again.RedriveDate, first.RedriveDate)
	}
	_, err = f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: arn, ClientToken: aws.String("token-2")})
	var notRedrivable *types.ExecutionNotRedrivable
	if !errors.As(err, &notRedrivable) {
		t.Errorf("another token while running: error = %v, want ExecutionNotRedrivable", err)
	}

	work.release()
	if x := f.wait(t, "run"); x.Status != engine.StatusFailed {
		t.Fatalf("after the redrive: status %s, want FAILED", x.Status)
	}
	for i := range 2 {
		again, err := f.client.RedriveExecution(ctx, redrive)
		if err != nil {
			t.Fatalf("same token on the failed execution, call %d: %v", i+1, err)
		}
		if !again.RedriveDate.Equal(*first.RedriveDate) {
			t.Errorf("same token on the failed execution, call %d: redriveDate %v, want %v", i+1, again.RedriveDate, first.RedriveDate)
		}
	}
	described, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if described.Status != types.ExecutionStatusFailed || aws.ToInt32(described.RedriveCount) != 1 {
		t.Errorf("after repeated tokens: status %s, redriveCount %d, want FAILED, 1",
			described.Status, aws.ToInt32(described.RedriveCount))
	}

	// A second process on the same store returns the stored result.
	other, err := engine.Open(f.path, engine.Options{Region: region, Account: account})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	srv := httptest.NewServer(New(other, Options{}))
	defer srv.Close()
	again, err = newClient(srv.URL).RedriveExecution(ctx, redrive)
	if err != nil {
		t.Fatalf("same token in another process: %v", err)
	}
	if !again.RedriveDate.Equal(*first.RedriveDate) {
		t.Errorf("same token in another process: redriveDate %v, want %v", again.RedriveDate, first.RedriveDate)
	}
	if x, _ := f.e.Describe(ctx, "run"); x.RedriveCount != 1 {
		t.Errorf("after the token in another process: redrive count %d, want 1", x.RedriveCount)
	}
}

func TestRedriveDateShown(t *testing.T) {
	work := newFailingWork()
	f := newFixture(t, map[string]string{"m": blockingMachine}, map[string]engine.TaskFunc{"work": work.run})
	ctx := context.Background()
	arn := aws.String(executionARN("m", "run"))
	f.start(t, "run")
	f.wait(t, "run")

	described, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if described.RedriveDate != nil {
		t.Errorf("before a redrive: redriveDate = %v, want none", described.RedriveDate)
	}

	redriven, err := f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	f.wait(t, "run")
	described, err = f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if described.RedriveDate == nil || !described.RedriveDate.Equal(*redriven.RedriveDate) {
		t.Errorf("DescribeExecution redriveDate = %v, want %v", described.RedriveDate, redriven.RedriveDate)
	}
	listed, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineARN("m"))})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.Executions) != 1 {
		t.Fatalf("ListExecutions returned %d executions, want 1", len(listed.Executions))
	}
	if got := listed.Executions[0].RedriveDate; got == nil || !got.Equal(*redriven.RedriveDate) {
		t.Errorf("ListExecutions redriveDate = %v, want %v", got, redriven.RedriveDate)
	}
}

func TestRedriveCheckRejects(t *testing.T) {
	const reason = "teardown run-teardown of execution blocked has run"
	var checked []string
	var mu sync.Mutex
	check := func(_ context.Context, x engine.Execution) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		checked = append(checked, x.Name)
		if x.Name == "blocked" {
			return reason, nil
		}
		return "", nil
	}
	work := newFailingWork()
	f := newFixtureWith(t, map[string]string{"m": blockingMachine}, map[string]engine.TaskFunc{"work": work.run},
		Options{RedriveCheck: check})
	ctx := context.Background()
	for _, name := range []string{"blocked", "free"} {
		f.start(t, name)
		f.wait(t, name)
	}

	tests := []struct {
		name, status, reason string
	}{
		{"blocked", "NOT_REDRIVABLE", reason},
		{"free", "REDRIVABLE", ""},
	}
	for _, tt := range tests {
		described, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN("m", tt.name))})
		if err != nil {
			t.Fatal(err)
		}
		if string(described.RedriveStatus) != tt.status {
			t.Errorf("%s: redriveStatus = %s, want %s", tt.name, described.RedriveStatus, tt.status)
		}
		if got := aws.ToString(described.RedriveStatusReason); got != tt.reason {
			t.Errorf("%s: redriveStatusReason = %q, want %q", tt.name, got, tt.reason)
		}
	}

	_, err := f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(executionARN("m", "blocked"))})
	var notRedrivable *types.ExecutionNotRedrivable
	if !errors.As(err, &notRedrivable) {
		t.Fatalf("RedriveExecution of blocked: error = %v, want ExecutionNotRedrivable", err)
	}
	if !strings.Contains(notRedrivable.ErrorMessage(), reason) {
		t.Errorf("RedriveExecution of blocked: message %q, want the reason %q", notRedrivable.ErrorMessage(), reason)
	}
	if x, _ := f.e.Describe(ctx, "blocked"); x.Status != engine.StatusFailed || x.RedriveCount != 0 {
		t.Errorf("blocked after the rejected redrive: %s, redrive count %d, want FAILED, 0", x.Status, x.RedriveCount)
	}
	if _, err := f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(executionARN("m", "free"))}); err != nil {
		t.Errorf("RedriveExecution of free: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if !contains(checked, "blocked") || !contains(checked, "free") {
		t.Errorf("RedriveCheck called for %v, want blocked and free", checked)
	}
}

// TestRedriveAfterHistoryLimit runs an endless loop of Pass states until
// its history reaches the limit of 25,000 events, which fails it.
func TestRedriveAfterHistoryLimit(t *testing.T) {
	const loop = `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`
	f := newFixture(t, map[string]string{"m": loop}, nil)
	ctx := context.Background()
	f.start(t, "full")
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	x, err := f.e.Wait(waitCtx, "full")
	if err != nil {
		t.Fatalf("wait for full: %v", err)
	}
	if x.Status != engine.StatusFailed {
		t.Fatalf("full: status %s, want FAILED", x.Status)
	}
	if !x.HistoryFull {
		t.Error("full: HistoryFull is false after the history limit")
	}
	const engineReason = "its history reached the limit of 25000 events"
	_, err = f.e.Redrive(ctx, "full")
	if !errors.Is(err, engine.ErrCannotRedrive) {
		t.Fatalf("engine Redrive: error = %v, want ErrCannotRedrive", err)
	}
	if !strings.Contains(err.Error(), engineReason) {
		t.Errorf("engine Redrive: error = %v, want it to contain %q", err, engineReason)
	}

	arn := aws.String(executionARN("m", "full"))
	described, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if described.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable {
		t.Errorf("redriveStatus = %s, want NOT_REDRIVABLE", described.RedriveStatus)
	}
	const reason = "Execution history event limit exceeded."
	if got := aws.ToString(described.RedriveStatusReason); got != reason {
		t.Errorf("redriveStatusReason = %q, want %q", got, reason)
	}

	_, err = f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: arn})
	var notRedrivable *types.ExecutionNotRedrivable
	if !errors.As(err, &notRedrivable) {
		t.Fatalf("RedriveExecution: error = %v, want ExecutionNotRedrivable", err)
	}
	if got := notRedrivable.ErrorMessage(); got != aws.ToString(described.RedriveStatusReason) {
		t.Errorf("RedriveExecution message %q, want the redriveStatusReason %q", got, aws.ToString(described.RedriveStatusReason))
	}
}

func TestRedriveReasonRunningSucceeded(t *testing.T) {
	work := newFailingWork()
	f := newFixture(t, map[string]string{"m": blockingMachine, "echo": echoMachine},
		map[string]engine.TaskFunc{"work": work.run, "echo": echo})
	ctx := context.Background()

	work.block()
	f.start(t, "open")
	<-work.started
	defer work.release()
	if _, err := f.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN("echo")), Name: aws.String("done")}); err != nil {
		t.Fatal(err)
	}
	if x := f.wait(t, "done"); x.Status != engine.StatusSucceeded {
		t.Fatalf("done: status %s, want SUCCEEDED", x.Status)
	}

	tests := []struct {
		arn, reason string
	}{
		{executionARN("m", "open"), "Execution is RUNNING and cannot be redriven."},
		{executionARN("echo", "done"), "Execution is SUCCEEDED and cannot be redriven."},
	}
	for _, tt := range tests {
		described, err := f.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(tt.arn)})
		if err != nil {
			t.Fatal(err)
		}
		if described.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable {
			t.Errorf("%s: redriveStatus = %s, want NOT_REDRIVABLE", tt.arn, described.RedriveStatus)
		}
		if got := aws.ToString(described.RedriveStatusReason); got != tt.reason {
			t.Errorf("%s: redriveStatusReason = %q, want %q", tt.arn, got, tt.reason)
		}
	}
}

func TestListExecutionsRedriveFilter(t *testing.T) {
	work := newFailingWork()
	f := newFixture(t, map[string]string{"m": blockingMachine}, map[string]engine.TaskFunc{"work": work.run})
	ctx := context.Background()
	for _, name := range []string{"redriven", "failed"} {
		f.start(t, name)
		f.wait(t, name)
	}
	if _, err := f.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{
		ExecutionArn: aws.String(executionARN("m", "redriven"))}); err != nil {
		t.Fatal(err)
	}
	f.wait(t, "redriven")

	tests := []struct {
		filter types.ExecutionRedriveFilter
		want   string
	}{
		{"", "failed,redriven"},
		{types.ExecutionRedriveFilterRedriven, "redriven"},
		{types.ExecutionRedriveFilterNotRedriven, "failed"},
	}
	for _, tt := range tests {
		listed, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{
			StateMachineArn: aws.String(machineARN("m")), RedriveFilter: tt.filter})
		if err != nil {
			t.Fatalf("ListExecutions with redriveFilter %q: %v", tt.filter, err)
		}
		var names []string
		for _, x := range listed.Executions {
			names = append(names, aws.ToString(x.Name))
		}
		slices.Sort(names)
		if got := strings.Join(names, ","); got != tt.want {
			t.Errorf("redriveFilter %q listed %s, want %s", tt.filter, got, tt.want)
		}
	}

	_, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(machineARN("m")), RedriveFilter: "SOMETIMES"})
	var invalid *types.ValidationException
	if !errors.As(err, &invalid) {
		t.Errorf("redriveFilter SOMETIMES: error = %v, want ValidationException", err)
	}
}
