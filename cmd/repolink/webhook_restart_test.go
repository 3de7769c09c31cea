package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/webhook/sqlitestore"
)

// leaveWebhookClaim puts the state of a repolink up killed in the middle of
// a delivery of ticket into the delivery store of dir: an unexpired claim
// of the ticket, and no record of the execution that the delivery started.
func leaveWebhookClaim(t *testing.T, dir, ticket string) {
	t.Helper()
	path := filepath.Join(dir, webhookStoreFile)
	store, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	db, err := sqlitefile.Open(path, "", true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{`DELETE FROM tickets`, `DELETE FROM runs`, `DELETE FROM replays`, `DELETE FROM signed`} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.Exec(`INSERT INTO claims (ticket, owner, request_hash, expires_at, signed_at) VALUES (?, 'killed-process', 'h', ?, 0)`,
		ticket, time.Now().Add(sqlitestore.DefaultClaimTimeout).UnixNano())
	if err != nil {
		t.Fatal(err)
	}
}

// A restarted repolink up takes over the claim that the killed one left,
// instead of answering every delivery of the ticket with a 500 after 30 s
// until the claim expires.
func TestUpRestartTakesOverClaim(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	body, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	leaveWebhookClaim(t, dir, "DATA-4711")

	up := startUp(t, dir, "--sandbox-latency", "none")
	sent := time.Now()
	code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
	if took := time.Since(sent); took > 10*time.Second {
		t.Errorf("delivery after the restart took %v, want it answered without waiting for the claim", took)
	}
	if code != http.StatusAccepted || resp.Execution != "DATA-4711" {
		t.Errorf("delivery after the restart = %d %+v, want 202 DATA-4711\nlogs:\n%s", code, resp, up.logs)
	}
}

// A takeover after the execution that the killed repolink up started has
// closed names that execution and starts no second run of the request.
func TestUpRestartFindsClosedExecution(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	body, err := os.ReadFile(writeRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	first := startUp(t, dir, "--sandbox-latency", "none")
	if code, resp := postSigned(t, first.url+"/v1/requests", body, testWebhookSecret); code != http.StatusAccepted {
		t.Fatalf("first delivery = %d %+v", code, resp)
	}
	waitForStatus(t, first, "DATA-4711", "", "SUCCEEDED")
	if code := first.stop(); code != exitOK {
		t.Fatalf("first up exit %d, want 0\nlogs:\n%s", code, first.logs)
	}
	leaveWebhookClaim(t, dir, "DATA-4711")

	up := startUp(t, dir, "--sandbox-latency", "none")
	code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret)
	if code != http.StatusOK || resp.Execution != "DATA-4711" || !resp.Duplicate {
		t.Errorf("delivery after the restart = %d %+v, want 200 duplicate of DATA-4711\nlogs:\n%s", code, resp, up.logs)
	}
	var v executionView
	if code := getJSON(t, up.url+"/v1/executions/DATA-4711-r2", "", &v); code != http.StatusNotFound {
		t.Errorf("GET DATA-4711-r2 = %d, want 404: the takeover started a second run", code)
	}
}
