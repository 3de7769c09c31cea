package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/waits"
	"github.com/repolink/repolink/shared/workflow"
)

// waitStatus is the part of status --output json about the open wait.
type waitStatus struct {
	Status      string
	CurrentStep string `json:"current_step"`
	Wait        *waits.Waiting
}

// startWaitingRun starts a sandbox run of request id whose endpoint takes
// an hour to become live, so that it stays in await_endpoint, and waits
// until status shows a stored poll for which polled holds.
func startWaitingRun(t *testing.T, dir, id string, polled func(workflow.WaitPoll) bool) waitStatus {
	t.Helper()
	req := writeRequest(t, func(doc map[string]any) { doc["id"] = id })
	r := startRun(t, "run", "--sandbox", "--sandbox-latency", "none", "--sandbox-endpoint-delay", "1h", "--state-dir", dir, req)
	var view waitStatus
	waitFor(t, "a stored poll of "+id, func() bool {
		select {
		case code := <-r.done:
			r.done <- code
			t.Fatalf("run exited %d before its wait was polled\nstdout:\n%s\nstderr:\n%s", code, r.stdout, r.stderr)
		default:
		}
		code, out, _ := runCLI(t, "status", "--state-dir", dir, "--output", "json", id)
		if code != exitOK {
			return false
		}
		view = waitStatus{}
		if err := json.Unmarshal([]byte(out), &view); err != nil {
			t.Fatalf("decode status json: %v\n%s", err, out)
		}
		return view.Wait != nil && view.Wait.LastPoll != nil && polled(*view.Wait.LastPoll)
	})
	return view
}

// TestStatusShowsHealthyWait checks that status of a run in
// await_endpoint shows since when it waits, its deadline and the endpoint
// status that the sandbox Snowflake last reported.
func TestStatusShowsHealthyWait(t *testing.T) {
	dir := t.TempDir()
	before := time.Now().Add(-time.Second)
	view := startWaitingRun(t, dir, "WAIT-1", func(workflow.WaitPoll) bool { return true })

	if view.Status != "RUNNING" || view.CurrentStep != "await_endpoint" {
		t.Errorf("status %s in step %q, want RUNNING in await_endpoint", view.Status, view.CurrentStep)
	}
	if view.Wait.Since.Before(before) || view.Wait.Since.After(time.Now()) {
		t.Errorf("waiting since %s, want a time during the test", view.Wait.Since)
	}
	if !view.Wait.Deadline.After(view.Wait.Since) {
		t.Errorf("deadline %s is not after the start of the wait %s", view.Wait.Deadline, view.Wait.Since)
	}
	poll := view.Wait.LastPoll
	if poll.EndpointState != "PENDING_CREATION" || poll.Status != "Pending" {
		t.Errorf("last poll reports endpoint_state %q and status %q, want PENDING_CREATION and Pending", poll.EndpointState, poll.Status)
	}
	if poll.Error != "" || poll.FailedPolls != 0 {
		t.Errorf("healthy poll has error %q after %d failed polls, want none", poll.Error, poll.FailedPolls)
	}

	_, text, _ := runCLI(t, "status", "--state-dir", dir, "WAIT-1")
	for _, want := range []string{
		"waiting since: " + view.Wait.Since.UTC().Format(time.RFC3339) + "\n",
		"deadline:      " + view.Wait.Deadline.UTC().Format(time.RFC3339) + "\n",
		"last poll:     ",
		", endpoint_state PENDING_CREATION, status Pending\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
}

// TestStatusShowsFailingPolls runs a request whose endpoint queries fail
// once the run waits for its endpoint, and checks that status shows the
// failed polls with their count and error.
func TestStatusShowsFailingPolls(t *testing.T) {
	dir := t.TempDir()
	faults := filepath.Join(t.TempDir(), "faults.json")
	// The rule lets through the first three queries, which preflight, the
	// endpoint step and at most the first poll make, so the run reaches its
	// wait and the later polls fail.
	rules := `{"rules":[{"cloud":"snowflake","match":"SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO","kind":"reject","skip":3}]}`
	if err := os.WriteFile(faults, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REPOLINK_SANDBOX_FAULTS", faults)
	view := startWaitingRun(t, dir, "WAIT-2", func(p workflow.WaitPoll) bool { return p.Error != "" })

	poll := view.Wait.LastPoll
	if poll.FailedPolls < 1 {
		t.Errorf("last poll counts %d failed polls, want at least 1", poll.FailedPolls)
	}
	if !strings.Contains(poll.Error, "SQL access control error") {
		t.Errorf("last poll error = %q, want the access control error", poll.Error)
	}
	if strings.Contains(poll.Error, "\n") {
		t.Errorf("last poll error %q has more than one line", poll.Error)
	}
	if poll.FailingSince.IsZero() || poll.FailingSince.After(poll.At) {
		t.Errorf("failing since %s, want a time before the poll at %s", poll.FailingSince, poll.At)
	}
	if poll.Status != "" {
		t.Errorf("failed poll reports status %q, want none", poll.Status)
	}

	_, text, _ := runCLI(t, "status", "--state-dir", dir, "WAIT-2")
	for _, want := range []string{
		"waiting since: ",
		"deadline:      ",
		"in a row since " + poll.FailingSince.UTC().Format(time.RFC3339) + "): ",
		"SQL access control error",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
}
