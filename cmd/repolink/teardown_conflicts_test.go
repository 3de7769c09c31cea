package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// TestTeardownRejectedWhileRerunProvisions follows a new user's steps: run
// a request, tear it down, run a changed request of the same ID, which
// starts the ID's second execution, and tear down the first execution
// while the second one provisions. That teardown must not start, because
// it would delete what the second execution builds.
func TestTeardownRejectedWhileRerunProvisions(t *testing.T) {
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "TD-1"
		section(doc, "repository")["name"] = "td1"
		section(doc, "snowflake")["account"] = "acct-td"
	})
	if name := openRerunAfterTeardown(t, dir, first, "TD-1"); name != "TD-1-r2" {
		t.Fatalf("second run: %q, want TD-1-r2", name)
	}

	code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "TD-1")
	if code != exitInvalid {
		t.Fatalf("teardown while TD-1-r2 runs: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	for _, want := range []string{"execution TD-1-r2 of request TD-1 is still running", "repolink stop --state-dir " + dir + " TD-1-r2"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if x, err := eng.Describe(context.Background(), "TD-1-teardown-r2"); !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("TD-1-teardown-r2 exists (%s) after the rejected teardown", x.Status)
	}
	if x, err := eng.Describe(context.Background(), "TD-1-r2"); err != nil || x.Status != engine.StatusRunning {
		t.Errorf("TD-1-r2 after the rejected teardown: %s, %v, want RUNNING", x.Status, err)
	}

	// Once the second execution is stopped, a teardown of it, the latest
	// run, goes ahead, and one of the first execution names it.
	if _, err := eng.Stop(context.Background(), "TD-1-r2", "", ""); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "TD-1")
	if code != exitInvalid {
		t.Fatalf("teardown of TD-1 after the stop: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(errOut, "TD-1-r2 started after it") {
		t.Errorf("teardown of TD-1 after the stop does not name TD-1-r2:\n%s", errOut)
	}
	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "TD-1-r2"); code != exitOK {
		t.Fatalf("teardown of TD-1-r2 after the stop: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// servedStore is a state directory whose store another process serves, as
// for repolink up, but in which no engine runs the executions, so that they
// stay as the test starts them.
type servedStore struct {
	dir    string
	eng    *engine.Engine
	client *sfn.Client
}

func newServedStore(t *testing.T) *servedStore {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	lock, err := lockStateDir(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lock.release)

	client := mountedAPIClient(t, eng, dir)
	return &servedStore{dir: dir, eng: eng, client: client}
}

// start starts an execution of machine with req in the store.
func (s *servedStore) start(t *testing.T, machine, name string, req request.Request) {
	t.Helper()
	if _, err := s.eng.Start(context.Background(), machine, name, documentOf(t, req)); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
}

// tornDown starts and stops a provision execution of request id and a
// teardown of it. It returns the request and the request changed for a
// next run.
func (s *servedStore) tornDown(t *testing.T, id string) (req, changed request.Request) {
	t.Helper()
	req = exampleRequest(t, id)
	s.start(t, provisionMachine, id, req)
	s.stop(t, id)
	s.start(t, teardownMachine, id+"-teardown", req)
	s.stop(t, id+"-teardown")
	changed = req
	changed.Repository.Packages = []string{"requests"}
	return req, changed
}

func (s *servedStore) stop(t *testing.T, name string) {
	t.Helper()
	if _, err := s.eng.Stop(context.Background(), name, "", ""); err != nil {
		t.Fatalf("stop %s: %v", name, err)
	}
}

// apiStart starts an execution through the Step Functions API and returns
// the error of the call.
func (s *servedStore) apiStart(machine, name string, req request.Request) error {
	input, _ := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	_, err := s.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.eng.StateMachineARN(machine)),
		Name:            aws.String(name),
		Input:           aws.String(string(input)),
	})
	return err
}

func (s *servedStore) apiRedrive(machine, name string) error {
	_, err := s.client.RedriveExecution(context.Background(), &sfn.RedriveExecutionInput{
		ExecutionArn: aws.String(s.eng.ExecutionARN(machine, name))})
	return err
}

// assertAbsent fails the test when an execution named name exists.
func (s *servedStore) assertAbsent(t *testing.T, name string) {
	t.Helper()
	if x, err := s.eng.Describe(context.Background(), name); !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("%s exists (%s %s), want no such execution", name, x.Machine, x.Status)
	}
}

func (s *servedStore) assertStatus(t *testing.T, name, status string) {
	t.Helper()
	if x, err := s.eng.Describe(context.Background(), name); err != nil || x.Status != status {
		t.Errorf("%s: %s, %v, want %s", name, x.Status, err, status)
	}
}

func documentOf(t *testing.T, req request.Request) []byte {
	t.Helper()
	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	return input
}

// runCLIWithin runs the command in-process as runCLI does, but cancels it
// after 10 seconds, so that a command that follows an execution which no
// engine runs fails in place of waiting for the test timeout.
func runCLIWithin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr strings.Builder
	code := run(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// assertRejected checks that err is a Step Functions error of type code
// whose message contains every one of want.
func assertRejected(t *testing.T, operation string, err error, code string, want ...string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("%s: error = %v, want %s", operation, err, code)
		return
	}
	if apiErr.ErrorCode() != code {
		t.Errorf("%s: error code %s, want %s", operation, apiErr.ErrorCode(), code)
	}
	for _, w := range want {
		if !strings.Contains(apiErr.ErrorMessage(), w) {
			t.Errorf("%s: message %q lacks %q", operation, apiErr.ErrorMessage(), w)
		}
	}
}

// assertUsage checks that a command exited with the usage status and
// printed every one of want.
func assertUsage(t *testing.T, command string, code int, errOut string, want ...string) {
	t.Helper()
	if code != exitInvalid {
		t.Errorf("%s: exit %d, want %d\nstderr:\n%s", command, code, exitInvalid, errOut)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("%s: stderr lacks %q:\n%s", command, w, errOut)
		}
	}
}

// TestServedTeardownRejectedWhileProvisionRuns checks every way to start
// or redrive a teardown of a request in a state directory that repolink up
// serves, while a provision execution of the request runs.
func TestServedTeardownRejectedWhileProvisionRuns(t *testing.T) {
	s := newServedStore(t)
	req, changed := s.tornDown(t, "TD-1")
	s.start(t, provisionMachine, "TD-1-r2", changed)
	stop := "repolink stop --state-dir " + s.dir + " TD-1-r2"
	apiStop := "repolink stop --state-dir DIR TD-1-r2" // an API caller is not shown the path

	code, _, errOut := runCLIWithin(t, "teardown", "--state-dir", s.dir, "TD-1")
	assertUsage(t, "teardown TD-1", code, errOut, "execution TD-1-r2 of request TD-1 is still running", stop)
	s.assertAbsent(t, "TD-1-teardown-r2")

	err := s.apiStart(teardownMachine, "TD-1-teardown-r2", req)
	assertRejected(t, "StartExecution of a teardown", err, "ConflictException", "TD-1-r2", apiStop)
	s.assertAbsent(t, "TD-1-teardown-r2")

	// A name of any form counts, because the request ID decides.
	err = s.apiStart(teardownMachine, "cleanup", changed)
	assertRejected(t, "StartExecution of a teardown named cleanup", err, "ConflictException", "TD-1-r2")
	s.assertAbsent(t, "cleanup")

	code, _, errOut = runCLIWithin(t, "redrive", "--state-dir", s.dir, "TD-1-teardown")
	assertUsage(t, "redrive TD-1-teardown", code, errOut, "execution TD-1-r2 of request TD-1 is still running", stop)
	s.assertStatus(t, "TD-1-teardown", engine.StatusAborted)

	err = s.apiRedrive(teardownMachine, "TD-1-teardown")
	assertRejected(t, "RedriveExecution of a teardown", err, "ExecutionNotRedrivable", "TD-1-r2", apiStop)
	s.assertStatus(t, "TD-1-teardown", engine.StatusAborted)

	// Another request's teardown goes ahead.
	other := exampleRequest(t, "TD-2")
	s.start(t, provisionMachine, "TD-2", other)
	s.stop(t, "TD-2")
	if err := s.apiStart(teardownMachine, "TD-2-teardown", other); err != nil {
		t.Errorf("StartExecution of TD-2's teardown: %v", err)
	}
}

// TestServedProvisionRejectedWhileTeardownRuns checks every way to start
// or redrive a provision execution of a request in a state directory that
// repolink up serves, while a teardown of the request runs.
func TestServedProvisionRejectedWhileTeardownRuns(t *testing.T) {
	s := newServedStore(t)
	req := exampleRequest(t, "TD-1")
	s.start(t, provisionMachine, "TD-1", req)
	s.stop(t, "TD-1")
	changed := req
	changed.Repository.Packages = []string{"requests"}
	s.start(t, provisionMachine, "TD-1-r2", changed)
	s.stop(t, "TD-1-r2")
	if err := s.apiStart(teardownMachine, "TD-1-teardown", req); err != nil {
		t.Fatalf("StartExecution of the teardown: %v", err)
	}
	stop := "repolink stop --state-dir " + s.dir + " TD-1-teardown"
	apiStop := "repolink stop --state-dir DIR TD-1-teardown" // an API caller is not shown the path

	again := req
	again.Repository.Packages = []string{"corp-utils"}
	code, _, errOut := runCLIWithin(t, "run", "--state-dir", s.dir, writeRequestFile(t, again, "request.json"))
	assertUsage(t, "run", code, errOut, "teardown TD-1-teardown of request TD-1 is still running", stop)
	s.assertAbsent(t, "TD-1-r3")

	err := s.apiStart(provisionMachine, "TD-1-r3", again)
	assertRejected(t, "StartExecution of a provision", err, "ConflictException", "TD-1-teardown", apiStop)
	s.assertAbsent(t, "TD-1-r3")

	// TD-1-r2 has no teardown of its own; the teardown of TD-1 removes
	// the request's network all the same.
	code, _, errOut = runCLIWithin(t, "redrive", "--state-dir", s.dir, "TD-1-r2")
	assertUsage(t, "redrive TD-1-r2", code, errOut, "teardown TD-1-teardown of request TD-1 is still running", stop)
	s.assertStatus(t, "TD-1-r2", engine.StatusAborted)

	err = s.apiRedrive(provisionMachine, "TD-1-r2")
	assertRejected(t, "RedriveExecution of a provision", err, "ExecutionNotRedrivable", "TD-1-teardown", apiStop)
	s.assertStatus(t, "TD-1-r2", engine.StatusAborted)

	// A webhook delivery gets the conflict that names the teardown.
	rt := &runtime{dir: s.dir, engine: s.eng, logger: slog.New(slog.DiscardHandler)}
	_, err = (&serviceExecutions{rt: rt}).Start(context.Background(), again)
	var running *webhook.RunningError
	if !errors.As(err, &running) || running.Execution != "TD-1-teardown" {
		t.Errorf("webhook start: error = %v, want a RunningError naming TD-1-teardown", err)
	} else if !running.Teardown {
		t.Errorf("webhook start: RunningError %v is not marked as a teardown", err)
	}
	s.assertAbsent(t, "TD-1-r3")
}

// TestServedTeardownRejectedWhileTeardownRuns checks every way to start or
// redrive a teardown of a request in a state directory that repolink up
// serves, while a teardown of another run of the request runs. Both would
// delete the same resources.
func TestServedTeardownRejectedWhileTeardownRuns(t *testing.T) {
	s := newServedStore(t)
	req, changed := s.tornDown(t, "TD-1")
	s.start(t, provisionMachine, "TD-1-r2", changed)
	s.stop(t, "TD-1-r2")
	s.start(t, teardownMachine, "TD-1-r2-teardown", changed)
	stop := "repolink stop --state-dir " + s.dir + " TD-1-r2-teardown"
	apiStop := "repolink stop --state-dir DIR TD-1-r2-teardown" // an API caller is not shown the path
	reason := "teardown TD-1-r2-teardown of request TD-1 is still running"

	code, _, errOut := runCLIWithin(t, "teardown", "--state-dir", s.dir, "TD-1")
	assertUsage(t, "teardown TD-1", code, errOut, reason, stop, "before starting another teardown of the request")
	s.assertAbsent(t, "TD-1-teardown-r2")

	err := s.apiStart(teardownMachine, "TD-1-teardown-r2", req)
	assertRejected(t, "StartExecution of a teardown", err, "ConflictException", reason, apiStop)
	s.assertAbsent(t, "TD-1-teardown-r2")

	err = s.apiStart(teardownMachine, "cleanup", changed)
	assertRejected(t, "StartExecution of a teardown named cleanup", err, "ConflictException", reason)
	s.assertAbsent(t, "cleanup")

	// A start of the running teardown itself returns it.
	if err := s.apiStart(teardownMachine, "TD-1-r2-teardown", changed); err != nil {
		t.Errorf("StartExecution of the running teardown: %v", err)
	}

	code, _, errOut = runCLIWithin(t, "redrive", "--state-dir", s.dir, "TD-1-teardown")
	assertUsage(t, "redrive TD-1-teardown", code, errOut, reason, stop)
	s.assertStatus(t, "TD-1-teardown", engine.StatusAborted)

	err = s.apiRedrive(teardownMachine, "TD-1-teardown")
	assertRejected(t, "RedriveExecution of a teardown", err, "ExecutionNotRedrivable", reason, apiStop)
	s.assertStatus(t, "TD-1-teardown", engine.StatusAborted)

	// Another request's teardown goes ahead.
	other := exampleRequest(t, "TD-2")
	s.start(t, provisionMachine, "TD-2", other)
	s.stop(t, "TD-2")
	if err := s.apiStart(teardownMachine, "TD-2-teardown", other); err != nil {
		t.Errorf("StartExecution of TD-2's teardown: %v", err)
	}

	// Once the running teardown is stopped, the teardown goes ahead.
	s.stop(t, "TD-1-r2-teardown")
	if err := s.apiStart(teardownMachine, "TD-1-teardown-r2", req); err != nil {
		t.Errorf("StartExecution of a teardown after the stop: %v", err)
	}
}

func TestStartLockExcludesSecondHolder(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	unlock, err := lockStarts(ctx, dir, "R-1")
	if err != nil {
		t.Fatal(err)
	}

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := lockStarts(short, dir, "R-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while the first is held: error = %v, want a timeout", err)
	}

	acquired := make(chan struct{})
	go func() {
		_ = withStartLock(ctx, dir, "R-1", func() error {
			close(acquired)
			return nil
		})
	}()
	select {
	case <-acquired:
		t.Fatal("withStartLock ran while the first lock was held")
	case <-time.After(50 * time.Millisecond):
	}
	unlock()
	select {
	case <-acquired:
	case <-time.After(5 * time.Second):
		t.Fatal("withStartLock did not run within 5 s of the release")
	}
}

// TestStartLockOtherRequestDoesNotWait holds the start lock of request R-1
// and checks that a start of request R-2 completes meanwhile, while a
// second holder of R-1's lock waits.
func TestStartLockOtherRequestDoesNotWait(t *testing.T) {
	requireOtherStripes(t, "R-1", "R-2")
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	release, err := lockStarts(ctx, dir, "R-1")
	if err != nil {
		t.Fatal(err)
	}
	unlock := sync.OnceFunc(release)
	t.Cleanup(unlock)

	waited := make(chan struct{})
	go func() {
		_ = withStartLock(ctx, dir, "R-1", func() error {
			close(waited)
			return nil
		})
	}()

	within, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	name, err := startExecutionLocked(within, eng, dir, exampleRequest(t, "R-2"))
	if err != nil {
		t.Fatalf("start of R-2 while the lock of R-1 is held: %v", err)
	}
	if name != "R-2" {
		t.Errorf("start of R-2 = %q, want R-2", name)
	}
	select {
	case <-waited:
		t.Fatal("a second holder of the lock of R-1 ran while the first held it")
	default:
	}

	unlock()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("the second holder of the lock of R-1 did not run within 5 s of the release")
	}
}

// requireOtherStripes stops the test when the requests with IDs a and b
// share a start lock, because the test needs two locks.
func requireOtherStripes(t *testing.T, a, b string) {
	t.Helper()
	if startLockStripe(a) == startLockStripe(b) {
		t.Fatalf("requests %s and %s share start lock stripe %d; use IDs in different stripes", a, b, startLockStripe(a))
	}
}

// TestStartLockStripesBounded checks that the stripes of 500 request IDs
// are below startLockStripes, stay the same for the same ID, and spread
// over at least half of the stripes.
func TestStartLockStripesBounded(t *testing.T) {
	stripes := map[int]bool{}
	for i := range 500 {
		id := fmt.Sprintf("STRIPE-%d", i)
		stripe := startLockStripe(id)
		if stripe < 0 || stripe >= startLockStripes {
			t.Fatalf("stripe of %s = %d, want 0 to %d", id, stripe, startLockStripes-1)
		}
		if again := startLockStripe(id); again != stripe {
			t.Fatalf("stripe of %s = %d, then %d", id, stripe, again)
		}
		stripes[stripe] = true
	}
	if len(stripes) < startLockStripes/2 {
		t.Errorf("500 request IDs fall in %d stripes, want at least %d of the %d", len(stripes), startLockStripes/2, startLockStripes)
	}
}

// TestStartGatesRemovedAfterUse checks that the in-process gates of start
// locks are removed once no goroutine waits at or holds them, including
// after a wait that timed out.
func TestStartGatesRemovedAfterUse(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	unlock, err := lockStarts(ctx, dir, "GATE-1")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := lockStarts(short, dir, "GATE-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while the first is held: error = %v, want a timeout", err)
	}
	unlock()

	startGatesMu.Lock()
	defer startGatesMu.Unlock()
	for key := range startGates {
		if key.dir == filepath.Clean(dir) {
			t.Errorf("gate of stripe %d in the test directory stays after its last user left", key.stripe)
		}
	}
}

// TestRacingStartsOfSharedRunName starts, at the same time, the second run
// of request NAME-n and the first execution of request NAME-n-r2, which
// both want the execution name NAME-n-r2. Most such pairs fall in different
// start lock stripes and do not wait for each other, and both must start,
// under different names.
func TestRacingStartsOfSharedRunName(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	for round := range 20 {
		base := fmt.Sprintf("NAME-%d", round)
		// Each request of each round gets its own repository name, so that
		// no running execution names the objects of another.
		first := exampleRequest(t, base)
		first.Repository.Name = fmt.Sprintf("name_%d_pypi", round)
		if _, err := startExecution(ctx, eng, first); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Stop(ctx, base, "", ""); err != nil {
			t.Fatal(err)
		}
		other := exampleRequest(t, base+"-r2")
		other.Repository.Name = fmt.Sprintf("name_%d_other_pypi", round)
		a, b := openTestStore(t, dir), openTestStore(t, dir)
		var rerun, otherRun string
		var rerunErr, otherErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			rerun, rerunErr = startExecutionLocked(ctx, a, dir, first)
		})
		wg.Go(func() {
			<-start
			otherRun, otherErr = startExecutionLocked(ctx, b, dir, other)
		})
		close(start)
		wg.Wait()
		if rerunErr != nil {
			t.Fatalf("%s: second run: %v", base, rerunErr)
		}
		if otherErr != nil {
			t.Fatalf("%s: first execution of %s: %v", base, other.ID, otherErr)
		}
		if rerun == otherRun {
			t.Fatalf("%s: both starts returned execution %s", base, rerun)
		}
	}
}

// TestServedStartsOfOtherRequestsDoNotWait checks that the Step Functions
// API of repolink up takes the start lock of the request in the input: a
// start of TD-1 completes while the lock of TD-2 is held, and a start of
// TD-2 waits for it.
func TestServedStartsOfOtherRequestsDoNotWait(t *testing.T) {
	requireOtherStripes(t, "TD-1", "TD-2")
	s := newServedStore(t)
	release, err := lockStarts(context.Background(), s.dir, "TD-2")
	if err != nil {
		t.Fatal(err)
	}
	// The release also runs on failure, before the server closes, so that
	// a start that waits for the lock cannot keep the server open.
	unlock := sync.OnceFunc(release)
	t.Cleanup(unlock)

	first, second := exampleRequest(t, "TD-1"), exampleRequest(t, "TD-2")
	second.Repository.Name = "other_pypi"
	started := make(chan error, 1)
	go func() { started <- s.apiStart(provisionMachine, "TD-1", first) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("StartExecution of TD-1 while the lock of TD-2 is held: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("StartExecution of TD-1 did not complete within 5 s while the lock of TD-2 was held")
	}

	waiting := make(chan error, 1)
	go func() { waiting <- s.apiStart(provisionMachine, "TD-2", second) }()
	select {
	case err := <-waiting:
		t.Fatalf("StartExecution of TD-2 completed while its lock was held: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-waiting:
		if err != nil {
			t.Errorf("StartExecution of TD-2 after the release: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("StartExecution of TD-2 did not complete within 5 s of the release")
	}
	s.assertStatus(t, "TD-1", engine.StatusRunning)
	s.assertStatus(t, "TD-2", engine.StatusRunning)
}

// TestRacingStartsNeverBothRun starts a rerun of a stopped provision
// execution and a teardown of that execution at the same time, each
// through its own engine handle on the store, as two processes do, and
// checks that exactly one of them starts. Each round has a store of its
// own, so that the rounds' requests, which name the same Snowflake objects,
// do not clash with one another.
func TestRacingStartsNeverBothRun(t *testing.T) {
	ctx := context.Background()
	for round := range 10 {
		dir := t.TempDir()
		eng := provisionStore(t, dir)
		id := fmt.Sprintf("RACE-%d", round)
		req := exampleRequest(t, id)
		input := documentOf(t, req)
		if _, err := startExecution(ctx, eng, req); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Stop(ctx, id, "Stopped", "stopped by the test"); err != nil {
			t.Fatal(err)
		}
		provisioner, tearer := openTestStore(t, dir), openTestStore(t, dir)
		var provisionErr, teardownErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			provisionErr = withStartLock(ctx, dir, id, func() error {
				_, err := startExecution(ctx, provisioner, req)
				return err
			})
		})
		wg.Go(func() {
			<-start
			teardownErr = withStartLock(ctx, dir, id, func() error {
				_, err := startTeardown(ctx, tearer, id, id, input, false, "", "", io.Discard)
				return err
			})
		})
		close(start)
		wg.Wait()
		if provisionErr == nil && teardownErr == nil {
			t.Fatalf("%s: the provision execution and the teardown both started", id)
		}
		if provisionErr != nil && teardownErr != nil {
			t.Fatalf("%s: neither started: %v; %v", id, provisionErr, teardownErr)
		}
	}
}

// openTestStore opens another handle on the engine store in dir.
func openTestStore(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// TestServedProvisionRejectedWhileAnotherRuns checks that the Step
// Functions API of repolink up refuses a second provision execution of a
// request that runs, as run does, and still returns the running execution
// to a start of its own name.
func TestServedProvisionRejectedWhileAnotherRuns(t *testing.T) {
	s := newServedStore(t)
	req := exampleRequest(t, "TD-1")
	s.start(t, provisionMachine, "TD-1", req)
	stop := "repolink stop --state-dir DIR TD-1" // an API caller is not shown the path

	err := s.apiStart(provisionMachine, "second-run", req)
	assertRejected(t, "StartExecution of a second provision", err, "ConflictException",
		"execution TD-1 of request TD-1 is still running", stop)
	s.assertAbsent(t, "second-run")

	if err := s.apiStart(provisionMachine, "TD-1", req); err != nil {
		t.Errorf("StartExecution of the running TD-1 again: %v", err)
	}

	other := exampleRequest(t, "TD-2")
	other.Repository.Name = "other_pypi"
	if err := s.apiStart(provisionMachine, "TD-2", other); err != nil {
		t.Errorf("StartExecution of another request: %v", err)
	}
}

// TestRunFindsProvisionStartedUnderAnotherName checks that run and the
// commands that take a request file find a provision execution that the
// Step Functions API started under a name of its own.
func TestRunFindsProvisionStartedUnderAnotherName(t *testing.T) {
	s := newServedStore(t)
	ctx := context.Background()
	req := exampleRequest(t, "TD-1")
	s.start(t, provisionMachine, "api-run", req)

	changed := req
	changed.Repository.Packages = []string{"corp-utils"}
	_, err := startExecution(ctx, s.eng, changed)
	var running *webhook.RunningError
	if !errors.As(err, &running) || running.Execution != "api-run" {
		t.Errorf("start of a changed request: error = %v, want a RunningError naming api-run", err)
	}
	s.assertAbsent(t, "TD-1")

	name, err := startExecution(ctx, s.eng, req)
	if err != nil || name != "api-run" {
		t.Errorf("start of the same request = %q, %v; want the running api-run", name, err)
	}
	s.assertAbsent(t, "TD-1")

	name, err = executionOf(ctx, s.dir, writeRequestFile(t, req, "request.json"), "", io.Discard)
	if err != nil || name != "api-run" {
		t.Errorf("executionOf the request file = %q, %v; want api-run", name, err)
	}
}

func TestServedProvisionRejectsTeardownName(t *testing.T) {
	s := newServedStore(t)
	req := exampleRequest(t, "S-1")
	for _, name := range []string{"S-1-teardown", "S-1-teardown-r2"} {
		err := s.apiStart(provisionMachine, name, req)
		assertRejected(t, "StartExecution of provision "+name, err, "InvalidName", "ends like a teardown execution name")
		s.assertAbsent(t, name)
	}
	if err := s.apiStart(provisionMachine, "S-1-r2", req); err != nil {
		t.Errorf("StartExecution of provision S-1-r2: %v", err)
	}
}

// openRerunAfterTeardown runs the request in file on the sandbox and tears
// down its execution id. It then starts a second execution of the request,
// changed, without running it, as while another 'repolink run' process
// provisions it, and returns that execution's name.
func openRerunAfterTeardown(t *testing.T, dir, file, id string) string {
	t.Helper()
	for _, args := range [][]string{
		{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file},
		{"teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, id},
	} {
		if code, out, errOut := runCLI(t, args...); code != exitOK {
			t.Fatalf("%s exit %d\nstdout:\n%s\nstderr:\n%s", args[0], code, out, errOut)
		}
	}

	changed, err := readRequest(file)
	if err != nil {
		t.Fatal(err)
	}
	changed.Repository.Packages = []string{"requests"}
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	name, err := startExecution(context.Background(), eng, changed)
	eng.Close()
	if err != nil {
		t.Fatalf("start the second run of %s: %v", id, err)
	}
	return name
}
