package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestUnknownAzureLocationRejected checks that run and plan reject an
// azure-privatelink request whose azure.location the subscription does not
// list with status 2 and the field named, and that run starts no
// execution for it.
func TestUnknownAzureLocationRejected(t *testing.T) {
	dir := t.TempDir()
	req := writeAzureExample(t, "azure-privatelink.json", "AZ-LOC", "atlantis")
	const want = "$.azure.location atlantis is not a location of subscription"

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitInvalid {
		t.Errorf("run exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(errOut, want) {
		t.Errorf("run stderr lacks %q:\n%s", want, errOut)
	}
	if !strings.Contains(errOut, "nothing was created") {
		t.Errorf("run stderr does not say that nothing was created:\n%s", errOut)
	}

	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := eng.ListMachine(context.Background(), provisionMachine, time.Time{})
	eng.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 0 {
		t.Errorf("rejected run started %d executions, want none", len(runs))
	}

	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, req)
	if code != exitInvalid {
		t.Errorf("plan exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(out, want) {
		t.Errorf("plan output lacks %q:\n%s", want, out)
	}
}
