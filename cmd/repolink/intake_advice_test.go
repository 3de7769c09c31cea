package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
)

// TestStartExecutionConflictAdvice checks that the StartExecution check of
// a sandbox repolink up suggests commands with --sandbox, which a sandbox
// state directory needs, and without the path of that directory. Its
// message ends with starting the execution again, not with running a file.
func TestStartExecutionConflictAdvice(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	up := startUp(t, dir, "--sandbox-latency", "none")
	first := writeRequest(t, func(doc map[string]any) { doc["id"] = "AD-1" })
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("run AD-1: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	client := sfn.New(sfn.Options{
		Region:           "local",
		BaseEndpoint:     aws.String(up.url),
		Credentials:      credentials.NewStaticCredentialsProvider(sfnAccessKeyID, "unused", ""),
		RetryMaxAttempts: 1,
	})
	start := func(name string, edit func(doc map[string]any)) error {
		req, err := readRequest(writeRequest(t, edit))
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.StartExecution(t.Context(), &sfn.StartExecutionInput{
			StateMachineArn: aws.String("arn:aws:states:local:000000000000:stateMachine:provision"),
			Name:            aws.String(name),
			Input:           aws.String(string(documentOf(t, req))),
		})
		return err
	}
	// The caller may be on another machine, so the advice names the state
	// directory DIR rather than a path of the machine of repolink up.
	teardown := "'repolink teardown --sandbox --state-dir DIR AD-1'"

	err := start("AD-2", func(doc map[string]any) { doc["id"] = "AD-2" })
	assertRejected(t, "StartExecution of a request with the same objects", err, "ConflictException",
		"as request AD-1 does in execution AD-1", teardown+" and then start the execution again")

	err = start("AD-1-r2", func(doc map[string]any) {
		doc["id"] = "AD-1"
		section(doc, "snowflake")["account"] = "acct-moved"
	})
	assertRejected(t, "StartExecution of a changed account", err, "ConflictException",
		"request AD-1 changes $.snowflake.account", teardown+" and then start the execution again")
	if err != nil && strings.Contains(err.Error(), "run this file") {
		t.Errorf("StartExecution of a changed account: message asks an API caller to run a file: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), dir) {
		t.Errorf("StartExecution of a changed account: message shows the state directory of repolink up: %v", err)
	}
}

// TestObjectClashOutcomeByRoute checks that the name-clash rejection
// names what an execution would build for the route of the request, and
// nothing for route public, which builds nothing before the Snowflake
// steps.
func TestObjectClashOutcomeByRoute(t *testing.T) {
	tests := []struct {
		route request.Route
		want  string
	}{
		{request.RouteAWSPrivateLink, "would build its proxy VM, load balancer and private endpoint and then fail"},
		{request.RouteAzurePrivateLink, "would build its proxy VM, load balancer and private endpoint and then fail"},
		{request.RouteGCPPrivateLink, "would build its proxy VM, load balancer and private endpoint and then fail"},
		{request.RouteEgressIP, "would open the repository's firewall to Snowflake's egress IP ranges and then fail"},
		{request.RoutePublic, "would fail with a conflict in the Snowflake steps"},
	}
	for _, tt := range tests {
		t.Run(string(tt.route), func(t *testing.T) {
			e := &objectClashError{objects: []string{"API integration X"}, clashHolder: clashHolder{requestID: "RT-2",
				route: tt.route, account: "acct", other: "RT-1", earlier: "RT-1", status: engine.StatusSucceeded}}
			message := e.Error()
			if !strings.Contains(message, tt.want) {
				t.Errorf("message lacks %q:\n%s", tt.want, message)
			}
			if tt.route == request.RoutePublic && strings.Contains(message, "build") {
				t.Errorf("message for route public names a build:\n%s", message)
			}
		})
	}
}

// TestObjectClashNamesFailedTeardown checks that a request that clashes
// with a request whose teardown failed gets the redrive of that teardown
// as advice, not the start of another one.
func TestObjectClashNamesFailedTeardown(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) { doc["id"] = "FT-1" })
	second := writeRequest(t, func(doc map[string]any) { doc["id"] = "FT-2" })
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("run FT-1: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	firstReq, err := readRequest(first)
	if err != nil {
		t.Fatal(err)
	}

	// A teardown that closed without success, as one does when a step
	// fails.
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(context.Background(), teardownMachine, "FT-1-teardown", documentOf(t, firstReq)); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(context.Background(), "FT-1-teardown", "", ""); err != nil {
		t.Fatal(err)
	}
	eng.Close()

	code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second)
	assertUsage(t, "run of FT-2", code, errOut,
		"teardown FT-1-teardown of FT-1, which started since, closed with ABORTED",
		"finish the teardown of request FT-1 first with 'repolink redrive --sandbox --state-dir "+dir+" FT-1-teardown'")
	if strings.Contains(errOut, "repolink teardown") {
		t.Errorf("run of FT-2: stderr suggests a new teardown in place of the redrive:\n%s", errOut)
	}
}

// TestChangedRunAfterTeardownNoWarning checks that a run of a changed
// request does not warn about objects of the earlier run when a teardown
// of the request succeeded after it, because that teardown removed them.
func TestChangedRunAfterTeardownNoWarning(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	first := writeRequest(t, func(doc map[string]any) { doc["id"] = "CW-1" })
	changed := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "CW-1"
		section(doc, "repository")["name"] = "corp_pypi_renamed"
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first); code != exitOK {
		t.Fatalf("run CW-1: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "CW-1"); code != exitOK {
		t.Fatalf("teardown CW-1: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, changed)
	if code != exitOK {
		t.Fatalf("run of the changed CW-1: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(errOut, "which this request no longer names") {
		t.Errorf("run after a succeeded teardown warns about the earlier run:\n%s", errOut)
	}
}

// TestRunChecksCodeArtifactDomainsOfUp checks that run rejects a
// codeartifact request whose domain the serving repolink up does not list.
// It exits 2 and starts no execution, and accepts the request once up
// lists the domain.
func TestRunChecksCodeArtifactDomainsOfUp(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	up := startUp(t, dir, "--sandbox-latency", "none",
		"--sandbox-hosts", "corp-111122223333.d.codeartifact.us-west-2.amazonaws.com")
	req := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "CA-RUN-1"
		codeArtifactRequest(doc)
	})

	for attempt := 1; attempt <= 2; attempt++ {
		code, _, errOut := runCLI(t, "run", "--sandbox", "--state-dir", dir, req)
		assertUsage(t, "run", code, errOut,
			"$.repository.index_url: CodeArtifact domain "+sandboxCodeArtifactDomain,
			"restart repolink up with the domain ARN in --codeartifact-domains",
			"nothing was created")
	}
	var list struct{ Executions []executionView }
	if code := getJSON(t, up.url+"/v1/executions", "", &list); code != http.StatusOK || len(list.Executions) != 0 {
		t.Errorf("GET /v1/executions = %d with %d executions, want 200 with none", code, len(list.Executions))
	}

	up.stop()
	startUp(t, dir, "--sandbox-latency", "none",
		"--sandbox-hosts", "corp-111122223333.d.codeartifact.us-west-2.amazonaws.com",
		"--codeartifact-domains", sandboxCodeArtifactDomain)
	parsed, err := readRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkServedDomains(dir, parsed); err != nil {
		t.Errorf("check of a domain that up lists: %v", err)
	}
}

// TestRedriveChecksCodeArtifactDomainsOfUp checks that redrive rejects a
// provision execution of auth type codeartifact whose domain the repolink
// up serving the state directory does not list, before it redrives it.
func TestRedriveChecksCodeArtifactDomainsOfUp(t *testing.T) {
	s := newServedStore(t)
	// newServedStore holds the service lock, so the record of an empty
	// --codeartifact-domains is added to its file as repolink up adds it.
	f, err := os.OpenFile(filepath.Join(s.dir, lockFile), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := (&serviceLock{file: f}).recordDomains(servedDomains{}); err != nil {
		t.Fatal(err)
	}
	req, err := readRequest(writeRequest(t, func(doc map[string]any) {
		doc["id"] = "CA-RD-1"
		codeArtifactRequest(doc)
	}))
	if err != nil {
		t.Fatal(err)
	}
	s.start(t, provisionMachine, "CA-RD-1", req)
	s.stop(t, "CA-RD-1")

	code, _, errOut := runCLIWithin(t, "redrive", "--state-dir", s.dir, "CA-RD-1")
	assertUsage(t, "redrive CA-RD-1", code, errOut,
		"execution CA-RD-1",
		"$.repository.index_url: CodeArtifact domain "+sandboxCodeArtifactDomain,
		"restart repolink up with the domain ARN in --codeartifact-domains",
		"nothing was started")
	s.assertStatus(t, "CA-RD-1", engine.StatusAborted)
}
