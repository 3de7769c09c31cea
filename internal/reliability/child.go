package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/repolink/repolink/shared/sandbox"
)

// childEnv returns the environment of a child process: this process's
// environment without repolink's own variables, the settings that keep the
// Snowflake driver and the AWS SDK away from cloud metadata addresses, and
// extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REPOLINK_") {
			env = append(env, kv)
		}
	}
	env = append(env, "SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true", "AWS_EC2_METADATA_DISABLED=true")
	return append(env, extra...)
}

// faultsEnv returns the variable that points a child's sandbox at a fault
// file.
func faultsEnv(path string) string {
	return sandbox.FaultsEnv + "=" + path
}

// child is a started child process whose output is kept in memory and,
// once it exits, in the work directory's logs/ for the secret scan.
type child struct {
	name   string
	cmd    *exec.Cmd
	stdout lockedBuffer
	stderr lockedBuffer
	start  time.Time
	logDir string
}

// lockedBuffer is a buffer that a running child writes while the suite
// reads it. It also records when each line arrived, so that a kill -9
// trial can follow the run's progress output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// lineTimes contains the arrival time of each complete line.
	lineTimes []time.Time
	// lineArrived, when not nil, receives a value without blocking after
	// each write that completes a line.
	lineArrived chan struct{}
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := bytes.Count(p, []byte("\n"))
	for range lines {
		b.lineTimes = append(b.lineTimes, now)
	}
	if lines > 0 && b.lineArrived != nil {
		select {
		case b.lineArrived <- struct{}{}:
		default:
		}
	}
	return b.buf.Write(p)
}

// lineTime returns the arrival time of line n, counted from 1, and false
// while fewer lines have arrived.
func (b *lockedBuffer) lineTime(n int) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n < 1 || n > len(b.lineTimes) {
		return time.Time{}, false
	}
	return b.lineTimes[n-1], true
}

// lines returns the output so far with the arrival time of each complete
// line.
func (b *lockedBuffer) lines() ([]string, []time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	text := strings.Split(b.buf.String(), "\n")
	return text[:len(b.lineTimes)], slices.Clone(b.lineTimes)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// childResult is the exit status and output of a finished child.
type childResult struct {
	// code is the exit status, -1 when a signal ended the process.
	code   int
	stdout string
	stderr string
	took   time.Duration
	// err is set when the child could not run or was stopped because ctx
	// ended.
	err error
}

// startChild starts name, a label that names the log files, as bin with
// args. Ending ctx kills the child's process group.
func (s *session) startChild(ctx context.Context, name string, env []string, bin string, args ...string) (*child, error) {
	c := &child{name: name, logDir: s.dir("logs")}
	c.stdout.lineArrived = make(chan struct{}, 1)
	c.cmd = exec.CommandContext(ctx, bin, args...)
	c.cmd.Dir = s.cfg.Root
	c.cmd.Env = env
	c.cmd.Stdout = &c.stdout
	c.cmd.Stderr = &c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.cmd.Cancel = func() error { return syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL) }
	c.cmd.WaitDelay = 5 * time.Second
	c.start = time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return c, nil
}

// kill sends SIGKILL to the child process alone, as kill -9 PID does.
func (c *child) kill() error {
	return c.cmd.Process.Signal(syscall.SIGKILL)
}

// terminate sends SIGTERM to the child process.
func (c *child) terminate() error {
	return c.cmd.Process.Signal(syscall.SIGTERM)
}

// wait waits for the child to exit and saves its output.
func (c *child) wait() childResult {
	err := c.cmd.Wait()
	res := childResult{code: c.cmd.ProcessState.ExitCode(), took: time.Since(c.start),
		stdout: c.stdout.String(), stderr: c.stderr.String()}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		res.err = err
	}
	if ctxErr := c.cmd.Err; ctxErr != nil {
		res.err = ctxErr
	}
	_ = os.WriteFile(filepath.Join(c.logDir, c.name+".stdout"), []byte(res.stdout), 0o600)
	_ = os.WriteFile(filepath.Join(c.logDir, c.name+".stderr"), []byte(res.stderr), 0o600)
	return res
}

// runChild runs a child to the end.
func (s *session) runChild(ctx context.Context, name string, env []string, bin string, args ...string) childResult {
	c, err := s.startChild(ctx, name, env, bin, args...)
	if err != nil {
		return childResult{code: -1, err: err}
	}
	res := c.wait()
	if res.err == nil && ctx.Err() != nil {
		res.err = ctx.Err()
	}
	return res
}

// repolink runs the repolink binary to the end.
func (s *session) repolink(ctx context.Context, name string, env []string, args ...string) childResult {
	return s.runChild(ctx, name, env, s.cfg.Binary, args...)
}

// succeededRun reports whether r is a repolink run or redrive that exited
// with status 0 and whose summary shows the execution SUCCEEDED.
func (r childResult) succeededRun() bool {
	return r.err == nil && r.code == 0 && strings.Contains(r.stdout, "status:           SUCCEEDED")
}

// describe returns a short account of how a child ended, for failure
// details: the exit status and the last lines of its output.
func (r childResult) describe() string {
	var b strings.Builder
	switch {
	case r.err != nil:
		fmt.Fprintf(&b, "child did not finish: %v", r.err)
	default:
		fmt.Fprintf(&b, "exit status %d after %s", r.code, r.took.Round(100*time.Millisecond))
	}
	for _, out := range []struct{ name, text string }{{"stdout", r.stdout}, {"stderr", r.stderr}} {
		if tail := lastLines(out.text, 6); tail != "" {
			fmt.Fprintf(&b, "\n%s ends with:\n%s", out.name, indent(tail))
		}
	}
	return b.String()
}

func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func indent(text string) string {
	return "  " + strings.ReplaceAll(text, "\n", "\n  ")
}

// execution is one row of repolink list --output json.
type execution struct {
	Name         string `json:"name"`
	RequestID    string `json:"request_id"`
	Status       string `json:"status"`
	CurrentState string `json:"current_state"`
	RedriveCount int    `json:"redrive_count"`
}

// historyEvent is one row of repolink history --output json.
type historyEvent struct {
	ID        int64     `json:"id"`
	Type      string    `json:"type"`
	State     string    `json:"state"`
	Timestamp time.Time `json:"timestamp"`
}

// listExecutions runs repolink list on a state directory. A directory
// without executions lists none.
func (s *session) listExecutions(ctx context.Context, name, stateDir string) ([]execution, error) {
	if _, err := os.Stat(filepath.Join(stateDir, "engine.db")); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	res := s.repolink(ctx, name, childEnv(), "list", "--output", "json", "--state-dir", stateDir)
	if res.err != nil || res.code != 0 {
		return nil, fmt.Errorf("repolink list: %s", res.describe())
	}
	var out []execution
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		return nil, fmt.Errorf("decode repolink list output: %w", err)
	}
	return out, nil
}

// history runs repolink history on an execution and keeps its JSON output
// in the work directory for the secret scan.
func (s *session) history(ctx context.Context, name, stateDir, execName string) ([]historyEvent, error) {
	res := s.repolink(ctx, name, childEnv(), "history", "--output", "json", "--state-dir", stateDir, execName)
	if res.err != nil || res.code != 0 {
		return nil, fmt.Errorf("repolink history: %s", res.describe())
	}
	_ = os.WriteFile(filepath.Join(s.dir("documents"), name+".json"), []byte(res.stdout), 0o600)
	var out []historyEvent
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		return nil, fmt.Errorf("decode repolink history output: %w", err)
	}
	return out, nil
}

// status runs repolink status --output json on an execution and keeps the
// output in the work directory for the secret scan.
func (s *session) status(ctx context.Context, name, stateDir, execName string) {
	res := s.repolink(ctx, name, childEnv(), "status", "--output", "json", "--state-dir", stateDir, execName)
	_ = os.WriteFile(filepath.Join(s.dir("documents"), name+".json"), []byte(res.stdout), 0o600)
}
