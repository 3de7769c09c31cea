package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// codeArtifactRunLimit bounds each CLI run of the CodeArtifact test. A run
// against the sandbox takes a few seconds, so reaching the limit means a
// step is stuck, for example on an unhealthy load balancer target.
const codeArtifactRunLimit = 2 * time.Minute

const sandboxCodeArtifactURL = "https://corp-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/main/simple/"

// codeArtifactRequest edits the AWS example into a request whose token
// repolink gets from the sandbox CodeArtifact.
func codeArtifactRequest(doc map[string]any) {
	repo := section(doc, "repository")
	repo["index_url"] = sandboxCodeArtifactURL
	repo["auth"] = map[string]any{"type": "codeartifact", "token_duration_seconds": 3600}
	section(doc, "aws")["upstream"] = "corp-111122223333.d.codeartifact.us-west-2.amazonaws.com:443"
}

func TestEndToEndCodeArtifactToken(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, codeArtifactRequest)

	code, out, errOut := runCLITimed(t, codeArtifactRunLimit, "preflight", "--sandbox", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("preflight exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "repolink gets the CodeArtifact token") {
		t.Errorf("preflight does not report the token that repolink gets:\n%s", out)
	}

	code, out, errOut = runCLITimed(t, codeArtifactRunLimit, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// Verification installs through the SECRET, so it passes only if the
	// secret holds a token that the sandbox CodeArtifact issued.
	if !strings.Contains(out, "status:           SUCCEEDED") || !strings.Contains(out, "corp-utils==2.3.1") {
		t.Errorf("run output lacks success or the installed package:\n%s", out)
	}

	db, err := sql.Open("sqlite", filepath.Join(dir, "credentials.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var body string
	if err := db.QueryRow(`SELECT body FROM credential_expiries`).Scan(&body); err != nil {
		t.Fatalf("read the expiry record: %v", err)
	}
	if !strings.Contains(body, `"renewable":true`) || !strings.Contains(body, `"execution":"DATA-4711"`) {
		t.Errorf("expiry record = %s, want a renewable record of DATA-4711", body)
	}
}
