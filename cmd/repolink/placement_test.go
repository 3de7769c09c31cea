package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox"
	"github.com/repolink/repolink/shared/webhook"
)

// TestRunRejectsChangedPlacement runs a request, then checks the same
// request ID with another Snowflake account. A run of it would build a new
// endpoint and leave the first run's resources behind, so run, plan, the
// StartExecution check and webhook starts reject it until a teardown of the
// first run has succeeded.
func TestRunRejectsChangedPlacement(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "PL-1"
		section(doc, "snowflake")["account"] = "acct-first"
	})
	moved := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "PL-1"
		section(doc, "snowflake")["account"] = "acct-second"
	})
	movedReq, err := readRequest(moved)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	rejected := "request PL-1 changes $.snowflake.account from execution PL-1 (SUCCEEDED)"
	teardown := "repolink teardown --sandbox --state-dir " + dir + " PL-1"
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, moved)
	if code != exitInvalid {
		t.Fatalf("plan of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"a run would be rejected: " + rejected, teardown, "new id", "maximum of 5 private endpoints", "from acct-first to acct-second"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if reason := apiStartReason(t, dir, movedReq); !strings.Contains(reason, rejected) {
		t.Errorf("StartExecution check: reason %q lacks %q", reason, rejected)
	}

	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, moved)
	// The teardown advice says that it costs a private endpoint place.
	endpointCost := "maximum of 5 private endpoints for 7 days"
	values := "The request changes $.snowflake.account from acct-first to acct-second."
	assertUsage(t, "run with another account", code, errOut, rejected, teardown, "new id", endpointCost, values)
	if strings.Contains(errOut, "warning: execution PL-1 of request PL-1 created") {
		t.Errorf("rejected run printed the warning for a started run:\n%s", errOut)
	}
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Describe(context.Background(), "PL-1-r2"); !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("PL-1-r2 after the rejected run: error = %v, want no such execution", err)
	}

	// A webhook delivery of the changed request gets a conflict.
	rt := &runtime{dir: dir, engine: eng, logger: slog.New(slog.DiscardHandler)}
	_, err = (&serviceExecutions{rt: rt}).Start(context.Background(), movedReq)
	var conflicting *webhook.ConflictError
	if !errors.As(err, &conflicting) {
		t.Errorf("webhook start: error = %v, want a ConflictError", err)
	} else if !strings.Contains(conflicting.Reason, rejected) || conflicting.Execution != "PL-1" {
		t.Errorf("webhook start: ConflictError for %s with reason %q, want PL-1 and %q", conflicting.Execution, conflicting.Reason, rejected)
	}
	eng.Close()

	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "PL-1"); code != exitOK {
		t.Fatalf("teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, moved); code != exitOK || strings.Contains(out, "rejected") {
		t.Errorf("plan after the teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if reason := apiStartReason(t, dir, movedReq); reason != "" {
		t.Errorf("StartExecution check after the teardown: reason %q, want none", reason)
	}
}

// apiStartReason returns why the StartExecution check of repolink up
// rejects a provision execution of req in the state directory dir.
func apiStartReason(t *testing.T, dir string, req request.Request) string {
	t.Helper()
	return apiStartReasonOf(t, dir, "PL-1-r2", req)
}

// apiStartReasonOf returns why the StartExecution check of repolink up
// rejects a provision execution of req named name in the state directory
// dir.
func apiStartReasonOf(t *testing.T, dir, name string, req request.Request) string {
	t.Helper()
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	reason, err := startCheck(eng, "", "")(context.Background(), provisionMachine, name, documentOf(t, req))
	if err != nil {
		t.Fatal(err)
	}
	return reason
}

// TestRedriveRejectedAfterLaterRun checks that neither 'repolink redrive'
// nor RedriveExecution redrives a failed provision execution once a later
// run of the request started, because the redrive would build the older
// request over what the later run built.
func TestRedriveRejectedAfterLaterRun(t *testing.T) {
	s := newServedStore(t)
	req := exampleRequest(t, "RD-1")
	s.start(t, provisionMachine, "RD-1", req)
	s.stop(t, "RD-1")
	changed := req
	changed.Repository.Packages = []string{"requests"}
	s.start(t, provisionMachine, "RD-1-r2", changed)
	s.stop(t, "RD-1-r2")

	code, _, errOut := runCLIWithin(t, "redrive", "--state-dir", s.dir, "RD-1")
	assertUsage(t, "redrive RD-1", code, errOut, "execution RD-1-r2 of request RD-1 started after execution RD-1", "redrive RD-1-r2")
	s.assertStatus(t, "RD-1", engine.StatusAborted)

	err := s.apiRedrive(provisionMachine, "RD-1")
	assertRejected(t, "RedriveExecution of RD-1", err, "ExecutionNotRedrivable", "RD-1-r2 of request RD-1 started after")
	s.assertStatus(t, "RD-1", engine.StatusAborted)
}

// TestRedriveRejectedAfterRequestTeardown checks that a failed provision
// execution is not redriven after a teardown of its request that carries
// another name, such as the teardown of a later run.
func TestRedriveRejectedAfterRequestTeardown(t *testing.T) {
	s := newServedStore(t)
	req := exampleRequest(t, "RD-2")
	s.start(t, provisionMachine, "RD-2", req)
	s.stop(t, "RD-2")
	s.start(t, teardownMachine, "RD-2-cleanup", req)
	s.stop(t, "RD-2-cleanup")

	code, _, errOut := runCLIWithin(t, "redrive", "--state-dir", s.dir, "RD-2")
	assertUsage(t, "redrive RD-2", code, errOut, "teardown RD-2-cleanup of request RD-2 started after execution RD-2", "run the request again")
	s.assertStatus(t, "RD-2", engine.StatusAborted)

	err := s.apiRedrive(provisionMachine, "RD-2")
	assertRejected(t, "RedriveExecution of RD-2", err, "ExecutionNotRedrivable", "RD-2-cleanup")
	s.assertStatus(t, "RD-2", engine.StatusAborted)
}

// TestRunRejectsPlacementOfFailedRun fails a run in a building step. Then
// run, plan and the StartExecution check must reject the same request ID
// with another Snowflake account until a teardown of the failed run has
// succeeded, and the error names the teardown and the redrive of the
// failed run. The run fails once in its target group step, after it
// recorded the created proxy VM, and once in the proxy VM step itself,
// which records nothing: a step can fail after its cloud call succeeded.
func TestRunRejectsPlacementOfFailedRun(t *testing.T) {
	t.Run("after a recorded resource", func(t *testing.T) {
		checkPlacementOfFailedRun(t, "PL-2", "CreateTargetGroup", true)
	})
	t.Run("in the first building step", func(t *testing.T) {
		checkPlacementOfFailedRun(t, "PL-4", "RunInstances", false)
	})
}

// checkPlacementOfFailedRun runs request id with the sandbox AWS rejecting
// the call match, and checks that the failed run blocks a run of id with
// another Snowflake account until its teardown. recorded is true when the
// failed run's status lists the created proxy VM.
func checkPlacementOfFailedRun(t *testing.T, id, match string, recorded bool) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	faults := filepath.Join(t.TempDir(), "faults.json")
	rules := `{"rules": [{"cloud": "aws", "match": "` + match + `", "kind": "reject"}]}`
	if err := os.WriteFile(faults, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(sandbox.FaultsEnv, faults)

	first := writeRequest(t, func(doc map[string]any) {
		doc["id"] = id
		section(doc, "snowflake")["account"] = "acct-first"
	})
	moved := writeRequest(t, func(doc map[string]any) {
		doc["id"] = id
		section(doc, "snowflake")["account"] = "acct-second"
	})
	movedReq, err := readRequest(moved)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitFailed {
		t.Fatalf("first run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	code, out, errOut := runCLI(t, "status", "--state-dir", dir, id)
	if code != exitOK {
		t.Fatalf("status: exit %d\nstderr:\n%s", code, errOut)
	}
	if listed := strings.Contains(out, "proxy_vm") && strings.Contains(out, "created"); listed != recorded {
		t.Fatalf("status of the failed run lists a created proxy VM: %v, want %v\n%s", listed, recorded, out)
	}

	rejected := "request " + id + " changes $.snowflake.account from execution " + id + " (FAILED), which may have built resources before it stopped"
	teardown := "repolink teardown --sandbox --state-dir " + dir + " " + id
	redrive := "repolink redrive --sandbox --state-dir " + dir + " " + id
	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, moved)
	if code != exitInvalid {
		t.Fatalf("plan of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"a run would be rejected: " + rejected, teardown, redrive} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if reason := apiStartReasonOf(t, dir, id+"-r2", movedReq); !strings.Contains(reason, rejected) {
		t.Errorf("StartExecution check: reason %q lacks %q", reason, rejected)
	}
	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, moved)
	assertUsage(t, "run with another account", code, errOut, rejected, teardown, redrive, "new id")

	t.Setenv(sandbox.FaultsEnv, "")
	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, id); code != exitOK {
		t.Fatalf("teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if reason := apiStartReasonOf(t, dir, id+"-r2", movedReq); reason != "" {
		t.Errorf("StartExecution check after the teardown: reason %q, want none", reason)
	}
}

// TestPlacementIgnoresRunFailedInPreflight checks that a run that failed
// in preflight, before it built anything, does not block a run of its
// request ID with another Snowflake account.
func TestPlacementIgnoresRunFailedInPreflight(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "PL-3"
		section(doc, "snowflake")["account"] = "acct-first"
		section(doc, "repository")["packages"] = []string{"not-in-the-index"}
	})
	moved := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "PL-3"
		section(doc, "snowflake")["account"] = "acct-second"
	})
	movedReq, err := readRequest(moved)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitFailed {
		t.Fatalf("first run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	if reason := apiStartReasonOf(t, dir, "PL-3-r2", movedReq); reason != "" {
		t.Errorf("StartExecution check: reason %q, want none", reason)
	}
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, moved)
	if code != exitOK || strings.Contains(out, "rejected") {
		t.Errorf("plan: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
