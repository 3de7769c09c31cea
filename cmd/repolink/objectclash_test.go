package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
)

// TestRunRejectsOtherRequestsObjects runs a request, then checks a request
// with another ID, the same repository.name and the same Snowflake account
// written in other case. Run, plan, the StartExecution check and webhook
// starts reject it before anything is built, until a teardown of the first
// request has succeeded. A request in another Snowflake account passes.
func TestRunRejectsOtherRequestsObjects(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "OC-1"
		section(doc, "snowflake")["account"] = "acct-shared"
	})
	second := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "OC-2"
		section(doc, "snowflake")["account"] = "ACCT-SHARED"
	})
	elsewhere := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "OC-3"
		section(doc, "snowflake")["account"] = "acct-other"
	})
	secondReq, err := readRequest(second)
	if err != nil {
		t.Fatal(err)
	}
	elsewhereReq, err := readRequest(elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	rejected := "request OC-2 names secret PLATFORM.PACKAGES.CORP_PYPI_SECRET, API integration CORP_PYPI_INTEGRATION " +
		"and artifact repository PLATFORM.PACKAGES.CORP_PYPI in Snowflake account ACCT-SHARED, " +
		"as request OC-1 does in execution OC-1 (SUCCEEDED)"
	teardown := "repolink teardown --sandbox --state-dir " + dir + " OC-1"
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid {
		t.Fatalf("plan of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"a run would be rejected: " + rejected, "another $.repository.name", teardown} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if reason := apiStartReasonOf(t, dir, "OC-2", secondReq); !strings.Contains(reason, rejected) {
		t.Errorf("StartExecution check: reason %q lacks %q", reason, rejected)
	}

	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second)
	assertUsage(t, "run of another request with the same objects", code, errOut, rejected, "another $.repository.name", teardown)
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Describe(context.Background(), "OC-2"); !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("OC-2 after the rejected run: error = %v, want no such execution", err)
	}

	rt := &runtime{dir: dir, engine: eng, logger: slog.New(slog.DiscardHandler)}
	_, err = (&serviceExecutions{rt: rt}).Start(context.Background(), secondReq)
	var conflicting *webhook.ConflictError
	if !errors.As(err, &conflicting) {
		t.Errorf("webhook start: error = %v, want a ConflictError", err)
	} else if !strings.Contains(conflicting.Reason, rejected) || conflicting.Execution != "OC-1" {
		t.Errorf("webhook start: ConflictError for %s with reason %q, want OC-1 and %q", conflicting.Execution, conflicting.Reason, rejected)
	}
	eng.Close()

	if reason := apiStartReasonOf(t, dir, "OC-3", elsewhereReq); reason != "" {
		t.Errorf("StartExecution check in another account: reason %q, want none", reason)
	}
	if code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, elsewhere); code != exitOK || strings.Contains(out, "rejected") {
		t.Errorf("plan in another account: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "OC-1"); code != exitOK {
		t.Fatalf("teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if reason := apiStartReasonOf(t, dir, "OC-2", secondReq); reason != "" {
		t.Errorf("StartExecution check after the teardown: reason %q, want none", reason)
	}
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second); code != exitOK {
		t.Errorf("run after the teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestObjectClashKeepsEarlierOwner checks that a later execution of another
// request with the same objects, such as one that started before this
// check existed, does not block the request whose execution came first. A
// third request is still rejected, and an execution that stopped before
// any building step does not count.
func TestObjectClashKeepsEarlierOwner(t *testing.T) {
	ctx := context.Background()
	s := newServedStore(t)
	owner := exampleRequest(t, "OW-1")
	s.start(t, provisionMachine, "OW-1", owner)
	s.start(t, provisionMachine, "OW-2", exampleRequest(t, "OW-2"))

	rerun := owner
	rerun.Repository.Packages = []string{"requests"}
	if err := checkObjectClash(ctx, s.eng, rerun, ""); err != nil {
		t.Errorf("rerun of OW-1: error = %v, want none", err)
	}
	var clash *objectClashError
	if err := checkObjectClash(ctx, s.eng, exampleRequest(t, "OW-3"), ""); !errors.As(err, &clash) {
		t.Errorf("OW-3: error = %v, want an objectClashError", err)
	}

	stopped := exampleRequest(t, "OW-4")
	stopped.Repository.Name = "stopped_pypi"
	s.start(t, provisionMachine, "OW-4", stopped)
	s.stop(t, "OW-4")
	next := exampleRequest(t, "OW-5")
	next.Repository.Name = "stopped_pypi"
	if err := checkObjectClash(ctx, s.eng, next, ""); err != nil {
		t.Errorf("request with the objects of an execution stopped before building: error = %v, want none", err)
	}
}

// TestSharedObjects checks which Snowflake objects two requests share.
func TestSharedObjects(t *testing.T) {
	base := request.Request{
		Snowflake:  request.Snowflake{Account: "myorg-analytics", Database: "PLATFORM", Schema: "PACKAGES"},
		Repository: request.Repository{Name: "corp_pypi"},
	}
	all := []string{
		"secret PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		"API integration CORP_PYPI_INTEGRATION",
		"artifact repository PLATFORM.PACKAGES.CORP_PYPI",
	}
	tests := []struct {
		name string
		edit func(*request.Request)
		want []string
	}{
		{name: "same", edit: func(*request.Request) {}, want: all},
		{name: "account case", edit: func(r *request.Request) { r.Snowflake.Account = "MyOrg-Analytics" }, want: all},
		{name: "name case", edit: func(r *request.Request) { r.Repository.Name = "CORP_PYPI" }, want: all},
		{name: "other account", edit: func(r *request.Request) { r.Snowflake.Account = "myorg-other" }},
		{name: "other name", edit: func(r *request.Request) { r.Repository.Name = "team_pypi" }},
		{name: "quoted name", edit: func(r *request.Request) { r.Repository.Name = "corp-pypi" }},
		{
			name: "other schema",
			edit: func(r *request.Request) { r.Snowflake.Schema = "OTHER" },
			want: []string{"API integration CORP_PYPI_INTEGRATION"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := base
			tt.edit(&other)
			if diff := cmp.Diff(tt.want, sharedObjects(base, other)); diff != "" {
				t.Errorf("sharedObjects (-want +got):\n%s", diff)
			}
		})
	}
}
