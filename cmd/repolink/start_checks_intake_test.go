package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestUpIntakesRunStartChecks checks that POST /v1/requests, StartExecution
// and a run handed to repolink up reject a request whose azure.location or
// gcp.region the sandbox cloud lacks as bad input, naming the field, and
// start no execution for it.
func TestUpIntakesRunStartChecks(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	up := startUp(t, dir, "--sandbox-latency", "none", "--sandbox-hosts", exampleHosts)
	const wantLocation = "$.azure.location atlantis is not a location of subscription"

	t.Run("POST /v1/requests", func(t *testing.T) {
		body, err := os.ReadFile(writeAzureExample(t, "azure-privatelink.json", "AZ-HOOK", "atlantis"))
		if err != nil {
			t.Fatal(err)
		}
		code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
		if code != http.StatusBadRequest {
			t.Fatalf("POST = %d %+v, want 400", code, resp)
		}
		if len(resp.Errors) != 1 || resp.Errors[0].Path != "$.azure.location" {
			t.Fatalf("errors %+v, want one on $.azure.location", resp.Errors)
		}
		if !strings.Contains(resp.Errors[0].Message, wantLocation) {
			t.Errorf("message %q lacks %q", resp.Errors[0].Message, wantLocation)
		}
		if status := describeOverStepFunctionsAPI(t, up.url, "AZ-HOOK"); status != "" {
			t.Errorf("execution AZ-HOOK has status %s after the rejected POST, want none", status)
		}
	})

	t.Run("StartExecution", func(t *testing.T) {
		input := exampleInput(t, "gcp-privatelink.json", func(doc map[string]any) {
			section(doc, "gcp")["region"] = "europe-wst4"
			section(doc, "gcp")["zone"] = "europe-wst4-a"
		})
		checkStartRejected(t, up.url, "DATA-4911", input,
			"$.request.gcp.region: gcp_region: $.gcp.region europe-wst4 is not a Compute Engine region of project corp-packages-prod")
	})

	t.Run("StartExecution with the zone of the intended region", func(t *testing.T) {
		input := exampleInput(t, "gcp-privatelink.json", func(doc map[string]any) {
			section(doc, "gcp")["region"] = "us-cental1"
		})
		checkStartRejected(t, up.url, "DATA-4913", input,
			"$.request.gcp.region: gcp_region: $.gcp.region us-cental1 is not a Compute Engine region of project corp-packages-prod")
	})

	t.Run("run handed to up", func(t *testing.T) {
		req := writeAzureExample(t, "azure-privatelink.json", "AZ-RUN", "atlantis")
		code, out, errOut := runCLI(t, "run", "--sandbox", "--state-dir", dir, req)
		if code != exitInvalid {
			t.Fatalf("run exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
		}
		if !strings.Contains(errOut, "azure_location: "+wantLocation) {
			t.Errorf("run stderr lacks %q:\n%s", wantLocation, errOut)
		}
		if !strings.Contains(errOut, "nothing was created") {
			t.Errorf("run stderr does not say that nothing was created:\n%s", errOut)
		}
		if status := describeOverStepFunctionsAPI(t, up.url, "AZ-RUN"); status != "" {
			t.Errorf("execution AZ-RUN has status %s after the rejected run, want none", status)
		}
	})
}
