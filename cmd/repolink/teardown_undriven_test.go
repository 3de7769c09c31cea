package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// undrivenTeardownStore returns a sandbox state directory whose request
// TU-1 has a stopped provision execution and a teardown TU-1-teardown
// that is open with no process to run it, as after an interrupted
// 'repolink teardown', and the request.
func undrivenTeardownStore(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := writeModeFile(dir, modeOf(true)); err != nil {
		t.Fatal(err)
	}
	eng := provisionStore(t, dir)
	req := exampleRequest(t, "TU-1")
	if _, err := eng.Start(ctx, provisionMachine, "TU-1", documentOf(t, req)); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(ctx, "TU-1", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, teardownMachine, "TU-1-teardown", documentOf(t, req)); err != nil {
		t.Fatal(err)
	}
	eng.Close()
	return dir, writeRequestFile(t, req, "request.json")
}

// TestRunAfterInterruptedTeardown checks that run and plan say that
// nothing runs an interrupted teardown and name the command that resumes
// it, in place of advising a wait that never ends.
func TestRunAfterInterruptedTeardown(t *testing.T) {
	dir, file := undrivenTeardownStore(t)
	advice := []string{
		"execution TU-1-teardown is open (in ",
		"nothing runs it now",
		"run 'repolink teardown --sandbox --state-dir " + dir + " TU-1', which resumes it",
		"'repolink stop --state-dir " + dir + " TU-1-teardown'",
	}

	code, _, errOut := runCLIWithin(t, "run", "--sandbox", "--state-dir", dir, file)
	assertUsage(t, "run", code, errOut, append(advice, "Run the request again once the teardown has closed")...)
	if strings.Contains(errOut, "still running") {
		t.Errorf("run: stderr calls the teardown running:\n%s", errOut)
	}

	code, out, errOut := runCLIWithin(t, "plan", "--sandbox", "--state-dir", dir, file)
	if code != exitOK {
		t.Fatalf("plan: exit %d, want %d\nstderr:\n%s", code, exitOK, errOut)
	}
	for _, want := range advice {
		if !strings.Contains(out, want) {
			t.Errorf("plan: stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "is running since") {
		t.Errorf("plan: stdout calls the teardown running:\n%s", out)
	}

	code, out, errOut = runCLIWithin(t, "plan", "--sandbox", "--output", "json", "--state-dir", dir, file)
	if code != exitOK {
		t.Fatalf("plan json: exit %d, want %d\nstderr:\n%s", code, exitOK, errOut)
	}
	var report planReport
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("plan json: output is not JSON: %v\n%s", err, out)
	}
	for _, want := range advice {
		if !strings.Contains(report.TeardownResume, want) {
			t.Errorf("plan json: teardown_resume lacks %q: %q", want, report.TeardownResume)
		}
	}
}

// TestRunWhileTeardownDriven holds the runner lease as a live teardown
// process does, and checks that run still says that the teardown runs.
func TestRunWhileTeardownDriven(t *testing.T) {
	dir, file := undrivenTeardownStore(t)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, engineStore))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO runner (id, owner, expires_at) VALUES (1, 'other-process', ?)`, time.Now().Add(time.Hour).UnixNano()); err != nil {
		t.Fatal(err)
	}

	code, _, errOut := runCLIWithin(t, "run", "--sandbox", "--state-dir", dir, file)
	assertUsage(t, "run", code, errOut,
		"teardown TU-1-teardown of request TU-1 is still running; wait for it to close",
		"'repolink stop --state-dir "+dir+" TU-1-teardown'")
	if strings.Contains(errOut, "nothing runs it now") {
		t.Errorf("run: stderr calls a driven teardown undriven:\n%s", errOut)
	}

	code, out, errOut := runCLIWithin(t, "plan", "--sandbox", "--state-dir", dir, file)
	if code != exitOK {
		t.Fatalf("plan: exit %d, want %d\nstderr:\n%s", code, exitOK, errOut)
	}
	if !strings.Contains(out, "teardown TU-1-teardown of execution TU-1 is running since") {
		t.Errorf("plan: stdout lacks the running teardown:\n%s", out)
	}
}
