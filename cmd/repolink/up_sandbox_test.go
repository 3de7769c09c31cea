package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// exampleHosts are the repository hosts of the example requests.
const exampleHosts = "pypi.corp.example.com,pypi.public.example.com,pypi.internal.example.com,pypi.partner.example.com"

// requestExamples are the example request files and their executions. Any
// two of them differ in the index credential's reference, host or both.
var requestExamples = []struct{ file, execution string }{
	{"aws-privatelink.json", "DATA-4711"},
	{"aws-privatelink-no-proxy.json", "DATA-4722"},
	{"azure-privatelink.json", "DATA-4811"},
	{"azure-privatelink-no-proxy.json", "DATA-4822"},
	{"gcp-privatelink.json", "DATA-4911"},
	{"gcp-privatelink-no-proxy.json", "DATA-4912"},
	{"egress-ip.json", "DATA-4720"},
	{"public.json", "DATA-4721"},
}

func TestUpRunsEveryExampleTogether(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none", "--sandbox-hosts", exampleHosts)

	// The webhook prepares the sandbox for every request before the first
	// run reaches verification, so each verification needs the index to
	// accept its own credential.
	for _, ex := range requestExamples {
		body, err := os.ReadFile("../../examples/" + ex.file)
		if err != nil {
			t.Fatal(err)
		}
		code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
		if code != http.StatusAccepted || resp.Execution != ex.execution {
			t.Fatalf("POST %s = %d %+v, want 202 %s\nlogs:\n%s", ex.file, code, resp, ex.execution, up.logs)
		}
	}
	for _, ex := range requestExamples {
		waitForStatus(t, up, ex.execution, "", "SUCCEEDED")
	}
}

func TestRunHandsExecutionToUp(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	startUp(t, dir, "--sandbox-latency", "none")

	// The state directory is new, so the run succeeds only if up prepares
	// its sandbox for the request, which no other request did.
	code, out, errOut := runCLI(t, "run", "--sandbox", "--state-dir", dir, "../../examples/aws-privatelink.json")
	if code != exitOK {
		t.Fatalf("run while up serves: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"execution DATA-4711 (run by repolink up)", "verification", "status:           SUCCEEDED"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"host the sandbox does not serve", []string{"run", "--sandbox", "--state-dir", dir, "../../examples/public.json"}, "--sandbox-hosts including pypi.public.example.com"},
		{"without --sandbox", []string{"run", "--state-dir", dir, "../../examples/aws-privatelink.json"}, "add --sandbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != exitInvalid {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestStartExecutionAPIPreparesSandbox(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none")

	data, err := os.ReadFile("../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	client := upAPIClient(up.url)
	if _, err := client.StartExecution(t.Context(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:local:000000000000:stateMachine:provision"),
		Name:            aws.String("api-run"),
		Input:           aws.String(string(input)),
	}); err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	waitForStatus(t, up, "api-run", "", "SUCCEEDED")
}

func TestStartExecutionAPIRejectsUnservedHost(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none")

	// The default sandbox hosts do not include pypi.public.example.com.
	input := exampleInput(t, "public.json", nil)
	checkStartRejected(t, up.url, "DATA-4721", input,
		"$.request.repository.index_url: host pypi.public.example.com is not served by the sandbox index; restart repolink up with --sandbox-hosts including pypi.public.example.com")
}

// upAPIClient returns a Step Functions client of the API that repolink up
// serves at url, which makes one attempt per call.
func upAPIClient(url string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:           "local",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(sfnAccessKeyID, "unused", ""),
		RetryMaxAttempts: 1,
	})
}

// checkStartRejected starts an execution called name with input over the
// Step Functions API at url and checks that the API rejects it with
// InvalidExecutionInput whose message contains want, and that no execution
// called name exists afterwards.
func checkStartRejected(t *testing.T, url, name, input, want string) {
	t.Helper()
	_, err := upAPIClient(url).StartExecution(t.Context(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:local:000000000000:stateMachine:provision"),
		Name:            aws.String(name),
		Input:           aws.String(input),
	})
	var invalid *types.InvalidExecutionInput
	if !errors.As(err, &invalid) {
		t.Fatalf("StartExecution: error %v, want InvalidExecutionInput", err)
	}
	if !strings.Contains(invalid.ErrorMessage(), want) {
		t.Errorf("message %q does not contain %q", invalid.ErrorMessage(), want)
	}
	if status := describeOverStepFunctionsAPI(t, url, name); status != "" {
		t.Errorf("execution %s has status %s after the rejected start, want none", name, status)
	}
}
