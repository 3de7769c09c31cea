package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/webhook"
)

// TestStartChangedRequest checks that a changed request of an ID waits for
// the ID's running execution and then starts the next run name.
func TestStartChangedRequest(t *testing.T) {
	ctx := context.Background()
	eng := provisionStore(t, t.TempDir())
	first := exampleRequest(t, "B")
	changed := first
	changed.Repository.Packages = []string{"corp-utils==2.3.1"}

	if name, err := startExecution(ctx, eng, first); err != nil || name != "B" {
		t.Fatalf("first run of B: name %q, error %v", name, err)
	}

	_, err := startExecution(ctx, eng, changed)
	var running *webhook.RunningError
	if !errors.As(err, &running) {
		t.Fatalf("changed request while B runs: error %v, want a *webhook.RunningError", err)
	}
	if running.Execution != "B" || running.Ticket != "B" {
		t.Errorf("running error = %+v, want execution B of request B", running)
	}

	if _, err := eng.Stop(ctx, "B", "", ""); err != nil {
		t.Fatal(err)
	}
	name, err := startExecution(ctx, eng, changed)
	if err != nil {
		t.Fatalf("changed request after B closed: %v", err)
	}
	if name != "B-r2" {
		t.Errorf("changed request runs as %q, want B-r2", name)
	}
}

func TestEndToEndUpChangedRequest(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none")
	first, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	changed, err := os.ReadFile(writeRequest(t, func(doc map[string]any) {
		section(doc, "repository")["packages"] = []string{"corp-utils==2.3.1"}
	}))
	if err != nil {
		t.Fatal(err)
	}

	if code, resp := postSigned(t, up.url+"/v1/requests", first, testWebhookSecret); code != http.StatusAccepted || resp.Execution != "DATA-4711" {
		t.Fatalf("first request = %d %+v, want 202 DATA-4711\nlogs:\n%s", code, resp, up.logs)
	}
	waitForStatus(t, up, "DATA-4711", "", "SUCCEEDED")

	code, resp := postSigned(t, up.url+"/v1/requests", changed, testWebhookSecret)
	if code != http.StatusAccepted || resp.Execution != "DATA-4711-r2" {
		t.Fatalf("changed request = %d %+v, want 202 DATA-4711-r2\nlogs:\n%s", code, resp, up.logs)
	}
	v := waitForStatus(t, up, "DATA-4711-r2", "", "SUCCEEDED")
	if !strings.Contains(string(v.Resources), "corp-utils==2.3.1") {
		t.Errorf("resources of DATA-4711-r2 = %s, want the changed packages", v.Resources)
	}

	// The first request again goes back to it in the next run, and a
	// repeat of it is a duplicate of that run.
	code, resp = postSigned(t, up.url+"/v1/requests", first, testWebhookSecret)
	if code != http.StatusAccepted || resp.Execution != "DATA-4711-r3" {
		t.Fatalf("first request again = %d %+v, want 202 DATA-4711-r3\nlogs:\n%s", code, resp, up.logs)
	}
	v = waitForStatus(t, up, "DATA-4711-r3", "", "SUCCEEDED")
	if !strings.Contains(string(v.Resources), `"requests==`) {
		t.Errorf("resources of DATA-4711-r3 = %s, want the first request's package requests", v.Resources)
	}
	code, resp = postSigned(t, up.url+"/v1/requests", first, testWebhookSecret)
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "DATA-4711-r3" {
		t.Errorf("first request repeated = %d %+v, want 200 duplicate of DATA-4711-r3", code, resp)
	}
	// The changed packages keep every object name, so nothing is left
	// behind to warn about.
	if strings.Contains(up.logs.String(), "execution started for a changed request") {
		t.Errorf("log warns about a changed request that keeps every object name:\n%s", up.logs)
	}
}

// TestUpRequestOfClosedRunDuplicate posts the request that repolink run
// ran in the latest execution of its ID. That execution closed before up
// started, and the post must name it as a duplicate instead of starting
// the next run.
func TestUpRequestOfClosedRunDuplicate(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	file := writeRequest(t, nil)
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file); code != 0 {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	up := startUp(t, dir, "--sandbox-latency", "none")
	for range 2 {
		code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
		if code != http.StatusOK {
			t.Errorf("request of the run = %d %+v, want 200\nlogs:\n%s", code, resp, up.logs)
		}
		if !resp.Duplicate || resp.Execution != "DATA-4711" {
			t.Errorf("request of the run = %+v, want a duplicate of DATA-4711", resp)
		}
		if resp.Status != "SUCCEEDED" {
			t.Errorf("status = %q, want SUCCEEDED", resp.Status)
		}
	}
}
