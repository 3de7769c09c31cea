package exclusion

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo/dynamotest"
	"github.com/repolink/repolink/shared/cloud/aws/sfn"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

const machinePrefix = "arn:aws:states:us-west-2:123456789012:stateMachine:"

// unlisted lists no running executions, as ListExecutions can right after
// a start, because it is eventually consistent. DescribeExecution goes to
// the wrapped client.
type unlisted struct{ Executions }

func (unlisted) ListExecutions(context.Context, string, sfn.ListOptions) ([]sfn.ExecutionSummary, string, error) {
	return nil, "", nil
}

var tables atomic.Int64

// newHolders returns a run item store on a fresh table in dynalite.
func newHolders(t *testing.T) *dynamo.Store {
	t.Helper()
	server := dynamotest.Start(t)
	table := fmt.Sprintf("repolink-exclusion-%d", tables.Add(1))
	server.CreateTable(t, table)
	return dynamo.New(server.Client(), table)
}

// withHolders gives the checker a run item store, and hides every running
// execution from its list, so that only the run item can keep executions
// apart.
func withHolders(t *testing.T, c *Checker) {
	c.Holders = newHolders(t)
	c.Executions = unlisted{c.Executions}
}

func (f *fixture) holders(t *testing.T, requestID string) map[string]dynamo.RunHolder {
	t.Helper()
	return readHolders(t, f.checker.Holders, requestID).Holders
}

// readHolders reads the run item of requestID.
func readHolders(t *testing.T, store Holders, requestID string) dynamo.RunHolders {
	t.Helper()
	read, err := store.ReadRunHolders(context.Background(), requestID)
	if err != nil {
		t.Fatalf("read run item of %s: %v", requestID, err)
	}
	return read
}

// TestHeldOverlappingStarts holds both executions before their checks until
// both run. Neither list shows the other, so only the run item can stop
// one of them. The first steps block, so that the execution that passed
// still runs when the other one checks.
func TestHeldOverlappingStarts(t *testing.T) {
	f := newFixture(t, withHolders)
	var arrived sync.WaitGroup
	arrived.Add(2)
	f.before = func(string) {
		arrived.Done()
		arrived.Wait()
	}
	provisionFirst, teardownFirst := f.steps[provisionMachine+"_first"], f.steps[teardownMachine+"_first"]
	provisionFirst.block()
	teardownFirst.block()

	f.start(t, provisionMachine, "DATA-1", "DATA-1")
	f.start(t, teardownMachine, "DATA-1-teardown", "DATA-1")
	var passed, stopped string
	select {
	case passed = <-provisionFirst.started:
		stopped = "DATA-1-teardown"
	case passed = <-teardownFirst.started:
		stopped = "DATA-1"
	case <-time.After(20 * time.Second):
		t.Fatal("neither execution passed its check within 20s")
	}
	checkConflict(t, f.wait(t, stopped), "of request DATA-1 is still running")

	provisionFirst.release()
	teardownFirst.release()
	if x := f.wait(t, passed); x.Status != engine.StatusSucceeded {
		t.Errorf("%s: status %s, want SUCCEEDED (error %s: %s)", passed, x.Status, x.Error, x.Cause)
	}
	if n := provisionFirst.calls.Load() + teardownFirst.calls.Load(); n != 1 {
		t.Errorf("%d executions passed the check, want 1", n)
	}
}

// TestHeldTeardownWhileProvisionRuns starts a teardown while the provision
// that holds the run item runs, and another one after it closed without
// releasing the item.
func TestHeldTeardownWhileProvisionRuns(t *testing.T) {
	f := newFixture(t, withHolders)
	startTeardownDuringProvision(t, f)

	// The provision still holds the item, because nothing released it.
	// It has closed, so the next teardown takes the item over.
	f.start(t, teardownMachine, "DATA-1-teardown-r2", "DATA-1")
	if x := f.wait(t, "DATA-1-teardown-r2"); x.Status != engine.StatusSucceeded {
		t.Errorf("teardown after the provision closed: status %s, want SUCCEEDED (error %s: %s)", x.Status, x.Error, x.Cause)
	}
	holders := f.holders(t, "DATA-1")
	if _, ok := holders[f.engine.ExecutionARN(teardownMachine, "DATA-1-teardown-r2")]; !ok || len(holders) != 1 {
		t.Errorf("holders %v, want only DATA-1-teardown-r2", holders)
	}
}

func TestHeldProvisionWhileTeardownRuns(t *testing.T) {
	f := newFixture(t, withHolders)
	startProvisionDuringTeardown(t, f)
}

// TestHeldSecondTeardownOfRequest starts a second teardown while the first
// holds the run item, which must fail, and another one once the first has
// closed, which takes the item over.
func TestHeldSecondTeardownOfRequest(t *testing.T) {
	f := newFixture(t, withHolders)
	startSecondTeardown(t, f)

	f.steps[teardownMachine+"_first"].release()
	if x := f.wait(t, "DATA-1-teardown"); x.Status != engine.StatusSucceeded {
		t.Fatalf("first teardown: status %s, want SUCCEEDED (error %s: %s)", x.Status, x.Error, x.Cause)
	}
	f.start(t, teardownMachine, "DATA-1-teardown-r2", "DATA-1")
	if x := f.wait(t, "DATA-1-teardown-r2"); x.Status != engine.StatusSucceeded {
		t.Errorf("teardown after the first closed: status %s, want SUCCEEDED (error %s: %s)", x.Status, x.Error, x.Cause)
	}
	holders := f.holders(t, "DATA-1")
	if _, ok := holders[f.engine.ExecutionARN(teardownMachine, "DATA-1-teardown-r2")]; !ok || len(holders) != 1 {
		t.Errorf("holders %v, want only DATA-1-teardown-r2", holders)
	}
}

func TestHeldSecondProvisionOfRequest(t *testing.T) {
	f := newFixture(t, withHolders)
	startSecondProvision(t, f)

	// Another request has its own item.
	f.start(t, provisionMachine, "DATA-2", "DATA-2")
	f.started(t, provisionMachine+"_first", "DATA-2")
	f.steps[provisionMachine+"_first"].release()
	if x := f.wait(t, "DATA-2"); x.Status != engine.StatusSucceeded {
		t.Errorf("DATA-2: status %s, want SUCCEEDED (error %s: %s)", x.Status, x.Error, x.Cause)
	}
}

// TestHeldSameExecutionTwice checks one execution twice, as a retried task
// does, and once more after a redrive. Every check passes, and the item
// records the redrive.
func TestHeldSameExecutionTwice(t *testing.T) {
	store := newHolders(t)
	arn := "arn:aws:states:us-west-2:123456789012:execution:" + provisionMachine + ":DATA-1"
	// The check after the redrive reads the execution's start date.
	self := described{arn: {ARN: arn, Name: "DATA-1", Status: "RUNNING", StartDate: time.Now()}}
	checker := &Checker{Executions: self, Holders: store, Provision: provisionMachine, Teardown: teardownMachine}
	ctx := context.Background()
	task := Task{Execution: "DATA-1", StateMachine: machinePrefix + provisionMachine}
	task.Request.ID = "DATA-1"

	for i := range 2 {
		if err := checker.Check(ctx, task); err != nil {
			t.Fatalf("check %d: %v, want nil", i+1, err)
		}
	}
	read := readHolders(t, store, "DATA-1")
	if _, ok := read.Holders[arn]; !ok || len(read.Holders) != 1 {
		t.Fatalf("holders %v, want only %s", read.Holders, arn)
	}
	if read.Version != 1 {
		t.Errorf("version %d, want 1 (the second check writes nothing)", read.Version)
	}

	task.RedriveCount = 1
	if err := checker.Check(ctx, task); err != nil {
		t.Fatalf("check after redrive: %v, want nil", err)
	}
	read = readHolders(t, store, "DATA-1")
	if got := read.Holders[arn].RedriveCount; got != 1 {
		t.Errorf("redrive count %d, want 1", got)
	}
}

// TestHeldRedriveChecksFailedStep redrives a provision execution that
// failed at its second task while a teardown holds the item, and again
// after the teardown closed. The list hides the teardown, so only the
// item's latest_teardown shows that it started after the provision.
func TestHeldRedriveChecksFailedStep(t *testing.T) {
	f := newFixture(t, withHolders)
	// The failed provision holds the item while the teardown runs, but no
	// longer runs itself.
	redriveDuringTeardown(t, f)
	redriveAfterTeardown(t, f)
	holders := f.holders(t, "DATA-1")
	if h, ok := holders[f.engine.ExecutionARN(provisionMachine, "DATA-1")]; !ok || h.RedriveCount != 2 || len(holders) != 1 {
		t.Errorf("holders %v, want only DATA-1 with redrive count 2", holders)
	}
}

// TestHeldRedriveAfterLaterProvision redrives provision executions after
// later ones, with a table. The run item records no provision execution,
// so the list shows the later ones.
func TestHeldRedriveAfterLaterProvision(t *testing.T) {
	redriveAfterLaterProvision(t, newFixture(t, func(t *testing.T, c *Checker) { c.Holders = newHolders(t) }))
}

// described returns a fixed DescribeExecution result per execution ARN,
// and ErrExecutionNotFound for any other.
type described map[string]sfn.Execution

func (described) ListExecutions(context.Context, string, sfn.ListOptions) ([]sfn.ExecutionSummary, string, error) {
	return nil, "", nil
}

func (d described) DescribeExecution(_ context.Context, arn string) (sfn.Execution, error) {
	if x, ok := d[arn]; ok {
		return x, nil
	}
	return sfn.Execution{}, fmt.Errorf("describe %s: %w", arn, sfn.ErrExecutionNotFound)
}

// TestHeldHolderStatus puts a provision holder in the item and checks a
// teardown against each status that DescribeExecution can return for it.
func TestHeldHolderStatus(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	holder := "arn:aws:states:us-west-2:123456789012:execution:" + provisionMachine + ":DATA-1"
	tests := []struct {
		name      string
		execution *sfn.Execution
		takenAt   time.Time
		redrives  int
		conflict  bool
	}{
		{"running", &sfn.Execution{Status: "RUNNING"}, now.Add(-time.Hour), 0, true},
		{"pending redrive", &sfn.Execution{Status: "PENDING_REDRIVE"}, now.Add(-time.Hour), 0, true},
		{"succeeded", &sfn.Execution{Status: "SUCCEEDED"}, now.Add(-time.Hour), 0, false},
		{"failed", &sfn.Execution{Status: "FAILED", RedriveCount: 1}, now.Add(-time.Hour), 1, false},
		{"failed before the redrive that took it", &sfn.Execution{Status: "FAILED"}, now.Add(-time.Second), 1, true},
		{"not found just after its take", nil, now.Add(-10 * time.Second), 0, true},
		{"not found long after its take", nil, now.Add(-NotFoundGrace - time.Minute), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newHolders(t)
			ctx := context.Background()
			holders := map[string]dynamo.RunHolder{holder: {Machine: kindProvision, RedriveCount: tt.redrives, TakenAt: tt.takenAt}}
			if ok, err := store.WriteRunHolders(ctx, "DATA-1", dynamo.RunHolders{}, holders); err != nil || !ok {
				t.Fatalf("WriteRunHolders = %v, %v", ok, err)
			}
			executions := described{}
			if tt.execution != nil {
				executions[holder] = *tt.execution
			}
			checker := &Checker{Executions: executions, Holders: store, Provision: provisionMachine, Teardown: teardownMachine,
				Now: func() time.Time { return now }}
			task := Task{Execution: "DATA-1-teardown", StateMachine: machinePrefix + teardownMachine}
			task.Request.ID = "DATA-1"

			err := checker.Check(ctx, task)
			var named *workflow.Error
			if tt.conflict {
				if !errors.As(err, &named) || named.Name != workflow.ErrConflict {
					t.Fatalf("Check = %v, want a Conflict error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check = %v, want nil", err)
			}
			read := readHolders(t, store, "DATA-1")
			if _, ok := read.Holders[holder]; ok {
				t.Errorf("holders %v still contain the closed provision", read.Holders)
			}
		})
	}
}

// TestHeldTeardownRecordsItself checks that a teardown records itself as
// its request's latest teardown and starts the teardown record, and that a
// provision keeps the recorded teardown.
func TestHeldTeardownRecordsItself(t *testing.T) {
	store := newHolders(t)
	start := time.Unix(1700000000, 0)
	checker := &Checker{Executions: unlisted{}, Holders: store, Provision: provisionMachine, Teardown: teardownMachine,
		Now: func() time.Time { return start }}
	ctx := context.Background()
	executionPrefix := "arn:aws:states:us-west-2:123456789012:execution:"

	provision := Task{Execution: "DATA-1", StateMachine: machinePrefix + provisionMachine}
	provision.Request.ID = "DATA-1"
	if err := checker.Check(ctx, provision); err != nil {
		t.Fatalf("check provision: %v", err)
	}
	if since, err := store.TeardownRecordStart(ctx); err != nil || !since.IsZero() {
		t.Errorf("teardown record start after a provision = %v, %v; want zero time", since, err)
	}

	teardown := Task{Execution: "DATA-2-teardown", StateMachine: machinePrefix + teardownMachine}
	teardown.Request.ID = "DATA-2"
	if err := checker.Check(ctx, teardown); err != nil {
		t.Fatalf("check teardown: %v", err)
	}
	if got, want := readHolders(t, store, "DATA-2").LatestTeardown, executionPrefix+teardownMachine+":DATA-2-teardown"; got != want {
		t.Errorf("latest teardown %q, want %q", got, want)
	}
	if since, err := store.TeardownRecordStart(ctx); err != nil || !since.Equal(start) {
		t.Errorf("teardown record start = %v, %v; want %v", since, err, start)
	}

	// A teardown that took the item before teardowns recorded themselves
	// records itself when it checks again.
	earlier := executionPrefix + teardownMachine + ":DATA-3-teardown"
	holders := map[string]dynamo.RunHolder{earlier: {Machine: kindTeardown, TakenAt: start}}
	if ok, err := store.WriteRunHolders(ctx, "DATA-3", dynamo.RunHolders{}, holders); err != nil || !ok {
		t.Fatalf("write run item: written %v, error %v", ok, err)
	}
	teardown = Task{Execution: "DATA-3-teardown", StateMachine: machinePrefix + teardownMachine}
	teardown.Request.ID = "DATA-3"
	if err := checker.Check(ctx, teardown); err != nil {
		t.Fatalf("check earlier teardown: %v", err)
	}
	if got := readHolders(t, store, "DATA-3").LatestTeardown; got != earlier {
		t.Errorf("latest teardown after the second check %q, want %q", got, earlier)
	}

	// A provision that takes the item keeps the recorded teardown.
	if ok, err := store.WriteRunHolders(ctx, "DATA-3", readHolders(t, store, "DATA-3"), nil); err != nil || !ok {
		t.Fatalf("release run item: written %v, error %v", ok, err)
	}
	provision = Task{Execution: "DATA-3-r2", StateMachine: machinePrefix + provisionMachine}
	provision.Request.ID = "DATA-3"
	if err := checker.Check(ctx, provision); err != nil {
		t.Fatalf("check provision after the teardown: %v", err)
	}
	if got := readHolders(t, store, "DATA-3").LatestTeardown; got != earlier {
		t.Errorf("latest teardown after a provision %q, want %q", got, earlier)
	}
}
