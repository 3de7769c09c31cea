package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

func TestScaledStateDirLaterCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping sandbox runs in short mode")
	}
	dir := t.TempDir()
	req := writeRequest(t, nil)
	code, stdout, stderr := runCLI(t, "run", "--sandbox", "--state-dir", dir, "--sandbox-latency", "none",
		"--sandbox-clock-scale", "600", req)
	if code != exitOK {
		t.Fatalf("scaled run: exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// plan has no scale flag and runs on the recorded clock, so the
	// sandbox shows what the scaled run built.
	code, stdout, stderr = runCLI(t, "plan", "--sandbox", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("plan: exit status %d\nstderr:\n%s", code, stderr)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "proxy_vm ") && !strings.Contains(line, " adopt ") {
			t.Errorf("plan does not adopt the proxy VM of the scaled run:\n%s", line)
		}
	}

	code, stdout, stderr = runCLI(t, "run", "--sandbox", "--state-dir", dir, "--sandbox-latency", "none", req)
	if code != exitInvalid {
		t.Errorf("unscaled run: exit status %d, want %d\nstdout:\n%s", code, exitInvalid, stdout)
	}
	if want := "was created with --sandbox-clock-scale 600, and this run requests 1"; !strings.Contains(stderr, want) {
		t.Errorf("unscaled run: stderr does not contain %q:\n%s", want, stderr)
	}

	code, stdout, stderr = runCLI(t, "run", "--sandbox", "--state-dir", dir, "--sandbox-latency", "none",
		"--sandbox-clock-scale", "600", req)
	if code != exitOK {
		t.Fatalf("second scaled run: exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "0 created") {
		t.Errorf("second scaled run created resources again:\n%s", stdout)
	}

	eng, err := engine.Open(filepath.Join(dir, "engine.db"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	first, err := eng.Describe(context.Background(), "DATA-4711")
	if err != nil {
		t.Fatal(err)
	}
	second, err := eng.Describe(context.Background(), "DATA-4711-r2")
	if err != nil {
		t.Fatal(err)
	}
	if !second.StartedAt.After(first.StoppedAt) {
		t.Errorf("DATA-4711-r2 started at %s, not after DATA-4711 stopped at %s", second.StartedAt, first.StoppedAt)
	}
}

func TestUnscaledStateDirRejectsScale(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping a sandbox run in short mode")
	}
	dir := t.TempDir()
	req := writeRequest(t, nil)
	code, stdout, stderr := runCLI(t, "run", "--sandbox", "--state-dir", dir, "--sandbox-latency", "none", req)
	if code != exitOK {
		t.Fatalf("run: exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	code, _, stderr = runCLI(t, "run", "--sandbox", "--state-dir", dir, "--sandbox-latency", "none",
		"--sandbox-clock-scale", "60", req)
	if code != exitInvalid {
		t.Errorf("scaled run: exit status %d, want %d", code, exitInvalid)
	}
	if want := "was created with --sandbox-clock-scale 1, and this run requests 60"; !strings.Contains(stderr, want) {
		t.Errorf("scaled run: stderr does not contain %q:\n%s", want, stderr)
	}
}
