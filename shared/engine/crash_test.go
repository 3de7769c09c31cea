package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash test runs executions in a child process, which is this test
// binary started again with crashChildEnv set. It kills the child with
// SIGKILL after a chosen number of history events and starts a new child
// on the same store. Then it checks the invocation log that the task
// functions wrote.

const (
	crashChildEnv   = "REPOLINK_ENGINE_CRASH_CHILD" // the store directory of a child process
	crashKillPoints = 20
	crashExecutions = 3
)

// crashMachine has Task states at the top level, in Parallel branches and
// in Map iterations, with Pass and Choice states between them.
const crashMachine = `{"StartAt":"Prepare","States":{
	"Prepare":{"Type":"Task","Resource":"work","Parameters":{"key.$":"States.Format('{}/Prepare', $$.Execution.Name)"},
		"ResultPath":"$.prepare","Next":"Fork"},
	"Fork":{"Type":"Parallel","ResultPath":"$.fork","Next":"Items","Branches":[
		{"StartAt":"Left","States":{"Left":{"Type":"Task","Resource":"work",
			"Parameters":{"key.$":"States.Format('{}/Left', $$.Execution.Name)"},"End":true}}},
		{"StartAt":"Right","States":{"Right":{"Type":"Task","Resource":"work",
			"Parameters":{"key.$":"States.Format('{}/Right', $$.Execution.Name)"},"Next":"RightDone"},
			"RightDone":{"Type":"Pass","End":true}}}]},
	"Items":{"Type":"Pass","Result":[0,1,2],"ResultPath":"$.items","Next":"Each"},
	"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"ResultPath":"$.each","Next":"Check",
		"ItemSelector":{"key.$":"States.Format('{}/Each/{}', $$.Execution.Name, $$.Map.Item.Value)"},
		"ItemProcessor":{"StartAt":"Item","States":{"Item":{"Type":"Task","Resource":"work","End":true}}}},
	"Check":{"Type":"Choice","Choices":[{"Variable":"$.prepare.key","IsPresent":true,"Next":"Finish"}],"Default":"Broken"},
	"Broken":{"Type":"Fail","Error":"Broken"},
	"Finish":{"Type":"Task","Resource":"work","Parameters":{"key.$":"States.Format('{}/Finish', $$.Execution.Name)"},
		"ResultPath":"$.finish","End":true}}}`

// crashExecutionName returns the name of the i-th execution of a child.
func crashExecutionName(i int) string { return fmt.Sprintf("run-%d", i) }

// TestCrashChild is the child process of TestCrashRestart. It is skipped
// in a normal test run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestCrashRestart")
	}
	if err := runCrashChild(dir); err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runCrashChild starts the executions (again, after a crash) and runs them
// to the end. It prints one line per history event for the parent.
func runCrashChild(dir string) error {
	// A killed child still holds the runner lease, so a short lease lets
	// the next child take over quickly instead of after five seconds.
	minLeaseTTL = 200 * time.Millisecond

	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	e, err := Open(filepath.Join(dir, "engine.db"), Options{
		PollInterval: 20 * time.Millisecond,
		OnEvent: func(ev Event) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(out, "event %s %d %s\n", ev.Execution, ev.ID, ev.Type)
			out.Flush()
		},
	})
	if err != nil {
		return err
	}
	defer e.Close()

	invocations, err := os.OpenFile(filepath.Join(dir, "invocations.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer invocations.Close()
	e.Register("work", func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		var in struct {
			Key string `json:"key"`
		}
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, err
		}
		// Record the invocation durably before doing the work, as a step
		// with side effects would.
		if _, err := invocations.WriteString(in.Key + "\n"); err != nil {
			return nil, err
		}
		if err := invocations.Sync(); err != nil {
			return nil, err
		}
		time.Sleep(5 * time.Millisecond)
		return json.Marshal(map[string]string{"key": in.Key})
	})

	if err := e.Define("crash", []byte(crashMachine)); err != nil {
		return err
	}
	ctx := context.Background()
	for i := range crashExecutions {
		_, err := e.Start(ctx, "crash", crashExecutionName(i), json.RawMessage(`{}`))
		if err != nil && !errors.Is(err, ErrExecutionAlreadyExists) {
			return err
		}
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- e.Run(runCtx) }()
	for i := range crashExecutions {
		if _, err := e.Wait(ctx, crashExecutionName(i)); err != nil {
			return err
		}
	}
	stop()
	return <-done
}

// crashChild is one child process and the event lines it printed.
type crashChild struct {
	cmd    *exec.Cmd
	events chan struct{}
	exited chan error
}

func startCrashChild(t *testing.T, dir string) *crashChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &crashChild{cmd: cmd, events: make(chan struct{}, 1024), exited: make(chan error, 1)}
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if strings.HasPrefix(scanner.Text(), "event ") {
				c.events <- struct{}{}
			}
		}
		close(c.events)
		err := cmd.Wait()
		if err != nil && stderr.Len() > 0 {
			err = fmt.Errorf("%w: %s", err, stderr.String())
		}
		c.exited <- err
	}()
	return c
}

// runToEnd waits for a child that is not killed to exit.
func (c *crashChild) runToEnd(t *testing.T) {
	t.Helper()
	for range c.events {
	}
	select {
	case err := <-c.exited:
		if err != nil {
			t.Fatalf("child process: %v", err)
		}
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		t.Fatal("child process did not exit within 30s")
	}
}

// killAfter kills the child with SIGKILL after n events, or lets it exit
// if it ends first. It returns the number of events seen.
func (c *crashChild) killAfter(t *testing.T, n int) int {
	t.Helper()
	seen := 0
	for range c.events {
		seen++
		if seen == n {
			err := c.cmd.Process.Signal(syscall.SIGKILL)
			if err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatalf("kill child: %v", err)
			}
			break
		}
	}
	for range c.events {
	}
	<-c.exited
	return seen
}

// readInvocations counts the lines of the invocation log by key.
func readInvocations(t *testing.T, dir string) map[string]int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "invocations.log"))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]int{}
	}
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line != "" {
			counts[line]++
		}
	}
	return counts
}

// crashState is what a child left in its store.
type crashState struct {
	completed  map[string]bool // keys of tasks with a TaskSucceeded event
	executions map[string]Execution
	events     int
}

func readCrashState(t *testing.T, dir string) crashState {
	t.Helper()
	e, err := Open(filepath.Join(dir, "engine.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	state := crashState{completed: map[string]bool{}, executions: map[string]Execution{}}
	for i := range crashExecutions {
		name := crashExecutionName(i)
		x, err := e.Describe(ctx, name)
		if errors.Is(err, ErrExecutionNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		state.executions[name] = x
		events, err := e.History(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		state.events += len(events)
		for _, ev := range events {
			if ev.Type != "TaskSucceeded" {
				continue
			}
			var details struct {
				Output struct {
					Key string `json:"key"`
				} `json:"output"`
			}
			if err := json.Unmarshal(ev.Details, &details); err != nil {
				t.Fatal(err)
			}
			state.completed[details.Output.Key] = true
		}
	}
	return state
}

func TestCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts about 40 child processes")
	}

	// A run without a crash gives the number of events and the outputs.
	refDir := t.TempDir()
	ref := startCrashChild(t, refDir)
	ref.runToEnd(t)
	reference := readCrashState(t, refDir)
	for name, x := range reference.executions {
		if x.Status != StatusSucceeded {
			t.Fatalf("reference run: %s is %s (%s: %s)", name, x.Status, x.Error, x.Cause)
		}
	}
	total := reference.events
	if total < crashKillPoints+2 {
		t.Fatalf("reference run has %d events, too few for %d kill points", total, crashKillPoints)
	}

	points := make(chan int)
	go func() {
		for i := range crashKillPoints {
			points <- 1 + i*(total-2)/(crashKillPoints-1)
		}
		close(points)
	}()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range points {
				t.Run(fmt.Sprintf("kill after %d events", n), func(t *testing.T) {
					checkCrashAt(t, n, reference.executions)
				})
			}
		}()
	}
	wg.Wait()
}

// checkCrashAt kills a child after n events, restarts it, and checks that
// every execution succeeded, no completed task ran again and each
// interrupted task ran at most once more.
func checkCrashAt(t *testing.T, n int, want map[string]Execution) {
	dir := t.TempDir()
	child := startCrashChild(t, dir)
	seen := child.killAfter(t, n)
	before := readInvocations(t, dir)
	completed := readCrashState(t, dir).completed

	startCrashChild(t, dir).runToEnd(t)
	after := readInvocations(t, dir)
	executions := readCrashState(t, dir).executions

	for name, ref := range want {
		x, ok := executions[name]
		if !ok {
			t.Errorf("%s: missing after the restart", name)
			continue
		}
		if x.Status != StatusSucceeded {
			t.Errorf("%s: status %s (%s: %s), want SUCCEEDED", name, x.Status, x.Error, x.Cause)
		}
		if problem := compareJSON(x.Output, ref.Output); problem != "" {
			t.Errorf("%s: output: %s", name, problem)
		}
	}
	interrupted := 0
	for key, total := range after {
		if before[key] > 0 && !completed[key] {
			interrupted++
		}
		switch {
		case completed[key]:
			if total != 1 || before[key] != 1 {
				t.Errorf("%s completed before the kill (after %d events) but ran %d times", key, seen, total)
			}
		case before[key] > 0:
			if total > before[key]+1 {
				t.Errorf("%s was interrupted after %d runs but ran %d times in all, want at most %d",
					key, before[key], total, before[key]+1)
			}
		default:
			if total != 1 {
				t.Errorf("%s started after the restart but ran %d times", key, total)
			}
		}
	}
	t.Logf("killed after %d events: %d tasks completed, %d interrupted", seen, len(completed), interrupted)
	if len(after) != crashExecutions*7 {
		t.Errorf("%d tasks ran, want %d (7 per execution)", len(after), crashExecutions*7)
	}
}
