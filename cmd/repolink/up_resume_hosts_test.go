package main

import (
	"net/http"
	"os"
	"testing"
)

// TestUpResumeServesOpenRequestHosts stops repolink up during a run whose
// repository host only --sandbox-hosts listed, and starts it again without
// that flag, as status advises. The second start resumes the run, so its
// sandbox index must serve the run's host, or verification fails on the
// index certificate.
func TestUpResumeServesOpenRequestHosts(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "U-2"
		doc["snowflake"].(map[string]any)["account"] = "myorg-u2"
		doc["repository"].(map[string]any)["index_url"] = "https://pypi2.corp.example.com/simple/"
		doc["aws"].(map[string]any)["upstream"] = "pypi2.corp.example.com:443"
	})
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	// The default sandbox latency keeps the run going long enough to stop
	// the service in the middle of it.
	first := startUp(t, dir, "--sandbox-hosts", "pypi.corp.example.com,pypi2.corp.example.com")
	if code, resp := postSigned(t, first.url+"/v1/requests", body, testWebhookSecret); code != http.StatusAccepted {
		t.Fatalf("signed request = %d %+v", code, resp)
	}
	waitFor(t, "the run to pass preflight", func() bool {
		var v executionView
		getJSON(t, first.url+"/v1/executions/U-2", "", &v)
		return v.CurrentStep != "" && v.CurrentStep != "preflight"
	})
	if code := first.stop(); code != exitOK {
		t.Fatalf("first up exit %d, want 0\nlogs:\n%s", code, first.logs)
	}

	second := startUp(t, dir, "--sandbox-latency", "none")
	waitForStatus(t, second, "U-2", "", "SUCCEEDED")
}
