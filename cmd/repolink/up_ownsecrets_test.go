package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// jiraSecretARN is the ARN of the HMAC secret of the Jira mapping in the
// tests of the service's own secrets.
const jiraSecretARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/jira"

// ownSecretSpellings are references that name the secret of jiraSecretARN:
// the partial ARN, the complete ARN with the suffix that Secrets Manager
// appends, and a JSON key of it.
var ownSecretSpellings = []string{
	"aws-secretsmanager:" + jiraSecretARN,
	"aws-secretsmanager:" + jiraSecretARN + "-AbC123",
	"aws-secretsmanager:" + jiraSecretARN + "#token",
}

// startExecutionAPI starts execution name of the provision machine with
// req through the Step Functions API of repolink up at url, sends the call
// with client and returns the HTTP status.
func startExecutionAPI(t *testing.T, client *http.Client, url, name string, req request.Request) int {
	t.Helper()
	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	start, err := json.Marshal(map[string]string{
		"stateMachineArn": "arn:aws:states:local:000000000000:stateMachine:provision",
		"name":            name,
		"input":           string(input),
	})
	if err != nil {
		t.Fatal(err)
	}
	httpReq, err := http.NewRequest(http.MethodPost, url+"/sfn/", bytes.NewReader(start))
	if err != nil {
		t.Fatal(err)
	}
	httpReq.Header.Set("X-Amz-Target", "AWSStepFunctions.StartExecution")
	httpReq.Header.Set("Content-Type", "application/x-amz-json-1.0")
	res, err := client.Do(httpReq)
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestUpRejectsOwnSecretStoreRefs checks that requests cannot use a
// secret store reference to a secret of the service itself, here the HMAC
// secret of its Jira mapping, in any spelling. /v1/requests rejects them
// at intake. The steps of an execution started through the Step Functions
// API reject them before they read the secret.
func TestUpRejectsOwnSecretStoreRefs(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	tokenRef := func(ref string) func(doc map[string]any) {
		return func(doc map[string]any) {
			section(doc, "repository")["auth"] = map[string]any{"type": "token", "token_ref": ref}
		}
	}

	// A preflight of a request that uses the secret seeds it in the
	// sandbox, so that the service can read it at start.
	seed := writeRequest(t, tokenRef("aws-secretsmanager:"+jiraSecretARN))
	if code, _, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", dir, seed); code != exitOK {
		t.Fatalf("preflight exit %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	data, err := os.ReadFile("../../examples/jira-mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	var mapping map[string]any
	if err := json.Unmarshal(data, &mapping); err != nil {
		t.Fatal(err)
	}
	mapping["auth"] = map[string]any{"type": "hmac", "secret_ref": "aws-secretsmanager:" + jiraSecretARN}
	mappingPath := filepath.Join(t.TempDir(), "jira-mapping.json")
	out, err := json.Marshal(mapping)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mappingPath, out, 0o600); err != nil {
		t.Fatal(err)
	}
	up := startUp(t, dir, "--sandbox-latency", "none", "--jira-mapping", mappingPath)

	for i, ref := range ownSecretSpellings {
		t.Run(ref, func(t *testing.T) {
			path := writeRequest(t, func(doc map[string]any) {
				doc["id"] = fmt.Sprintf("OWN-%d", i)
				tokenRef(ref)(doc)
			})
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
			if code != http.StatusBadRequest {
				t.Fatalf("POST /v1/requests = %d, want 400; response %+v", code, resp)
			}
			if paths := fieldPaths(resp.Errors); !slices.Equal(paths, []string{"$.repository.auth.token_ref"}) {
				t.Fatalf("field errors = %v, want [$.repository.auth.token_ref]", paths)
			}
			if !strings.Contains(resp.Errors[0].Message, "reads for itself") {
				t.Errorf("message %q does not say that the secret is the service's own", resp.Errors[0].Message)
			}

			req, err := readRequest(path)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("OWN-SFN-%d", i)
			if code := startExecutionAPI(t, http.DefaultClient, up.url, name, req); code != http.StatusOK {
				t.Fatalf("StartExecution = %d, want 200", code)
			}
			v := waitForStatus(t, up, name, "", "FAILED")
			view, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(view), "reads for itself") {
				t.Errorf("execution %s = %s, want a failure that names the service's own secret", name, view)
			}
			if !strings.Contains(string(view), "repository.auth.token_ref") {
				t.Errorf("execution %s = %s, want a failure that names the field", name, view)
			}
		})
	}

	var list struct{ Executions []executionView }
	if code := getJSON(t, up.url+"/v1/executions", "", &list); code != http.StatusOK {
		t.Fatalf("GET /v1/executions = %d, want 200", code)
	}
	for _, x := range list.Executions {
		if !strings.HasPrefix(x.Name, "OWN-SFN-") {
			t.Errorf("execution %s started from a rejected request", x.Name)
		}
	}
}

// TestServiceDeniesWebhookSecretRef checks that the secret of
// --webhook-secret-ref is one of the secrets that requests may not use.
func TestServiceDeniesWebhookSecretRef(t *testing.T) {
	opts, err := parseUpFlags([]string{"--sandbox", "--webhook-secret-ref", "aws-secretsmanager:" + jiraSecretARN + "-AbC123"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	own, err := serviceSecretRefs(opts)
	if err != nil {
		t.Fatal(err)
	}
	allow, err := denyServiceSecrets(opts.localRefs, own)
	if err != nil {
		t.Fatal(err)
	}
	s := &serviceExecutions{sandbox: true, hosts: []string{defaultSandboxHosts}, localRefs: allow}
	for _, ref := range ownSecretSpellings {
		req, err := readRequest(writeRequest(t, func(doc map[string]any) {
			section(doc, "snowflake")["private_key_ref"] = ref
		}))
		if err != nil {
			t.Fatal(err)
		}
		var invalid *request.ValidationError
		if !errors.As(s.check(req), &invalid) {
			t.Errorf("%s: check accepted the webhook secret", ref)
			continue
		}
		if paths := fieldPaths(invalid.Fields); !slices.Equal(paths, []string{"$.snowflake.private_key_ref"}) {
			t.Errorf("%s: field errors = %v, want [$.snowflake.private_key_ref]", ref, paths)
		}
	}
}
