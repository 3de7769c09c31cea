package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestUpLeavesRejectedExecutionOpen stops repolink up during a run whose
// index password comes from an env: reference that --allow-local-refs
// allowed, and starts it again without that flag. The second up must not
// resume the run into a failed step: it leaves the execution as it is and
// logs once the command that resumes it. Starting up with the flags that
// the warning names then finishes the run.
func TestUpLeavesRejectedExecutionOpen(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	t.Setenv("HELD_INDEX_PASSWORD", "held-index-password")
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "HELD-1"
		doc["snowflake"].(map[string]any)["account"] = "myorg-held"
		section(doc, "repository")["auth"] = map[string]any{"type": "password", "username": "u", "password_ref": "env:HELD_INDEX_PASSWORD"}
	})
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	// The default sandbox latency keeps the run going long enough to stop
	// the service in the middle of it.
	first := startUp(t, dir, "--allow-local-refs", "env:HELD_INDEX_PASSWORD")
	if code, resp := postSigned(t, first.url+"/v1/requests", body, testWebhookSecret); code != http.StatusAccepted {
		t.Fatalf("signed request = %d %+v", code, resp)
	}
	waitFor(t, "the run to pass preflight", func() bool {
		var v executionView
		getJSON(t, first.url+"/v1/executions/HELD-1", "", &v)
		return v.CurrentStep != "" && v.CurrentStep != "preflight"
	})
	if code := first.stop(); code != exitOK {
		t.Fatalf("first up exit %d, want 0\nlogs:\n%s", code, first.logs)
	}
	events := historyLength(t, dir, "HELD-1")

	second := startUp(t, dir, "--sandbox-latency", "none")
	const warning = `"msg":"open execution left as it is`
	waitFor(t, "the warning about HELD-1", func() bool { return strings.Contains(second.logs.String(), warning) })
	// With no latency, a resumed run would close well within this time.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		var v executionView
		getJSON(t, second.url+"/v1/executions/HELD-1", "", &v)
		if v.Status != "RUNNING" {
			t.Fatalf("HELD-1 is %s under an up that rejects its reference, want RUNNING\nlogs:\n%s", v.Status, second.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := second.stop(); code != exitOK {
		t.Fatalf("second up exit %d, want 0\nlogs:\n%s", code, second.logs)
	}
	if got := historyLength(t, dir, "HELD-1"); got != events {
		t.Errorf("HELD-1 history has %d events after the second up, want %d, as the first left it", got, events)
	}

	logs := second.logs.String()
	if n := strings.Count(logs, warning); n != 1 {
		t.Errorf("warning logged %d times, want 1\nlogs:\n%s", n, logs)
	}
	for _, want := range []string{`"execution":"HELD-1"`, "$.repository.auth.password_ref",
		"repolink up --sandbox --state-dir " + dir + " --allow-local-refs env:HELD_INDEX_PASSWORD", envWebhookSecret} {
		if !strings.Contains(logs, want) {
			t.Errorf("second up log does not contain %q\nlogs:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "held-index-password") {
		t.Error("the second up log contains the index password")
	}

	third := startUp(t, dir, "--sandbox-latency", "none", "--allow-local-refs", "env:HELD_INDEX_PASSWORD")
	waitForStatus(t, third, "HELD-1", "", "SUCCEEDED")
}

// historyLength returns the number of history events of execution name in
// the state directory dir, which no process serves.
func historyLength(t *testing.T, dir, name string) int {
	t.Helper()
	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatalf("open engine store: %v", err)
	}
	defer eng.Close()
	events, err := eng.History(context.Background(), name)
	if err != nil {
		t.Fatalf("history of %s: %v", name, err)
	}
	return len(events)
}
