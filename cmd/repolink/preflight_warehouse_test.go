package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestMissingWarehouseRejectedEarly checks that preflight and plan reject a
// request whose snowflake.warehouse the sandbox account lacks, with status
// 2 and the field named, before anything is built, and that preflight
// passes the check for a warehouse that exists.
func TestMissingWarehouseRejectedEarly(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, func(doc map[string]any) {
		section(doc, "snowflake")["warehouse"] = "NO_SUCH_WH"
	})
	const want = "$.snowflake.warehouse NO_SUCH_WH does not exist in Snowflake account"

	code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", dir, req)
	if code != exitInvalid {
		t.Errorf("preflight exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(out, "failed  session_warehouse") {
		t.Errorf("preflight does not fail session_warehouse:\n%s", out)
	}
	if !strings.Contains(out, want) {
		t.Errorf("preflight output lacks %q:\n%s", want, out)
	}

	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, req)
	if code != exitInvalid {
		t.Errorf("plan exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(out, want) {
		t.Errorf("plan output lacks %q:\n%s", want, out)
	}

	eng, _, err := openEngineStore(dir)
	if err == nil {
		runs, err := eng.ListMachine(context.Background(), provisionMachine, time.Time{})
		eng.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 0 {
			t.Errorf("preflight and plan started %d executions, want none", len(runs))
		}
	}

	code, out, errOut = runCLI(t, "preflight", "--sandbox", "--state-dir", t.TempDir(), writeRequest(t, nil))
	if code != exitOK {
		t.Errorf("preflight of the example exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
	}
	if !strings.Contains(out, "passed  session_warehouse") {
		t.Errorf("preflight of the example does not pass session_warehouse:\n%s", out)
	}
}
