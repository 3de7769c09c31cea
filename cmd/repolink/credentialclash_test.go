package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/webhook"
)

// TestRunRejectsCredentialOnOtherHost runs a request, then checks a
// request with another ID, repository name and index host that references
// the first request's index password. Plan, preflight, run, the
// StartExecution check and webhook starts reject it until a teardown of
// the first request has succeeded, and preflight does not contact the
// index with the credential. The same credential with the same
// index host passes, in another Snowflake account so that the hosts do
// not clash, and so does another host with a credential of its own.
func TestRunRejectsCredentialOnOtherHost(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "CC-1"
	})
	firstReq, err := readRequest(first)
	if err != nil {
		t.Fatal(err)
	}
	second := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "CC-2"
		repo := section(doc, "repository")
		repo["name"] = "team_pypi"
		repo["index_url"] = "https://pypi.team.example.net/simple/"
		repo["default_for"] = "none"
		section(doc, "aws")["upstream"] = "pypi.team.example.net:443"
	})
	secondReq, err := readRequest(second)
	if err != nil {
		t.Fatal(err)
	}
	sameHost := secondReq
	sameHost.ID = "CC-3"
	sameHost.Repository.IndexURL = firstReq.Repository.IndexURL
	sameHost.Snowflake.Account = "acct-other"
	ownCredential := secondReq
	ownCredential.ID = "CC-4"
	ownCredential.Repository.Auth.PasswordRef = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/team-index-password"
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	rejected := "request CC-2 references in $.repository.auth.password_ref the secret that request CC-1 references in " +
		"$.repository.auth.password_ref in execution CC-1 (SUCCEEDED)"
	advice := "set $.repository.index_url to a URL on pypi.corp.example.com, the index host of request CC-1, " +
		"or reference a secret of this request's own in $.repository.auth.password_ref"
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid {
		t.Fatalf("plan of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"a run would be rejected: " + rejected, advice} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runCLI(t, "preflight", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid {
		t.Errorf("preflight of a rejected run: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"failed  earlier_runs", rejected, "preflight did not contact the index"} {
		if !strings.Contains(out, want) {
			t.Errorf("preflight output lacks %q:\n%s", want, out)
		}
	}
	if reason := apiStartReasonOf(t, dir, "CC-2", secondReq); !strings.Contains(reason, rejected) {
		t.Errorf("StartExecution check: reason %q lacks %q", reason, rejected)
	}

	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second)
	assertUsage(t, "run with another request's credential", code, errOut, rejected, advice)
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Describe(context.Background(), "CC-2"); !errors.Is(err, engine.ErrExecutionNotFound) {
		t.Errorf("CC-2 after the rejected run: error = %v, want no such execution", err)
	}
	rt := &runtime{dir: dir, engine: eng, logger: slog.New(slog.DiscardHandler)}
	_, err = (&serviceExecutions{rt: rt}).Start(context.Background(), secondReq)
	var conflicting *webhook.ConflictError
	if !errors.As(err, &conflicting) {
		t.Errorf("webhook start: error = %v, want a ConflictError", err)
	} else if !strings.Contains(conflicting.Reason, rejected) || conflicting.Execution != "CC-1" {
		t.Errorf("webhook start: ConflictError for %s with reason %q, want CC-1 and %q", conflicting.Execution, conflicting.Reason, rejected)
	}
	eng.Close()

	if reason := apiStartReasonOf(t, dir, "CC-3", sameHost); reason != "" {
		t.Errorf("StartExecution check with the same host: reason %q, want none", reason)
	}
	if reason := apiStartReasonOf(t, dir, "CC-4", ownCredential); reason != "" {
		t.Errorf("StartExecution check with a credential of its own: reason %q, want none", reason)
	}

	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "CC-1"); code != exitOK {
		t.Fatalf("teardown: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if reason := apiStartReasonOf(t, dir, "CC-2", secondReq); reason != "" {
		t.Errorf("StartExecution check after the teardown: reason %q, want none", reason)
	}
}
