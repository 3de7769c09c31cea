package main

import (
	"context"
	"strings"
	"testing"
)

// defaultTakeoverEdit turns the example into a public request with its
// own repository that sets the example's default level, in the example's
// account written with a region suffix.
func defaultTakeoverEdit(doc map[string]any) {
	doc["id"] = "DEF-2"
	doc["route"] = "public"
	delete(doc, "aws")
	repo := section(doc, "repository")
	repo["name"] = "def2"
	repo["procedures"] = false
	repo["index_url"] = "https://pypi.public.example.com/simple/"
	section(doc, "snowflake")["account"] = "myorg-analytics.us-west-2"
}

// TestRunRejectsAccountWithSuffix runs the example, and then a request
// that writes the example's account with a region suffix to take over its
// default level. Plan, run and the webhook intake reject it as invalid
// input at $.snowflake.account before anything is built.
func TestRunRejectsAccountWithSuffix(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) {})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	second := writeRequest(t, defaultTakeoverEdit)
	want := []string{"$.snowflake.account", "write myorg-analytics without the suffix"}
	code, _, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, second)
	assertUsage(t, "plan of the account with a suffix", code, errOut, want...)
	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second)
	assertUsage(t, "run of the account with a suffix", code, errOut, want...)

	up := startUp(t, t.TempDir(), "--sandbox-latency", "none")
	message := postRejectedRequest(t, up.url, "DEF-2", defaultTakeoverEdit, "$.snowflake.account")
	if !strings.Contains(message, want[1]) {
		t.Errorf("webhook intake message %q does not contain %q", message, want[1])
	}
}

// TestStartChecksFindRunsRecordedWithSuffix starts provision executions of
// requests that an earlier version accepted with an account written with a
// region suffix. A request that writes the account without the suffix
// clashes with them on the default level and the index host.
func TestStartChecksFindRunsRecordedWithSuffix(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	old := privateLinkRequest(t, "OLD-1", "old_pypi", "pypi.corp.example.com")
	old.Snowflake.Account = "MyOrg-Analytics.us-west-2"
	old.Repository.DefaultFor = "schema"
	if _, err := eng.Start(ctx, provisionMachine, old.ID, documentOf(t, old)); err != nil {
		t.Fatal(err)
	}
	eng.Close()

	sameLevel := exampleRequest(t, "NEW-1")
	sameLevel.Snowflake.Account = "myorg-analytics"
	sameLevel.Repository.Name = "new_pypi"
	sameLevel.Repository.DefaultFor = "schema"
	sameLevel.Snowflake.Database, sameLevel.Snowflake.Schema = old.Snowflake.Database, old.Snowflake.Schema
	if reason := apiStartReasonOf(t, dir, "NEW-1", sameLevel); !strings.Contains(reason, "OLD-1") {
		t.Errorf("StartExecution check on the same default level: reason %q, want one naming OLD-1", reason)
	}

	sameHost := privateLinkRequest(t, "NEW-2", "host_pypi", "pypi.corp.example.com")
	sameHost.Snowflake.Account = "myorg-analytics"
	sameHost.Repository.DefaultFor = "none"
	if reason := apiStartReasonOf(t, dir, "NEW-2", sameHost); !strings.Contains(reason, "uses the index host pypi.corp.example.com") {
		t.Errorf("StartExecution check on the same host: reason %q, want a host clash", reason)
	}
}

// prefixListerEdit turns the example into a request that lists the
// example's index host in repository.extra_allowed_prefixes.
func prefixListerEdit(doc map[string]any) {
	doc["id"] = "XP-1"
	repo := section(doc, "repository")
	repo["name"] = "xp"
	repo["default_for"] = "none"
	repo["index_url"] = "https://pypi.public.example.com/simple/"
	repo["extra_allowed_prefixes"] = []any{"https://pypi.corp.example.com/"}
	section(doc, "aws")["upstream"] = "pypi.public.example.com:443"
}

// TestRunRejectsPrefixOnOtherRequestsHost runs the example, and then a
// request that lists the example's index host in
// repository.extra_allowed_prefixes, which would reach its index through
// the example's private endpoint. Plan, preflight and run reject it and
// name the entry.
func TestRunRejectsPrefixOnOtherRequestsHost(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) {})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	second := writeRequest(t, prefixListerEdit)
	want := "request XP-1 lists the host pypi.corp.example.com in $.repository.extra_allowed_prefixes[0]"
	advice := "remove pypi.corp.example.com from $.repository.extra_allowed_prefixes[0]"
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid || !strings.Contains(out, want) {
		t.Errorf("plan: exit %d, want 2 and %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
	}
	code, out, errOut = runCLI(t, "preflight", "--sandbox", "--state-dir", dir, second)
	if code != exitInvalid || !strings.Contains(out, "failed  earlier_runs") || !strings.Contains(out, want) {
		t.Errorf("preflight: exit %d, want 2 and earlier_runs failed with %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
	}
	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second)
	assertUsage(t, "run of the prefix lister", code, errOut, want, advice)
}

// TestStartCheckRejectsHostInOtherRequestsPrefixes starts a provision
// execution of a request that lists a host in extra_allowed_prefixes. A
// request whose index host is that host clashes with it, and one that only
// lists the host as well does not.
func TestStartCheckRejectsHostInOtherRequestsPrefixes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	lister := privateLinkRequest(t, "PX-1", "px_pypi", "pypi.corp.example.com")
	lister.Repository.DefaultFor = "none"
	lister.Repository.ExtraAllowedPrefixes = []string{"https://files.team.example.com/"}
	if _, err := eng.Start(ctx, provisionMachine, lister.ID, documentOf(t, lister)); err != nil {
		t.Fatal(err)
	}
	eng.Close()

	owner := privateLinkRequest(t, "PX-2", "team_pypi", "files.team.example.com")
	owner.Repository.DefaultFor = "none"
	want := "which request PX-1 lists in $.repository.extra_allowed_prefixes[0]"
	if reason := apiStartReasonOf(t, dir, "PX-2", owner); !strings.Contains(reason, want) {
		t.Errorf("StartExecution check: reason %q, want %q", reason, want)
	}

	alsoLister := privateLinkRequest(t, "PX-3", "other_pypi", "pypi.other.example.com")
	alsoLister.Repository.DefaultFor = "none"
	alsoLister.Repository.ExtraAllowedPrefixes = []string{"https://files.team.example.com/"}
	if reason := apiStartReasonOf(t, dir, "PX-3", alsoLister); reason != "" {
		t.Errorf("StartExecution check of a second lister: reason %q, want none", reason)
	}
}
