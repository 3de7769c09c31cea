package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

// TestRedriveRejectsOtherRequestsObjects stops a provision execution before
// any building step, so that its objects count as free, and then starts
// another request with the same objects. A redrive of the stopped
// execution would build those objects beside the other request's, so the
// redrive command and RedriveExecution must reject it as a start is.
func TestRedriveRejectsOtherRequestsObjects(t *testing.T) {
	s := newServedStore(t)
	s.start(t, provisionMachine, "RC-1", exampleRequest(t, "RC-1"))
	s.stop(t, "RC-1")
	s.start(t, provisionMachine, "RC-2", exampleRequest(t, "RC-2"))

	holder := "as request RC-2 does in execution RC-2 (RUNNING)"
	code, _, errOut := runCLIWithin(t, "redrive", "--state-dir", s.dir, "RC-1")
	assertUsage(t, "redrive RC-1", code, errOut, holder)
	s.assertStatus(t, "RC-1", engine.StatusAborted)

	err := s.apiRedrive(provisionMachine, "RC-1")
	assertRejected(t, "RedriveExecution of RC-1", err, "ExecutionNotRedrivable", holder)
	s.assertStatus(t, "RC-1", engine.StatusAborted)
}

// TestRedriveClashAdvice checks that a redrive rejected for another
// request's objects or index host gets advice for a redrive: free the
// names and redrive again, or tear down the stopped execution and start a
// new run with other names. Giving the request other names and redriving
// would rebuild the old names, because a redrive reruns the stored input.
func TestRedriveClashAdvice(t *testing.T) {
	const host = "pypi.corp.example.com"
	tests := []struct {
		name          string
		first, second request.Request
		want          []string
		wantNot       string
	}{
		{
			name:   "objects",
			first:  exampleRequest(t, "RC-1"),
			second: exampleRequest(t, "RC-2"),
			want: []string{
				"a redrive of execution RC-1 would",
				"The names now belong to request RC-2, so wait for execution RC-2 of request RC-2 to close, or stop it with 'repolink stop",
				"then tear down request RC-2 with 'repolink teardown",
				"and then redrive the execution again, or tear down execution RC-1 of this request with 'repolink teardown",
				"RC-1' and start the request as a new run with another $.repository.name",
			},
			wantNot: "Give this request another $.repository.name",
		},
		{
			name:   "host",
			first:  privateLinkRequest(t, "RC-1", "first_pypi", host),
			second: privateLinkRequest(t, "RC-2", "second_pypi", host),
			want: []string{
				"The index host now belongs to request RC-2, so wait for execution RC-2 of request RC-2 to close, or stop it with 'repolink stop",
				"then tear down request RC-2 with 'repolink teardown",
				"and then redrive the execution again, or tear down execution RC-1 of this request with 'repolink teardown",
				"RC-1' and start the request as a new run with another host name for this index in $.repository.index_url",
			},
			wantNot: "or use another host name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServedStore(t)
			s.start(t, provisionMachine, "RC-1", tt.first)
			s.stop(t, "RC-1")
			s.start(t, provisionMachine, "RC-2", tt.second)

			code, _, errOut := runCLIWithin(t, "redrive", "--state-dir", s.dir, "RC-1")
			assertUsage(t, "redrive RC-1", code, errOut, tt.want...)
			if strings.Contains(errOut, tt.wantNot) {
				t.Errorf("redrive RC-1: stderr contains %q, advice for a new run:\n%s", tt.wantNot, errOut)
			}

			err := s.apiRedrive(provisionMachine, "RC-1")
			assertRejected(t, "RedriveExecution of RC-1", err, "ExecutionNotRedrivable", tt.want...)
		})
	}
}

// TestRedriveClashAdviceSandbox checks that the teardown commands in the
// advice of a rejected redrive carry --sandbox on a sandbox state
// directory. Without it the suggested teardown exits with status 2,
// because the directory belongs to the sandbox.
func TestRedriveClashAdviceSandbox(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	if err := os.WriteFile(filepath.Join(dir, modeFile), []byte(modeSandbox+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := eng.Start(ctx, provisionMachine, "RC-1", documentOf(t, exampleRequest(t, "RC-1"))); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(ctx, "RC-1", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, provisionMachine, "RC-2", documentOf(t, exampleRequest(t, "RC-2"))); err != nil {
		t.Fatal(err)
	}

	flags := commandFlags(true, dir)
	want := []string{
		"stop it with 'repolink stop" + storeFlagsOf(flags) + " RC-2'",
		"then tear down request RC-2 with 'repolink teardown" + flags + " RC-2'",
		"tear down execution RC-1 of this request with 'repolink teardown" + flags + " RC-1'",
	}
	code, _, errOut := runCLIWithin(t, "redrive", "--sandbox", "--state-dir", dir, "RC-1")
	assertUsage(t, "redrive --sandbox RC-1", code, errOut, want...)

	// An API caller gets the same advice with the state directory shown as
	// DIR, because it may call from another machine.
	flags = remoteCommandFlags(true, dir)
	want = []string{
		"stop it with 'repolink stop --state-dir DIR RC-2'",
		"then tear down request RC-2 with 'repolink teardown" + flags + " RC-2'",
		"tear down execution RC-1 of this request with 'repolink teardown --sandbox --state-dir DIR RC-1'",
	}
	mux := http.NewServeMux()
	mountStepFunctionsAPI(mux, eng, checkSecretARNs, nil, dir, "127.0.0.1:0", "", true, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := sfn.New(sfn.Options{
		Region:           "local",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "dummy-secret", ""),
		RetryMaxAttempts: 1,
	})
	_, err := client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{
		ExecutionArn: aws.String(eng.ExecutionARN(provisionMachine, "RC-1"))})
	assertRejected(t, "RedriveExecution of RC-1", err, "ExecutionNotRedrivable", want...)
}
