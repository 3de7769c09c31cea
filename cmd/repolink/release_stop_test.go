package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/workflow"
)

// TestStopFreesKilledRunPlace fills the endpoint places of a Snowflake
// account, the last one held by run EP-5, whose process was killed before
// its endpoint step. Once repolink stop closes EP-5, plan and run of EP-6
// in the same state directory must get that place, although no engine
// handler saw the close.
func TestStopFreesKilledRunPlace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := writeModeFile(dir, modeOf(true)); err != nil {
		t.Fatal(err)
	}
	ep5Path := writeRequest(t, func(doc map[string]any) { doc["id"] = "EP-5" })
	ep6Path := writeRequest(t, func(doc map[string]any) { doc["id"] = "EP-6" })
	ep5, err := readRequest(ep5Path)
	if err != nil {
		t.Fatal(err)
	}

	// The killed run: started in the store, and no process runs it.
	eng := provisionStore(t, dir)
	if _, err := startExecution(ctx, eng, ep5); err != nil {
		t.Fatal(err)
	}
	store, err := reservations.Open(filepath.Join(dir, reservationStore))
	if err != nil {
		t.Fatal(err)
	}
	holders := []string{"DATA-9000", "DATA-9001", "DATA-9002", "DATA-9003", "EP-5"}
	for _, holder := range holders {
		got, err := store.Reserve(ctx, workflow.EndpointReservation{
			Account: ep5.Snowflake.Account, RequestID: holder, Execution: holder,
			Limit: provisionendpoint.MaxEndpoints, Now: time.Now(),
		})
		if err != nil || !got.Reserved {
			t.Fatalf("reserve for %s = %+v, %v", holder, got, err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	// Preflight prepares the sandbox account and credentials that plan
	// logs in with, and reserves nothing. It fails the endpoint
	// check, because the reservations take every place.
	if code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", dir, ep6Path); code != exitFailed || !strings.Contains(out, "failed  endpoint_capacity") {
		t.Fatalf("preflight exit %d, want %d with a failed endpoint_capacity check\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}

	// A run of EP-6 would be rejected while EP-5 runs, so plan exits 2.
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, ep6Path)
	if code != exitInvalid {
		t.Fatalf("plan before stop exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if line := lineStarting(out, "endpoint "); !strings.Contains(line, "EP-5") {
		t.Fatalf("endpoint line before stop = %q, want a conflict with the running EP-5", line)
	}

	if code, out, errOut := runCLI(t, "stop", "--state-dir", dir, "EP-5"); code != exitOK {
		t.Fatalf("stop exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, ep6Path)
	if code != exitOK {
		t.Fatalf("plan after stop exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if line := lineStarting(out, "endpoint "); strings.Contains(line, " conflict ") {
		t.Errorf("endpoint line after stop = %q, want the place of the stopped EP-5 free", line)
	}
	code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, ep6Path)
	if code != exitOK {
		t.Fatalf("run of EP-6 exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
	}
}
