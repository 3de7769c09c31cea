package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// backgroundRun is a repolink command running in-process until its
// context is canceled or it ends.
type backgroundRun struct {
	stdout, stderr *syncBuffer
	done           chan int
	cancel         context.CancelFunc
}

// startRun starts the command args in-process. Its interrupt method
// cancels the command's context, as SIGINT does in runProcess.
func startRun(t *testing.T, args ...string) *backgroundRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &backgroundRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan int, 1), cancel: cancel}
	go func() { r.done <- run(ctx, args, r.stdout, r.stderr) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// waitOutput waits until the command's standard output contains want.
func (r *backgroundRun) waitOutput(t *testing.T, want string) {
	t.Helper()
	waitFor(t, "output "+want, func() bool {
		select {
		case code := <-r.done:
			r.done <- code
			t.Fatalf("command exited %d before printing %q\nstdout:\n%s\nstderr:\n%s", code, want, r.stdout, r.stderr)
		default:
		}
		return strings.Contains(r.stdout.String(), want)
	})
}

// interrupt cancels the command's context and returns its exit status.
func (r *backgroundRun) interrupt(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("command did not return within 30s of the interrupt\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		return 0
	}
}

func TestRunInterruptedExitStatus(t *testing.T) {
	dir := t.TempDir()
	file := writeRequest(t, func(doc map[string]any) { doc["id"] = "INT-1" })
	r := startRun(t, "run", "--sandbox", "--state-dir", dir, file)
	r.waitOutput(t, "execution INT-1 (")

	if code := r.interrupt(t); code != exitInterrupted {
		t.Errorf("interrupted run: exit %d, want %d\nstderr:\n%s", code, exitInterrupted, r.stderr)
	}
	errOut := r.stderr.String()
	for _, want := range []string{
		"execution INT-1 keeps its state and stays open",
		"run 'repolink run --sandbox --state-dir " + dir + " " + file + "' again",
		"start 'repolink up --sandbox --state-dir " + dir + "'",
		"'repolink status --state-dir " + dir + " INT-1'",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("interrupted run stderr lacks %q:\n%s", want, errOut)
		}
	}

	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	x, err := eng.Describe(context.Background(), "INT-1")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != engine.StatusRunning {
		t.Errorf("INT-1 after the interrupt is %s, want %s", x.Status, engine.StatusRunning)
	}
}
