package main

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sfnapi"
	"github.com/repolink/repolink/shared/workflow"
)

// apiClient serves the Step Functions API over eng with prepareAPIInput
// and returns a client of it.
func apiClient(t *testing.T, eng *engine.Engine) *sfn.Client {
	t.Helper()
	srv := httptest.NewServer(sfnapi.New(eng, sfnapi.Options{PrepareInput: prepareAPIInput}))
	t.Cleanup(srv.Close)
	return sfn.New(sfn.Options{
		Region:           "local",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "dummy-secret", ""),
		RetryMaxAttempts: 1,
	})
}

// mountedAPIClient serves the Step Functions API over eng and dir as
// repolink up mounts it and returns a client of it.
func mountedAPIClient(t *testing.T, eng *engine.Engine, dir string) *sfn.Client {
	t.Helper()
	mux := http.NewServeMux()
	mountStepFunctionsAPI(mux, eng, checkSecretARNs, nil, dir, "127.0.0.1:0", "", false, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return sfn.New(sfn.Options{
		Region:           "local",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "dummy-secret", ""),
		RetryMaxAttempts: 1,
	})
}

// exampleInput returns {"request": R} for the request R in the example
// file, with edit applied to R.
func exampleInput(t *testing.T, file string, edit func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", file))
	if err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	if err := json.Unmarshal(data, &req); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	input, err := json.Marshal(map[string]any{"request": req})
	if err != nil {
		t.Fatal(err)
	}
	return string(input)
}

func TestAPIStartFillsDefaults(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	eng := provisionStore(t, t.TempDir())
	client := apiClient(t, eng)

	_, err := client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(eng.StateMachineARN(provisionMachine)),
		Name:            aws.String("API-1"),
		Input:           aws.String(exampleInput(t, "aws-privatelink.json", nil)),
	})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	x, err := eng.Describe(ctx, "API-1")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Request   request.Request `json:"request"`
		Resources *json.RawMessage
	}
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		t.Fatalf("input %s: %v", x.Input, err)
	}
	if doc.Resources == nil || string(*doc.Resources) != "{}" {
		t.Errorf("input %s has no resources {}", x.Input)
	}
	if doc.Request.Repository.RuntimeVersion != request.DefaultRuntimeVersion {
		t.Errorf("runtime_version = %q, want the default %q", doc.Request.Repository.RuntimeVersion, request.DefaultRuntimeVersion)
	}
	if doc.Request.AWS == nil {
		t.Fatalf("input %s has no aws block", x.Input)
	}
	if doc.Request.AWS.Proxy != "nginx" || doc.Request.AWS.Listener != "tcp" || doc.Request.AWS.InstanceType != request.DefaultInstanceType || doc.Request.AWS.ImageID != request.DefaultImageID {
		t.Errorf("aws = proxy %q, listener %q, instance type %q, image %q, want the defaults",
			doc.Request.AWS.Proxy, doc.Request.AWS.Listener, doc.Request.AWS.InstanceType, doc.Request.AWS.ImageID)
	}
}

func TestAPIStartRejectsInvalidInput(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	eng := provisionStore(t, t.TempDir())
	client := apiClient(t, eng)

	literal := exampleInput(t, "aws-privatelink.json", func(req map[string]any) {
		req["repository"].(map[string]any)["auth"] = map[string]any{"type": "password", "username": "svc", "password": "hunter2-literal"}
	})
	secretName := exampleInput(t, "aws-privatelink.json", func(req map[string]any) {
		req["repository"].(map[string]any)["auth"].(map[string]any)["password_ref"] = "aws-secretsmanager:repolink/index-password"
	})
	withResources := func(resources string) string {
		return strings.Replace(exampleInput(t, "public.json", nil), `{"request"`, `{"resources": `+resources+`, "request"`, 1)
	}
	for _, tc := range []struct {
		name, machine, input, want string
	}{
		{"literal password", provisionMachine, literal, "$.request.repository.auth.password"},
		{"literal password fix", provisionMachine, literal, "give password_ref a reference such as aws-secretsmanager:arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, azure-keyvault:"},
		{"secret name", provisionMachine, secretName, "$.request.repository.auth.password_ref: is an aws-secretsmanager: reference to a secret name, not an ARN"},
		{"no request", provisionMachine, `{"resources": {}}`, "$.request: missing"},
		{"not an object", teardownMachine, `[]`, "$: must be a JSON object"},
		{"unknown field", provisionMachine, `{"requests": {}}`, "$.requests: unknown field"},
		{"resources not an object", provisionMachine, strings.Replace(exampleInput(t, "public.json", nil), `{"request"`, `{"resources": [], "request"`, 1), "$.resources: must be a JSON object"},
		{"resource not an object", provisionMachine, withResources(`{"proxy_vm": 5}`), "$.resources.proxy_vm: must be an object"},
		{"resource id not a string", teardownMachine, withResources(`{"proxy_vm": {"id": 5}}`), "$.resources.proxy_vm.id: must be a string"},
		{"resource list not an array", provisionMachine, withResources(`{"grants": {"roles": "R"}}`), "$.resources.grants.roles: must be an array"},
		{"resource time not a time", provisionMachine, withResources(`{"preflight": {"credential_expires_at": 5}}`), "$.resources.preflight.credential_expires_at: must be a time in RFC 3339 format"},
		{"request number out of range", provisionMachine, strings.Replace(exampleInput(t, "public.json", nil), `"id":"DATA-4721"`, `"id":1e400`, 1), "$.request.id: must be a string"},
		{"resource number out of range", provisionMachine, withResources(`{"proxy_vm": -1e400}`), "$.resources.proxy_vm: must be an object"},
		{"other resource number out of range", provisionMachine, withResources(`{"teardown_proxy_vm": {"n": 1e400}}`), "$.resources.teardown_proxy_vm.n: must be a number between"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "BAD-" + strings.ReplaceAll(tc.name, " ", "-")
			_, err := client.StartExecution(ctx, &sfn.StartExecutionInput{
				StateMachineArn: aws.String(eng.StateMachineARN(tc.machine)),
				Name:            aws.String(name),
				Input:           aws.String(tc.input),
			})
			var invalid *types.InvalidExecutionInput
			if !errors.As(err, &invalid) {
				t.Fatalf("StartExecution: error %v, want InvalidExecutionInput", err)
			}
			if !strings.Contains(invalid.ErrorMessage(), tc.want) {
				t.Errorf("message %q does not name %s", invalid.ErrorMessage(), tc.want)
			}
			if strings.Contains(invalid.ErrorMessage(), "hunter2-literal") {
				t.Errorf("message %q echoes the credential", invalid.ErrorMessage())
			}
			if _, err := eng.Describe(ctx, name); !errors.Is(err, engine.ErrExecutionNotFound) {
				t.Errorf("execution %s after the rejected start: error %v, want not found", name, err)
			}
		})
	}
}

func TestPrepareAPIInputKeepsResources(t *testing.T) {
	input := strings.Replace(exampleInput(t, "public.json", nil), `{"request"`, `{"resources": {"secret": {"action": "created"}}, "request"`, 1)
	got, err := prepareAPIInput(context.Background(), provisionMachine, json.RawMessage(input))
	if err != nil {
		t.Fatal(err)
	}
	var doc workflow.Document
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Resources.Secret == nil || doc.Resources.Secret.Action != "created" {
		t.Errorf("prepared input %s lost the given resources", got)
	}
}

// TestPrepareAPIInputTeardownDropsResources gives a teardown the resources
// of a provision run and checks that it starts with none, so that its
// output lists only what the teardown steps report.
func TestPrepareAPIInputTeardownDropsResources(t *testing.T) {
	input := strings.Replace(exampleInput(t, "public.json", nil), `{"request"`,
		`{"resources": {"secret": {"action": "created"}, "repository": {"action": "created"}}, "request"`, 1)
	got, err := prepareAPIInput(context.Background(), teardownMachine, json.RawMessage(input))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	if resources := string(doc["resources"]); resources != "{}" {
		t.Errorf("teardown input resources = %s, want {}", resources)
	}
	if _, ok := doc["request"]; !ok {
		t.Errorf("prepared input %s has no request", got)
	}

	invalid := strings.Replace(exampleInput(t, "public.json", nil), `{"request"`, `{"resources": [], "request"`, 1)
	if _, err := prepareAPIInput(context.Background(), teardownMachine, json.RawMessage(invalid)); err == nil {
		t.Error("teardown input with resources [] was accepted, want InvalidExecutionInput")
	}
}
