package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunStepLineAlignsCause checks that the line of a failed step escapes
// the cause and puts its later lines under the first.
func TestRunStepLineAlignsCause(t *testing.T) {
	var out strings.Builder
	p := newProgress(&out)
	p.line("endpoint", "failed", "PermissionDenied: read endpoints: access control error:\nInsufficient privileges\x1b[2J", 0)

	prefix := "  endpoint" + strings.Repeat(" ", stepColumn-len("endpoint")) + " failed    "
	want := prefix + "PermissionDenied: read endpoints: access control error:\n" +
		strings.Repeat(" ", len(prefix)) + "Insufficient privileges\\x1b[2J\n"
	if out.String() != want {
		t.Errorf("step line = %q, want %q", out.String(), want)
	}
}

// TestSnowflakeDenialShownInFull runs a request whose endpoint step gets
// Snowflake's access control error, and checks that every text printer
// shows the second line of the cause and that the error is
// PermissionDenied with advice to grant.
func TestSnowflakeDenialShownInFull(t *testing.T) {
	dir := t.TempDir()
	faults := filepath.Join(t.TempDir(), "faults.json")
	// The first query of the endpoints is preflight's, the second the
	// endpoint step's.
	rules := `{"rules":[{"cloud":"snowflake","match":"SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO","kind":"reject","skip":1}]}`
	if err := os.WriteFile(faults, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REPOLINK_SANDBOX_FAULTS", faults)
	req := filepath.Join("..", "..", "examples", "azure-privatelink.json")
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code == exitOK {
		t.Fatalf("run with a rejected endpoints query succeeded:\n%s", out)
	}
	const reason = "Insufficient privileges to operate on this object."
	const first = "PermissionDenied: read SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO: snowflake: query: 003001 (42501): SQL access control error:\n"
	summaryIndent := strings.Repeat(" ", len("  error:            "))
	if want := "  error:            " + first + summaryIndent + reason; !strings.Contains(out, want) {
		t.Errorf("run summary lacks %q\nstdout:\n%s\nstderr:\n%s", want, out, errOut)
	}
	if !strings.Contains(out, "failed    "+first) {
		t.Errorf("run lacks the failed step line of the endpoint step:\n%s", out)
	}
	if want := "next:             grant the permission"; !strings.Contains(out, want) {
		t.Errorf("run summary lacks %q:\n%s", want, out)
	}

	_, status, _ := runCLI(t, "status", "--state-dir", dir, "DATA-4811")
	statusIndent := strings.Repeat(" ", len("error:         "))
	if want := "error:         " + first + statusIndent + reason; !strings.Contains(status, want) {
		t.Errorf("status lacks %q:\n%s", want, status)
	}
	if !strings.Contains(status, "role ACCOUNTADMIN") {
		t.Errorf("status does not name the role:\n%s", status)
	}

	_, history, _ := runCLI(t, "history", "--state-dir", dir, "DATA-4811")
	if !strings.Contains(history, reason) {
		t.Errorf("history lacks %q:\n%s", reason, history)
	}

	_, raw, _ := runCLI(t, "status", "--state-dir", dir, "--output", "json", "DATA-4811")
	var view struct{ Error string }
	if err := json.Unmarshal([]byte(raw), &view); err != nil {
		t.Fatalf("decode status json: %v\n%s", err, raw)
	}
	if view.Error != "PermissionDenied" {
		t.Errorf("status json error = %q, want PermissionDenied", view.Error)
	}
}
