package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

func TestTeardownCommandRemovesAndRepeats(t *testing.T) {
	dir := t.TempDir()
	req := writeRequest(t, nil)
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "execution DATA-4711-teardown ") || !strings.Contains(out, "6 deleted") {
		t.Errorf("teardown output lacks its execution or deletions:\n%s", out)
	}

	code, out, _ = runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("second teardown exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "DATA-4711-teardown-r2") || !strings.Contains(out, "0 deleted") {
		t.Errorf("second teardown deleted something or reused the name:\n%s", out)
	}
}

func TestTeardownCommandRejectsBadNames(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, writeRequest(t, nil)); code != exitOK {
		t.Fatalf("run failed: %s", errOut)
	}
	for _, name := range []string{"NO-SUCH-RUN"} {
		if code, _, errOut := runCLI(t, "teardown", "--state-dir", dir, name); code != exitInvalid {
			t.Errorf("teardown %s exit %d, want %d: %s", name, code, exitInvalid, errOut)
		}
	}
	if code, _, _ := runCLI(t, "teardown", "--state-dir", dir); code != exitInvalid {
		t.Errorf("teardown without a name exit %d, want %d", code, exitInvalid)
	}
}

func TestSandboxLockRejectsSecondProcess(t *testing.T) {
	dir := t.TempDir()
	lock, err := lockSandbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()

	code, _, errOut := runCLI(t, "run", "--sandbox", "--state-dir", dir, writeRequest(t, nil))
	if code != exitInvalid {
		t.Fatalf("run exit %d, want %d: %s", code, exitInvalid, errOut)
	}
	if !strings.Contains(errOut, "runs the sandbox") {
		t.Errorf("stderr does not name the other process: %s", errOut)
	}
	if code, _, _ := runCLI(t, "sandbox", "reset", "--state-dir", dir); code != exitInvalid {
		t.Errorf("sandbox reset exit %d while the sandbox runs, want %d", code, exitInvalid)
	}
}

// TestTeardownResumesOpenTeardown starts a teardown execution that no
// process runs, as a killed teardown leaves it, and checks that the next
// teardown command resumes and finishes it instead of starting another.
func TestTeardownResumesOpenTeardown(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, writeRequest(t, nil)); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	startLeftTeardown(t, dir, "DATA-4711")

	code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711")
	if code != exitOK {
		t.Fatalf("teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "resuming teardown DATA-4711-teardown") {
		t.Errorf("teardown does not say that it resumes DATA-4711-teardown:\n%s", errOut)
	}
	if !strings.Contains(out, "execution DATA-4711-teardown ") {
		t.Errorf("teardown output does not name DATA-4711-teardown:\n%s", out)
	}
	if strings.Contains(out, "DATA-4711-teardown-r2") {
		t.Errorf("teardown started another execution:\n%s", out)
	}
	if !strings.Contains(out, "6 deleted") {
		t.Errorf("teardown output lacks its deletions:\n%s", out)
	}
}

func TestTeardownViewNamesStep(t *testing.T) {
	v := newView(engine.Execution{Name: "A-teardown", Machine: teardownMachine, Status: engine.StatusRunning, CurrentState: "TeardownProxyVM"})
	if v.CurrentStep != "teardown_proxy_vm" {
		t.Errorf("current step of a teardown in TeardownProxyVM = %q, want teardown_proxy_vm", v.CurrentStep)
	}
}

// TestTeardownRemovesRenamedRepository runs a request, runs it again with
// another repository name, and tears down the second run. The objects of
// the first run point at the request's network, which the teardown
// removes, so they must go too.
func TestTeardownRemovesRenamedRepository(t *testing.T) {
	dir := t.TempDir()
	firstFile := writeRequest(t, nil)
	renamedFile := writeRequest(t, func(doc map[string]any) {
		section(doc, "repository")["name"] = "corp_pypi2"
	})
	for _, file := range []string{firstFile, renamedFile} {
		if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, file); code != exitOK {
			t.Fatalf("run %s exit %d\nstdout:\n%s\nstderr:\n%s", file, code, out, errOut)
		}
	}

	code, out, errOut := runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4711-r2")
	if code != exitOK {
		t.Fatalf("teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "PLATFORM.PACKAGES.CORP_PYPI2, PLATFORM.PACKAGES.CORP_PYPI") {
		t.Errorf("teardown output does not name both repositories:\n%s", out)
	}

	rt, err := openRuntime(context.Background(), runtimeOptions{dir: dir, sandbox: true, logger: slog.New(slog.DiscardHandler), instant: true})
	if err != nil {
		t.Fatalf("open runtime: %v", err)
	}
	defer rt.Close()
	for _, file := range []string{firstFile, renamedFile} {
		req, err := readRequest(file)
		if err != nil {
			t.Fatal(err)
		}
		checkRemoved(t, rt, req)
	}
}
