package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
)

// TestRunRejectsOtherRequestsHost runs a private-link request, then checks
// a request with another ID and repository.name but the same index host in
// the same Snowflake account, with account and host written in other
// case. Run, plan, the StartExecution check and webhook starts reject it
// until a teardown of the first request has succeeded. A request with
// another host or in another account passes.
func TestRunRejectsOtherRequestsHost(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "HC-1"
		section(doc, "snowflake")["account"] = "acct-shared"
	})
	second := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "HC-2"
		section(doc, "snowflake")["account"] = "ACCT-SHARED"
		section(doc, "repository")["name"] = "team_pypi"
		section(doc, "repository")["index_url"] = "https://PYPI.corp.example.com/simple/"
		// HC-1 sets the schema's default, which no other request may set too.
		section(doc, "repository")["default_for"] = "none"
	})
	secondReq, err := readRequest(second)
	if err != nil {
		t.Fatal(err)
	}
	otherHost := secondReq
	otherHost.ID = "HC-3"
	otherHost.Repository.IndexURL = "https://pypi.team.example.com/simple/"
	// The index password of HC-1 belongs to the index host of HC-1.
	otherHost.Repository.Auth.PasswordRef = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/team-index-password"
	otherAccount := secondReq
	otherAccount.ID = "HC-4"
	otherAccount.Snowflake.Account = "acct-other"
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	rejected := "request HC-2 uses the index host pypi.corp.example.com in Snowflake account ACCT-SHARED, " +
		"as request HC-1 does in execution HC-1 (SUCCEEDED)"
	advice := "use another host name for this index"
	teardown := "repolink teardown --sandbox --state-dir " + dir + " HC-1"
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid {
		t.Fatalf("plan of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"a run would be rejected: " + rejected, advice, teardown} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runCLI(t, "preflight", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid {
		t.Errorf("preflight of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"failed  earlier_runs", rejected, teardown} {
		if !strings.Contains(out, want) {
			t.Errorf("preflight output lacks %q:\n%s", want, out)
		}
	}
	if reason := apiStartReasonOf(t, dir, "HC-2", secondReq); !strings.Contains(reason, rejected) {
		t.Errorf("StartExecution check: reason %q lacks %q", reason, rejected)
	}

	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second)
	assertUsage(t, "run of another request with the same host", code, errOut, rejected, advice, teardown)
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Describe(context.Background(), "HC-2"); !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("HC-2 after the rejected run: error = %v, want no such execution", err)
	}

	rt := &runtime{dir: dir, engine: eng, logger: slog.New(slog.DiscardHandler)}
	_, err = (&serviceExecutions{rt: rt}).Start(context.Background(), secondReq)
	var conflicting *webhook.ConflictError
	if !errors.As(err, &conflicting) {
		t.Errorf("webhook start: error = %v, want a ConflictError", err)
	} else if !strings.Contains(conflicting.Reason, rejected) || conflicting.Execution != "HC-1" {
		t.Errorf("webhook start: ConflictError for %s with reason %q, want HC-1 and %q", conflicting.Execution, conflicting.Reason, rejected)
	}
	eng.Close()

	if reason := apiStartReasonOf(t, dir, "HC-3", otherHost); reason != "" {
		t.Errorf("StartExecution check with another host: reason %q, want none", reason)
	}
	if reason := apiStartReasonOf(t, dir, "HC-4", otherAccount); reason != "" {
		t.Errorf("StartExecution check in another account: reason %q, want none", reason)
	}

	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "HC-1"); code != exitOK {
		t.Fatalf("teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if reason := apiStartReasonOf(t, dir, "HC-2", secondReq); reason != "" {
		t.Errorf("StartExecution check after the teardown: reason %q, want none", reason)
	}
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second); code != exitOK {
		t.Errorf("run after the teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// privateLinkRequest returns a private-link request with ID id, the
// repository name, and the index host in Snowflake account
// myorg-analytics. Its index token is named after the repository, because
// an index credential belongs to the index host of the request that used
// it first.
func privateLinkRequest(t *testing.T, id, name, host string) request.Request {
	t.Helper()
	req := exampleRequest(t, id)
	req.Route = request.RouteAWSPrivateLink
	req.Repository.Name = name
	req.Repository.IndexURL = "https://" + host + "/simple/"
	req.Repository.Auth.TokenRef = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/" + name + "-token"
	return req
}

// TestHostClashKeepsEarlierOwner checks that the request whose execution
// came first keeps the host, that routes without a private endpoint pass,
// and that an execution stopped before any building step does not count.
func TestHostClashKeepsEarlierOwner(t *testing.T) {
	ctx := context.Background()
	s := newServedStore(t)
	const host = "pypi.corp.example.com"
	owner := privateLinkRequest(t, "HO-1", "owner_pypi", host)
	s.start(t, provisionMachine, "HO-1", owner)
	s.start(t, provisionMachine, "HO-2", privateLinkRequest(t, "HO-2", "late_pypi", host))

	rerun := owner
	rerun.Repository.Packages = []string{"requests"}
	if err := checkObjectClash(ctx, s.eng, rerun, ""); err != nil {
		t.Errorf("rerun of HO-1: error = %v, want none", err)
	}
	var clash *hostClashError
	err := checkObjectClash(ctx, s.eng, privateLinkRequest(t, "HO-3", "third_pypi", host), "")
	if !errors.As(err, &clash) {
		t.Fatalf("HO-3: error = %v, want a hostClashError", err)
	}
	if clash.execution() != "HO-2" {
		t.Errorf("HO-3: conflicting execution = %s, want HO-2, the latest", clash.execution())
	}

	for _, route := range []request.Route{request.RoutePublic, request.RouteEgressIP} {
		public := privateLinkRequest(t, "HO-4", "public_pypi", host)
		public.Route = route
		if err := checkObjectClash(ctx, s.eng, public, ""); err != nil {
			t.Errorf("request of route %s with the host: error = %v, want none", route, err)
		}
	}

	const stoppedHost = "pypi.stopped.example.com"
	s.start(t, provisionMachine, "HO-5", privateLinkRequest(t, "HO-5", "stopped_pypi", stoppedHost))
	s.stop(t, "HO-5")
	next := privateLinkRequest(t, "HO-6", "next_pypi", stoppedHost)
	if err := checkObjectClash(ctx, s.eng, next, ""); err != nil {
		t.Errorf("request with the host of an execution stopped before building: error = %v, want none", err)
	}
}
