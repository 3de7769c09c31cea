package exclusion

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sfnapi"
	"github.com/repolink/repolink/shared/workflow"
)

// Machine names as the stack names them.
const (
	provisionMachine = "rl-provision"
	teardownMachine  = "rl-teardown"
)

// twoStepMachine runs the task first, then the task second, and passes
// each the fields that the deployed state machines pass.
const twoStepMachine = `{"StartAt":"First","States":{
	"First":{"Type":"Task","Resource":"%s_first","Parameters":{"request.$":"$.request",
		"execution.$":"$$.Execution.Name","redrive_count.$":"$$.Execution.RedriveCount",
		"state_machine.$":"$$.StateMachine.Id"},"ResultPath":"$.first","Next":"Second"},
	"Second":{"Type":"Task","Resource":"%s_second","Parameters":{"request.$":"$.request",
		"execution.$":"$$.Execution.Name","redrive_count.$":"$$.Execution.RedriveCount",
		"state_machine.$":"$$.StateMachine.Id"},"ResultPath":"$.second","End":true}}}`

// step is a task body whose calls the test counts, and which can block
// until released or fail.
type step struct {
	calls   atomic.Int32
	mu      sync.Mutex
	gate    chan struct{}
	fail    bool
	started chan string
}

func newStep() *step { return &step{started: make(chan string, 8)} }

func (s *step) block() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate = make(chan struct{})
}

func (s *step) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

func (s *step) setFail(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

func (s *step) run(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
	s.calls.Add(1)
	var task Task
	if err := json.Unmarshal(input, &task); err != nil {
		return nil, err
	}
	s.mu.Lock()
	gate, fail := s.gate, s.fail
	s.mu.Unlock()
	s.started <- task.Execution
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail {
		return nil, workflow.Errorf(workflow.ErrRejected, "step rejected")
	}
	return json.RawMessage(`{}`), nil
}

// fixture is the embedded engine with a provision and a teardown machine,
// served as the Step Functions API on a loopback address and read by the
// checker through the AWS SDK client.
type fixture struct {
	engine  *engine.Engine
	checker *Checker
	steps   map[string]*step
	// before, when set, runs before the check of every first task.
	before func(execution string)
}

// newFixture starts the fixture with the list check. Each of configure,
// such as withHolders, changes the checker before the machines start.
func newFixture(t *testing.T, configure ...func(*testing.T, *Checker)) *fixture {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	e, err := engine.Open(filepath.Join(t.TempDir(), "engine.db"), engine.Options{Region: "us-west-2", Account: "123456789012"})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })

	server := httptest.NewServer(sfnapi.New(e, sfnapi.Options{}))
	t.Cleanup(server.Close)
	checker := &Checker{
		Executions: sfn.New(sdk.New(sdk.Options{
			Region:           "us-west-2",
			BaseEndpoint:     aws.String(server.URL),
			Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
			RetryMaxAttempts: 1,
		})),
		Provision: provisionMachine,
		Teardown:  teardownMachine,
	}
	for _, c := range configure {
		c(t, checker)
	}

	f := &fixture{checker: checker, engine: e, steps: map[string]*step{}}
	for _, machine := range []string{provisionMachine, teardownMachine} {
		first, second := newStep(), newStep()
		f.steps[machine+"_first"], f.steps[machine+"_second"] = first, second
		checked := checker.Wrap(true, first.run)
		e.Register(machine+"_first", func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
			if f.before != nil {
				var task Task
				_ = json.Unmarshal(input, &task)
				f.before(task.Execution)
			}
			return checked(ctx, input)
		})
		e.Register(machine+"_second", checker.Wrap(false, second.run))
		definition := strings.ReplaceAll(twoStepMachine, "%s", machine)
		if err := e.Define(machine, []byte(definition)); err != nil {
			t.Fatalf("define %s: %v", machine, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		for _, s := range f.steps {
			s.release()
		}
		cancel()
		<-done
	})
	return f
}

func (f *fixture) start(t *testing.T, machine, name, requestID string) {
	t.Helper()
	input := json.RawMessage(`{"request":{"id":"` + requestID + `"}}`)
	if _, err := f.engine.Start(context.Background(), machine, name, input); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
}

func (f *fixture) wait(t *testing.T, name string) engine.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	x, err := f.engine.Wait(ctx, name)
	if err != nil {
		t.Fatalf("wait for %s: %v", name, err)
	}
	return x
}

// started waits until the step registered as key has begun a call for the
// execution name.
func (f *fixture) started(t *testing.T, key, name string) {
	t.Helper()
	select {
	case got := <-f.steps[key].started:
		if got != name {
			t.Fatalf("step %s started for %s, want %s", key, got, name)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("step %s did not start for %s within 20s", key, name)
	}
}

func checkConflict(t *testing.T, x engine.Execution, wantCause ...string) {
	t.Helper()
	if x.Status != engine.StatusFailed {
		t.Fatalf("%s: status %s, want FAILED", x.Name, x.Status)
	}
	if x.Error != workflow.ErrConflict {
		t.Errorf("%s: error %q, want %q (cause %q)", x.Name, x.Error, workflow.ErrConflict, x.Cause)
	}
	for _, want := range wantCause {
		if !strings.Contains(x.Cause, want) {
			t.Errorf("%s: cause %q does not contain %q", x.Name, x.Cause, want)
		}
	}
}

// startTeardownDuringProvision starts teardown DATA-1-teardown while
// provision DATA-1 waits in its first task. The teardown must fail with a
// Conflict before its first step, and the provision must succeed once
// released.
func startTeardownDuringProvision(t *testing.T, f *fixture) {
	t.Helper()
	f.steps[provisionMachine+"_first"].block()
	f.start(t, provisionMachine, "DATA-1", "DATA-1")
	f.started(t, provisionMachine+"_first", "DATA-1")

	f.start(t, teardownMachine, "DATA-1-teardown", "DATA-1")
	checkConflict(t, f.wait(t, "DATA-1-teardown"),
		"execution DATA-1 of request DATA-1 is still running",
		"aws stepfunctions stop-execution --execution-arn "+f.engine.ExecutionARN(provisionMachine, "DATA-1"),
		"before tearing the request down")
	if n := f.steps[teardownMachine+"_first"].calls.Load(); n != 0 {
		t.Errorf("teardown's first step ran %d times, want 0", n)
	}

	f.steps[provisionMachine+"_first"].release()
	if x := f.wait(t, "DATA-1"); x.Status != engine.StatusSucceeded {
		t.Fatalf("provision: status %s, want SUCCEEDED (error %s: %s)", x.Status, x.Error, x.Cause)
	}
}

// startProvisionDuringTeardown starts provision DATA-1-r2 while teardown
// DATA-1-teardown waits in its first task, and the provision must fail with
// a Conflict. The teardown's first step stays blocked.
func startProvisionDuringTeardown(t *testing.T, f *fixture) {
	t.Helper()
	f.steps[teardownMachine+"_first"].block()
	f.start(t, teardownMachine, "DATA-1-teardown", "DATA-1")
	f.started(t, teardownMachine+"_first", "DATA-1-teardown")

	f.start(t, provisionMachine, "DATA-1-r2", "DATA-1")
	checkConflict(t, f.wait(t, "DATA-1-r2"), "teardown DATA-1-teardown of request DATA-1 is still running")
}

// startSecondProvision starts provision by-hand while provision DATA-1 of
// the same request waits in its first task, and by-hand must fail with a
// Conflict. The provision's first step stays blocked.
func startSecondProvision(t *testing.T, f *fixture) {
	t.Helper()
	f.steps[provisionMachine+"_first"].block()
	f.start(t, provisionMachine, "DATA-1", "DATA-1")
	f.started(t, provisionMachine+"_first", "DATA-1")

	f.start(t, provisionMachine, "by-hand", "DATA-1")
	checkConflict(t, f.wait(t, "by-hand"), "execution DATA-1 of request DATA-1 is still running",
		"before starting another provision execution")
}

// startSecondTeardown starts teardown DATA-1-r2-teardown while teardown
// DATA-1-teardown of the same request waits in its first task, and the
// second teardown must fail with a Conflict before its first step. The
// first teardown's first step stays blocked.
func startSecondTeardown(t *testing.T, f *fixture) {
	t.Helper()
	f.steps[teardownMachine+"_first"].block()
	f.start(t, teardownMachine, "DATA-1-teardown", "DATA-1")
	f.started(t, teardownMachine+"_first", "DATA-1-teardown")

	f.start(t, teardownMachine, "DATA-1-r2-teardown", "DATA-1")
	checkConflict(t, f.wait(t, "DATA-1-r2-teardown"),
		"teardown DATA-1-teardown of request DATA-1 is still running",
		"aws stepfunctions stop-execution --execution-arn "+f.engine.ExecutionARN(teardownMachine, "DATA-1-teardown"),
		"before starting another teardown of the request")
	if n := f.steps[teardownMachine+"_first"].calls.Load(); n != 1 {
		t.Errorf("teardowns' first step ran %d times, want 1", n)
	}
}

func TestTeardownWhileProvisionRuns(t *testing.T) {
	startTeardownDuringProvision(t, newFixture(t))
}

func TestProvisionWhileTeardownRuns(t *testing.T) {
	startProvisionDuringTeardown(t, newFixture(t))
}

func TestSecondTeardownOfRequest(t *testing.T) {
	f := newFixture(t)
	startSecondTeardown(t, f)

	f.steps[teardownMachine+"_first"].release()
	if x := f.wait(t, "DATA-1-teardown"); x.Status != engine.StatusSucceeded {
		t.Errorf("first teardown: status %s, want SUCCEEDED (error %s: %s)", x.Status, x.Error, x.Cause)
	}
}

func TestSecondProvisionOfRequest(t *testing.T) {
	f := newFixture(t)
	startSecondProvision(t, f)

	// Another request is not affected.
	f.steps[provisionMachine+"_first"].release()
	f.start(t, provisionMachine, "DATA-2", "DATA-2")
	if x := f.wait(t, "DATA-2"); x.Status != engine.StatusSucceeded {
		t.Errorf("DATA-2: status %s, want SUCCEEDED (error %s: %s)", x.Status, x.Error, x.Cause)
	}
}

// TestOverlappingStarts holds both executions before their checks until
// both run, so that each check sees the other one running. At most one of
// them may go on.
func TestOverlappingStarts(t *testing.T) {
	f := newFixture(t)
	var arrived sync.WaitGroup
	arrived.Add(2)
	f.before = func(string) {
		arrived.Done()
		arrived.Wait()
	}

	f.start(t, provisionMachine, "DATA-1", "DATA-1")
	f.start(t, teardownMachine, "DATA-1-teardown", "DATA-1")
	provision, teardown := f.wait(t, "DATA-1"), f.wait(t, "DATA-1-teardown")

	proceeded := f.steps[provisionMachine+"_first"].calls.Load() + f.steps[teardownMachine+"_first"].calls.Load()
	if proceeded > 1 {
		t.Errorf("%d executions passed the check, want at most 1", proceeded)
	}
	conflicts := 0
	for _, x := range []engine.Execution{provision, teardown} {
		if x.Error == workflow.ErrConflict {
			conflicts++
		}
	}
	if conflicts == 0 {
		t.Errorf("no execution failed with Conflict: provision %s %s, teardown %s %s",
			provision.Status, provision.Error, teardown.Status, teardown.Error)
	}
}

// redriveDuringTeardown fails provision DATA-1 at its second task, starts
// teardown DATA-1-teardown, which waits in its first task, and redrives
// DATA-1. The redrive resumes at the second task without running the first,
// and its check must fail with a Conflict.
func redriveDuringTeardown(t *testing.T, f *fixture) {
	t.Helper()
	second := f.steps[provisionMachine+"_second"]
	second.setFail(true)
	f.start(t, provisionMachine, "DATA-1", "DATA-1")
	if x := f.wait(t, "DATA-1"); x.Error != workflow.ErrRejected {
		t.Fatalf("provision: error %q, want %q", x.Error, workflow.ErrRejected)
	}
	f.started(t, provisionMachine+"_second", "DATA-1")

	f.steps[teardownMachine+"_first"].block()
	f.start(t, teardownMachine, "DATA-1-teardown", "DATA-1")
	f.started(t, teardownMachine+"_first", "DATA-1-teardown")

	second.setFail(false)
	if _, err := f.engine.Redrive(context.Background(), "DATA-1"); err != nil {
		t.Fatalf("redrive: %v", err)
	}
	checkConflict(t, f.wait(t, "DATA-1"), "teardown DATA-1-teardown of request DATA-1 is still running")
	if n := second.calls.Load(); n != 1 {
		t.Errorf("second step ran %d times, want 1 (only before the redrive)", n)
	}
}

// redriveAfterTeardown releases the teardown that redriveDuringTeardown
// started, and once it has closed, a redrive of DATA-1 must fail with a
// Conflict before its second step, because the teardown started after
// DATA-1 and removed what DATA-1 built.
func redriveAfterTeardown(t *testing.T, f *fixture) {
	t.Helper()
	f.steps[teardownMachine+"_first"].release()
	if x := f.wait(t, "DATA-1-teardown"); x.Status != engine.StatusSucceeded {
		t.Fatalf("teardown: status %s, want SUCCEEDED (error %s: %s)", x.Status, x.Error, x.Cause)
	}
	if _, err := f.engine.Redrive(context.Background(), "DATA-1"); err != nil {
		t.Fatalf("second redrive: %v", err)
	}
	checkConflict(t, f.wait(t, "DATA-1"),
		"teardown DATA-1-teardown of request DATA-1 started after execution DATA-1 (SUCCEEDED)",
		"run the request again")
	if n := f.steps[provisionMachine+"_second"].calls.Load(); n != 1 {
		t.Errorf("second step ran %d times, want 1 (only before the redrives)", n)
	}
}

// failAtSecondStep runs provision execution name of request id, which
// fails at its second task.
func failAtSecondStep(t *testing.T, f *fixture, name, id string) {
	t.Helper()
	second := f.steps[provisionMachine+"_second"]
	second.setFail(true)
	defer second.setFail(false)
	f.start(t, provisionMachine, name, id)
	if x := f.wait(t, name); x.Error != workflow.ErrRejected {
		t.Fatalf("%s: error %q, want %q", name, x.Error, workflow.ErrRejected)
	}
}

// succeed runs provision execution name of request id to success.
func succeed(t *testing.T, f *fixture, name, id string) {
	t.Helper()
	f.start(t, provisionMachine, name, id)
	if x := f.wait(t, name); x.Status != engine.StatusSucceeded {
		t.Fatalf("%s: status %s, want SUCCEEDED (error %s: %s)", name, x.Status, x.Error, x.Cause)
	}
}

// redriveAfterLaterProvision fails DATA-1 at its second task, runs
// DATA-1-r2 of the same request and DATA-2 of another one, and redrives
// DATA-1. The redrive must fail with a Conflict that names DATA-1-r2.
// A redrive of DATA-3 after a later execution of another request only
// must succeed.
func redriveAfterLaterProvision(t *testing.T, f *fixture) {
	t.Helper()
	second := f.steps[provisionMachine+"_second"]
	failAtSecondStep(t, f, "DATA-1", "DATA-1")
	succeed(t, f, "DATA-1-r2", "DATA-1")
	succeed(t, f, "DATA-2", "DATA-2")

	if _, err := f.engine.Redrive(context.Background(), "DATA-1"); err != nil {
		t.Fatalf("redrive DATA-1: %v", err)
	}
	checkConflict(t, f.wait(t, "DATA-1"),
		"execution DATA-1-r2 of request DATA-1 started after execution DATA-1",
		"redrive DATA-1-r2 if it failed, or run the request again")
	if n := second.calls.Load(); n != 3 {
		t.Errorf("second step ran %d times, want 3 (not for the redrive of DATA-1)", n)
	}

	failAtSecondStep(t, f, "DATA-3", "DATA-3")
	succeed(t, f, "DATA-4", "DATA-4")
	if _, err := f.engine.Redrive(context.Background(), "DATA-3"); err != nil {
		t.Fatalf("redrive DATA-3: %v", err)
	}
	if x := f.wait(t, "DATA-3"); x.Status != engine.StatusSucceeded {
		t.Errorf("DATA-3 after redrive: status %s, want SUCCEEDED (error %s: %s)", x.Status, x.Error, x.Cause)
	}
}

func TestRedriveAfterLaterProvision(t *testing.T) {
	redriveAfterLaterProvision(t, newFixture(t))
}

// TestRedriveChecksFailedStep redrives a provision execution that failed
// at its second task while a teardown runs, and again after it closed.
// Both redrives fail with a Conflict.
func TestRedriveChecksFailedStep(t *testing.T) {
	f := newFixture(t)
	redriveDuringTeardown(t, f)
	if n := f.steps[provisionMachine+"_first"].calls.Load(); n != 1 {
		t.Errorf("first step ran %d times, want 1", n)
	}
	redriveAfterTeardown(t, f)
}

// TestTeardownRedriveAfterLaterProvision fails teardown DATA-1-teardown at
// its second task, runs DATA-1-r2 of the same request and redrives the
// teardown. The redrive must fail with a Conflict that names DATA-1-r2
// before the second task deletes anything.
func TestTeardownRedriveAfterLaterProvision(t *testing.T) {
	f := newFixture(t)
	second := f.steps[teardownMachine+"_second"]
	second.setFail(true)
	f.start(t, teardownMachine, "DATA-1-teardown", "DATA-1")
	if x := f.wait(t, "DATA-1-teardown"); x.Error != workflow.ErrRejected {
		t.Fatalf("DATA-1-teardown: error %q, want %q", x.Error, workflow.ErrRejected)
	}
	second.setFail(false)
	succeed(t, f, "DATA-1-r2", "DATA-1")

	if _, err := f.engine.Redrive(context.Background(), "DATA-1-teardown"); err != nil {
		t.Fatalf("redrive DATA-1-teardown: %v", err)
	}
	checkConflict(t, f.wait(t, "DATA-1-teardown"),
		"execution DATA-1-r2 of request DATA-1 started after teardown DATA-1-teardown (SUCCEEDED)",
		"would delete what DATA-1-r2 built")
	if n := second.calls.Load(); n != 1 {
		t.Errorf("teardown's second step ran %d times, want 1 (not for the redrive)", n)
	}
}

func TestCheckSkipsOtherMachines(t *testing.T) {
	checker := &Checker{Executions: nil, Provision: provisionMachine, Teardown: teardownMachine}
	tests := []struct {
		name string
		task Task
	}{
		{"egress refresh machine", Task{StateMachine: "arn:aws:states:us-west-2:123456789012:stateMachine:rl-egress-refresh"}},
		{"invoked by hand", Task{}},
		{"not an ARN", Task{StateMachine: provisionMachine}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.task.Request.ID = "DATA-1"
			if err := checker.Check(context.Background(), tt.task); err != nil {
				t.Errorf("Check: %v, want nil", err)
			}
		})
	}
}
