package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// tokenMachine waits for a task token, then succeeds with the token's output.
const tokenMachine = `{
  "StartAt": "Wait",
  "States": {
    "Wait": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {"FunctionName": "${waiter}", "Payload": {"token.$": "$$.Task.Token"}},
      "TimeoutSeconds": 3600,
      "End": true
    }
  }
}`

// flakyMachine runs one task that fails until the test lets it succeed.
const flakyMachine = `{
  "StartAt": "Flaky",
  "States": {
    "Flaky": {"Type": "Task", "Resource": "${flaky}", "End": true}
  }
}`

// testStore opens an engine store in dir with the test machines and their
// tasks, and runs it until the test ends, as repolink up would.
func testStore(t *testing.T, dir string, tasks map[string]engine.TaskFunc) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(filepath.Join(dir, engineStore), engine.Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range tasks {
		eng.Register(name, fn)
	}
	for name, def := range map[string]string{"tokens": tokenMachine, "flaky": flakyMachine} {
		if err := eng.Define(name, []byte(def)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		eng.Close()
	})
	return eng
}

// waitFor polls cond until it holds or a deadline of 30 seconds passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pendingToken returns the token of the execution's waiting task.
func pendingToken(t *testing.T, eng *engine.Engine, name string) string {
	t.Helper()
	var token string
	waitFor(t, "the task token of "+name, func() bool {
		events, err := eng.History(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		submitted := false
		for _, ev := range events {
			switch ev.Type {
			case "TaskScheduled":
				token = taskToken(ev.Details)
			case "TaskSubmitted":
				submitted = true
			}
		}
		return submitted && token != ""
	})
	return token
}

func TestSendTaskCommands(t *testing.T) {
	dir := t.TempDir()
	eng := testStore(t, dir, map[string]engine.TaskFunc{
		"waiter": func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil },
	})
	ctx := context.Background()
	for _, name := range []string{"ok", "bad"} {
		if _, err := eng.Start(ctx, "tokens", name, json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	okToken, badToken := pendingToken(t, eng, "ok"), pendingToken(t, eng, "bad")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "heartbeat", args: []string{"send-task-heartbeat", okToken}, wantCode: exitOK},
		{name: "invalid output", args: []string{"send-task-success", okToken, "--output-json", "{not json"}, wantCode: exitInvalid, wantErr: "must be a JSON object"},
		{name: "output not an object", args: []string{"send-task-success", okToken, "--output-json", `"weird"`}, wantCode: exitInvalid, wantErr: "must be a JSON object"},
		{name: "null output", args: []string{"send-task-success", okToken, "--output-json", "null"}, wantCode: exitInvalid, wantErr: "must be a JSON object"},
		{name: "failure without error", args: []string{"send-task-failure", badToken}, wantCode: exitInvalid, wantErr: "--error is required"},
		{name: "unknown token", args: []string{"send-task-success", "no-such-token", "--output-json", "{}"}, wantCode: exitInvalid, wantErr: "unknown"},
		{name: "success", args: []string{"send-task-success", okToken, "--output-json", `{"status": "available"}`}, wantCode: exitOK},
		{name: "success again", args: []string{"send-task-success", okToken, "--output-json", "{}"}, wantCode: exitInvalid, wantErr: "already"},
		{name: "failure", args: []string{"send-task-failure", badToken, "--error", "Rejected", "--cause", "connection rejected by hand"}, wantCode: exitOK},
		{name: "no store", args: []string{"send-task-heartbeat", okToken, "--state-dir", t.TempDir()}, wantCode: exitInvalid, wantErr: "no executions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, "--state-dir", dir)
			if tt.name == "no store" {
				args = tt.args
			}
			code, _, errOut := runCLI(t, args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
		})
	}

	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ok, err := eng.Wait(waitCtx, "ok")
	if err != nil {
		t.Fatal(err)
	}
	if ok.Status != engine.StatusSucceeded || !strings.Contains(string(ok.Output), "available") {
		t.Errorf("execution ok = %s with output %s, want SUCCEEDED with the sent output", ok.Status, ok.Output)
	}
	bad, err := eng.Wait(waitCtx, "bad")
	if err != nil {
		t.Fatal(err)
	}
	if bad.Status != engine.StatusFailed || bad.Error != "Rejected" || bad.Cause != "connection rejected by hand" {
		t.Errorf("execution bad = %s %s %q, want FAILED Rejected with the sent cause", bad.Status, bad.Error, bad.Cause)
	}
}

func TestRedriveChecksStatus(t *testing.T) {
	dir := t.TempDir()
	eng := testStore(t, dir, map[string]engine.TaskFunc{
		"waiter": func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil },
		"flaky":  func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil },
	})
	ctx := context.Background()
	if _, err := eng.Start(ctx, "tokens", "waiting", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, "flaky", "done", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := eng.Wait(waitCtx, "done"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "running", args: []string{"redrive", "waiting", "--state-dir", dir}, wantErr: "stop it with 'repolink stop --state-dir " + dir + " waiting'"},
		{name: "succeeded", args: []string{"redrive", "done", "--state-dir", dir}, wantErr: "nothing to redrive"},
		{name: "unknown", args: []string{"redrive", "nobody", "--state-dir", dir}, wantErr: "no execution named nobody"},
		{name: "no store", args: []string{"redrive", "waiting", "--state-dir", t.TempDir()}, wantErr: "has no executions"},
		{name: "no name", args: []string{"redrive", "--state-dir", dir}, wantErr: "one execution name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestRedriveWhileServiceRuns(t *testing.T) {
	dir := t.TempDir()
	fail := make(chan bool, 1)
	fail <- true
	eng := testStore(t, dir, map[string]engine.TaskFunc{
		"flaky": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			select {
			case <-fail:
				return nil, errors.New("first attempt fails")
			default:
				return json.RawMessage(`{"resources": {"secret": {"action": "created", "id": "X"}}}`), nil
			}
		},
	})
	// The test's engine plays the part of repolink up, which holds the lock.
	lock, err := lockStateDir(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	ctx := context.Background()
	if _, err := eng.Start(ctx, "flaky", "flaky-1", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if x, err := eng.Wait(waitCtx, "flaky-1"); err != nil || x.Status != engine.StatusFailed {
		t.Fatalf("first run = %s (%v), want FAILED", x.Status, err)
	}

	code, out, errOut := runCLI(t, "redrive", "flaky-1", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("redrive exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"execution flaky-1 redrive 1 (run by repolink up)", "status:           SUCCEEDED"} {
		if !strings.Contains(out, want) {
			t.Errorf("redrive output lacks %q:\n%s", want, out)
		}
	}
}

func TestReadCommandsWithoutStore(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "list text", args: []string{"list", "--state-dir", dir}, wantCode: exitOK, wantOut: "no executions in"},
		{name: "list json", args: []string{"list", "--state-dir", dir, "--output", "json"}, wantCode: exitOK, wantOut: "[]"},
		{name: "list yaml", args: []string{"list", "--state-dir", dir, "--output", "yaml"}, wantCode: exitInvalid, wantErr: "--output must be text or json"},
		{name: "status", args: []string{"status", "DATA-1", "--state-dir", dir}, wantCode: exitInvalid, wantErr: "has no executions"},
		{name: "history", args: []string{"history", "DATA-1", "--state-dir", dir}, wantCode: exitInvalid, wantErr: "has no executions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, engineStore)); err == nil {
		t.Error("a read command created the engine store")
	}
}

func TestCommandsOnMissingStateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "list", args: []string{"list", "--state-dir", dir}, wantErr: "state directory " + dir + " does not exist; check --state-dir"},
		{name: "list json", args: []string{"list", "--state-dir", dir, "--output", "json"}, wantErr: "state directory " + dir + " does not exist; check --state-dir"},
		{name: "list file", args: []string{"list", "--state-dir", file}, wantErr: "state directory " + file + " is not a directory; check --state-dir"},
		{name: "status", args: []string{"status", "DATA-1", "--state-dir", dir}, wantErr: "no execution named DATA-1: state directory " + dir + " does not exist; check --state-dir"},
		{name: "history", args: []string{"history", "DATA-1", "--state-dir", dir}, wantErr: "state directory " + dir + " does not exist; check --state-dir"},
		{name: "stop", args: []string{"stop", "DATA-1", "--state-dir", dir}, wantErr: "state directory " + dir + " does not exist; check --state-dir"},
		{name: "heartbeat", args: []string{"send-task-heartbeat", "T1", "--state-dir", dir}, wantErr: "state directory " + dir + " does not exist; check --state-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stdout: %s; stderr: %s", code, exitInvalid, out, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want none", out)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat %s after the commands: %v, want the directory still missing", dir, err)
	}
}

// TestOperatorCommandsOnSandboxRuns runs one request that succeeds and one
// that fails on the sandbox, then reads and redrives them.
func TestOperatorCommandsOnSandboxRuns(t *testing.T) {
	dir := t.TempDir()
	good := writeRequest(t, nil)
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, good); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	bad := writeRequest(t, func(doc map[string]any) {
		doc["id"] = "DATA-4712"
		section(doc, "repository")["name"] = "corp_pypi_failing"
		// A host of its own, because an account routes a host to the
		// private endpoint of one request only.
		section(doc, "repository")["index_url"] = "https://pypi-failing.corp.example.com/simple/"
		// A credential of its own, because a credential serves one index
		// host.
		section(section(doc, "repository"), "auth")["password_ref"] = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/failing-index-password"
		section(doc, "repository")["packages"] = []string{"requests", "not-in-the-index"}
		// The first request sets the schema's default, which no other
		// request may set too.
		section(doc, "repository")["default_for"] = "none"
	})
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, bad); code != exitFailed {
		t.Fatalf("failing run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	t.Run("list", func(t *testing.T) {
		code, out, errOut := runCLI(t, "list", "--state-dir", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{"DATA-4711  SUCCEEDED", "DATA-4712  FAILED     preflight"} {
			if !strings.Contains(out, want) {
				t.Errorf("list lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("list json", func(t *testing.T) {
		code, out, _ := runCLI(t, "list", "--state-dir", dir, "--output", "json")
		var views []executionView
		if code != exitOK || json.Unmarshal([]byte(out), &views) != nil {
			t.Fatalf("exit %d, output %s", code, out)
		}
		if len(views) != 2 {
			t.Errorf("list json has %d executions, want 2", len(views))
		}
	})
	t.Run("status succeeded", func(t *testing.T) {
		code, out, errOut := runCLI(t, "status", "DATA-4711", "--state-dir", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{"status:        SUCCEEDED", "resources:", "repository", "PLATFORM.PACKAGES.CORP_PYPI", "live     Available"} {
			if !strings.Contains(out, want) {
				t.Errorf("status lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("status failed json", func(t *testing.T) {
		code, out, errOut := runCLI(t, "status", "--output", "json", "--state-dir", dir, "DATA-4712")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var v executionView
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		if v.Status != engine.StatusFailed {
			t.Errorf("status = %s, want FAILED", v.Status)
		}
		if v.FailedStep != "preflight" {
			t.Errorf("failed step = %q, want preflight", v.FailedStep)
		}
		if !strings.Contains(v.Cause, "not-in-the-index") {
			t.Errorf("cause %q does not name the missing package", v.Cause)
		}
		var sv statusView
		if err := json.Unmarshal([]byte(out), &sv); err != nil {
			t.Fatal(err)
		}
		_, text, _ := runCLI(t, "status", "--state-dir", dir, "DATA-4712")
		want := textField(text, "next:")
		if want == "" {
			t.Fatalf("text status lacks a next line:\n%s", text)
		}
		if sv.Next != want {
			t.Errorf("next = %q, want the text status's next line %q", sv.Next, want)
		}
	})
	t.Run("status unknown", func(t *testing.T) {
		code, _, errOut := runCLI(t, "status", "DATA-9999", "--state-dir", dir)
		if code != exitInvalid || !strings.Contains(errOut, "repolink list") {
			t.Errorf("exit %d, stderr %q; want 2 and a hint to list", code, errOut)
		}
	})
	t.Run("history", func(t *testing.T) {
		code, out, errOut := runCLI(t, "history", "DATA-4711", "--state-dir", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{"ExecutionStarted", "TaskStateEntered", "ExecutionSucceeded", "task token "} {
			if !strings.Contains(out, want) {
				t.Errorf("history lacks %q", want)
			}
		}
	})
	t.Run("history json", func(t *testing.T) {
		code, out, _ := runCLI(t, "history", "DATA-4711", "--output", "json", "--state-dir", dir)
		var events []eventView
		if code != exitOK || json.Unmarshal([]byte(out), &events) != nil {
			t.Fatalf("exit %d, output %.200s", code, out)
		}
		if events[0].Type != "ExecutionStarted" || events[len(events)-1].Type != "ExecutionSucceeded" {
			t.Errorf("history runs from %s to %s", events[0].Type, events[len(events)-1].Type)
		}
	})
	t.Run("status hint has the mode flags", func(t *testing.T) {
		code, out, errOut := runCLI(t, "status", "DATA-4712", "--state-dir", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		want := "'repolink redrive --sandbox --state-dir " + dir + " DATA-4712'"
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %s:\n%s", want, out)
		}
	})
	t.Run("commands without --sandbox", func(t *testing.T) {
		// Without the mode check these would reach the real clouds with
		// the default credentials.
		before := worldCounts(t, dir)
		tests := []struct {
			name string
			args []string
		}{
			{name: "redrive", args: []string{"redrive", "--state-dir", dir, "DATA-4712"}},
			{name: "teardown", args: []string{"teardown", "--state-dir", dir, "DATA-4711"}},
			{name: "run", args: []string{"run", "--state-dir", dir, good}},
			{name: "preflight", args: []string{"preflight", "--state-dir", dir, good}},
			{name: "plan", args: []string{"plan", "--state-dir", dir, good}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, _, errOut := runCLI(t, tt.args...)
				if code != exitInvalid {
					t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
				}
				if !strings.Contains(errOut, "belongs to the sandbox; add --sandbox") {
					t.Errorf("stderr does not name the flag to add: %s", errOut)
				}
			})
		}

		code, out, _ := runCLI(t, "status", "--output", "json", "--state-dir", dir, "DATA-4712")
		var v executionView
		if code != exitOK || json.Unmarshal([]byte(out), &v) != nil {
			t.Fatalf("status exit %d, output %s", code, out)
		}
		if v.Status != engine.StatusFailed || v.RedriveCount != 0 {
			t.Errorf("DATA-4712 = %s after %d redrives, want FAILED and none", v.Status, v.RedriveCount)
		}
		code, out, _ = runCLI(t, "list", "--output", "json", "--state-dir", dir)
		var views []executionView
		if code != exitOK || json.Unmarshal([]byte(out), &views) != nil {
			t.Fatalf("list exit %d, output %s", code, out)
		}
		if len(views) != 2 {
			t.Errorf("list has %d executions, want the 2 runs only", len(views))
		}
		if after := worldCounts(t, dir); !equalCounts(before, after) {
			t.Error("a command without --sandbox changed the sandbox world")
		}
	})
	t.Run("redrive succeeded", func(t *testing.T) {
		code, _, errOut := runCLI(t, "redrive", "--sandbox", "--state-dir", dir, "DATA-4711")
		if code != exitInvalid || !strings.Contains(errOut, "succeeded, so there is nothing to redrive") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("redrive failed", func(t *testing.T) {
		// The package is still missing, so the redriven step fails again.
		code, out, errOut := runCLI(t, "redrive", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "DATA-4712")
		if code != exitFailed {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
		}
		for _, want := range []string{"execution DATA-4712 redrive 1", "failed step:      preflight", "not-in-the-index"} {
			if !strings.Contains(out, want) {
				t.Errorf("redrive output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("invoke", func(t *testing.T) {
		doc := map[string]any{"resources": map[string]any{}}
		data, _ := os.ReadFile(good)
		var req map[string]any
		_ = json.Unmarshal(data, &req)
		doc["request"] = req
		input := filepath.Join(t.TempDir(), "input.json")
		encoded, _ := json.Marshal(doc)
		if err := os.WriteFile(input, encoded, 0o600); err != nil {
			t.Fatal(err)
		}

		code, out, errOut := runCLI(t, "invoke", "secret", "--sandbox", "--state-dir", dir, "--input", input)
		if code != exitOK {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		var result map[string]any
		if err := json.Unmarshal([]byte(out), &result); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		// The run's own secret gets its credential set again.
		if result["action"] != "updated" {
			t.Errorf("secret step action = %v, want updated", result["action"])
		}

		code, _, errOut = runCLI(t, "invoke", "no_such_step", "--state-dir", dir, "--input", input)
		if code != exitInvalid || !strings.Contains(errOut, "verification") {
			t.Errorf("unknown step: exit %d, stderr %q; want 2 and the list of steps", code, errOut)
		}
	})
	t.Run("plan", func(t *testing.T) {
		before := worldCounts(t, dir)
		code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, good)
		if code != exitOK {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		for _, want := range []string{"0 to create", "nothing was changed", "latest execution DATA-4711 is SUCCEEDED; a new run would be DATA-4711-r2"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan lacks %q:\n%s", want, out)
			}
		}

		other := writeRequest(t, func(doc map[string]any) { doc["id"] = "DATA-5000" })
		code, out, _ = runCLI(t, "plan", "--sandbox", "--output", "json", "--state-dir", dir, other)
		var report planReport
		if code != exitInvalid || json.Unmarshal([]byte(out), &report) != nil {
			t.Fatalf("plan of a rejected run: exit %d, want 2, output %s", code, out)
		}
		states := map[string]string{}
		for _, it := range report.Items {
			states[it.Step] = it.State
		}
		// The new ticket's objects have the names of DATA-4711's objects,
		// so its run would stop in preflight.
		if states["proxy_vm"] != "create" || states["repository"] != "conflict" {
			t.Errorf("plan of a new ticket: proxy_vm %s, repository %s; want create and conflict", states["proxy_vm"], states["repository"])
		}
		if report.NextRun != "DATA-5000" {
			t.Errorf("next run = %q, want DATA-5000", report.NextRun)
		}
		if after := worldCounts(t, dir); !equalCounts(before, after) {
			t.Error("plan changed the sandbox world")
		}
	})
	t.Run("plan in a new directory", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "new", "state")
		code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", fresh, good)
		if code != exitOK {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if !strings.Contains(out, "no execution yet; a run would be DATA-4711") {
			t.Errorf("plan lacks the next run:\n%s", out)
		}
		for _, store := range []string{engineStore, "waits.db", modeFile} {
			if _, err := os.Stat(filepath.Join(fresh, store)); err == nil {
				t.Errorf("plan created %s", store)
			}
		}
	})
}

func TestReadCommandsOnReadOnlyStateDir(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(filepath.Join(dir, engineStore), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng.Close()
	makeReadOnly(t, dir)

	tests := []struct {
		name string
		args []string
	}{
		{name: "list", args: []string{"list", "--state-dir", dir}},
		{name: "status", args: []string{"status", "--state-dir", dir, "DATA-4711"}},
		{name: "history", args: []string{"history", "--state-dir", dir, "DATA-4711"}},
		{name: "stop", args: []string{"stop", "--state-dir", dir, "DATA-4711"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			want := "state directory " + dir + " is not writable"
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr %q does not contain %q", errOut, want)
			}
		})
	}
}

// makeReadOnly makes dir read-only until the test ends. Root ignores
// permission bits, so as root it sets the immutable attribute with chattr
// and skips the test where that is not possible.
func makeReadOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot make %s read-only as root: chattr +i: %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("chattr", "-i", dir).CombinedOutput(); err != nil {
			t.Errorf("chattr -i %s: %v: %s", dir, err, out)
		}
	})
}

// TestExecutionWithoutRequest checks the advice for a provision execution
// started with an input that has no request, as the Step Functions API
// allows: a redrive reuses the input, so only a new run can succeed.
func TestExecutionWithoutRequest(t *testing.T) {
	dir := t.TempDir()
	eng := provisionStore(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if _, err := eng.Start(ctx, provisionMachine, "bare", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if x := waitClosed(t, eng, "bare"); x.Status != engine.StatusFailed {
		t.Fatalf("execution bare = %s, want FAILED", x.Status)
	}
	advice := "the execution's input has no request at $.request, and a redrive reuses that input, so it would fail the same way; " +
		"write a valid request file, then run 'repolink run --state-dir " + dir + " REQUEST'"

	code, out, errOut := runCLI(t, "status", "bare", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("status exit %d; stderr: %s", code, errOut)
	}
	if !strings.Contains(out, "next:          "+advice) {
		t.Errorf("status output lacks the advice %q:\n%s", advice, out)
	}
	if strings.Contains(out, "repolink redrive") {
		t.Errorf("status output suggests a redrive:\n%s", out)
	}

	code, out, errOut = runCLI(t, "redrive", "bare", "--state-dir", dir)
	if code != exitInvalid {
		t.Fatalf("redrive exit %d, want %d; stdout: %s; stderr: %s", code, exitInvalid, out, errOut)
	}
	if want := "execution bare cannot be redriven: " + advice; !strings.Contains(errOut, want) {
		t.Errorf("redrive stderr %q does not contain %q", errOut, want)
	}
	if x, err := eng.Describe(context.Background(), "bare"); err != nil || x.RedriveCount != 0 {
		t.Errorf("execution bare after the rejected redrive: %d redrives (%v), want 0", x.RedriveCount, err)
	}
}

// withRequest is the input of an execution that has a request.
const withRequest = `{"request": {"id": "DATA-1"}, "resources": {}}`

func TestPrintStatusNext(t *testing.T) {
	tests := []struct {
		name   string
		exec   engine.Execution
		want   []string
		unwant []string
	}{
		{
			name: "invalid request",
			exec: engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusFailed, Error: "InvalidRequest",
				Cause: "preflight: package corp-utils was not found on the index", Input: json.RawMessage(withRequest)},
			want: []string{
				"next:          change the request to fix the cause, then run 'repolink run --sandbox REQUEST' with the changed request file",
				"so run 'repolink redrive --sandbox DATA-1' only when the fix lies outside the request",
			},
			unwant: []string{"fix the cause, then run 'repolink redrive"},
		},
		{
			name: "transient",
			exec: engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusFailed, Error: "Transient",
				Cause: "proxy_vm: aws: 503", Input: json.RawMessage(withRequest)},
			want:   []string{"next:          fix the cause, then run 'repolink redrive --sandbox DATA-1' to resume from the failed step\n"},
			unwant: []string{"repolink run"},
		},
		{
			name: "input without request",
			exec: engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusFailed, Error: "States.Runtime",
				Cause: "the JSONPath $.request specified for the field request.$ could not be found in the input", Input: json.RawMessage(`{}`)},
			want:   []string{"next:          the execution's input has no request at $.request", "write a valid request file, then run 'repolink run --sandbox REQUEST'"},
			unwant: []string{"then run 'repolink redrive"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			printStatus(&out, tt.exec, newView(tt.exec), " --sandbox")
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			for _, unwant := range tt.unwant {
				if strings.Contains(out.String(), unwant) {
					t.Errorf("output contains %q:\n%s", unwant, out.String())
				}
			}
		})
	}
}

func TestStatusErrorMatchesRunSummary(t *testing.T) {
	exec := engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusFailed, CurrentState: "Integration",
		Error: "States.TaskFailed", Cause: "integration: create API integration CORP_PYPI_INTEGRATION: insufficient privileges",
		Input: json.RawMessage(withRequest)}
	want := "States.TaskFailed: create API integration CORP_PYPI_INTEGRATION: insufficient privileges"

	var status strings.Builder
	printStatus(&status, exec, newView(exec), " --sandbox")
	var summary strings.Builder
	p := newProgress(&summary)
	p.flags = " --sandbox"
	p.summary(exec)

	if line := "error:         " + want + "\n"; !strings.Contains(status.String(), line) {
		t.Errorf("status lacks %q:\n%s", line, status.String())
	}
	if line := "error:            " + want + "\n"; !strings.Contains(summary.String(), line) {
		t.Errorf("run summary lacks %q:\n%s", line, summary.String())
	}
}

func TestStatusPrintsMultiLineCause(t *testing.T) {
	cause := "preflight: preflight of https://pypi.corp.example.com/simple/ failed 1 of 5 checks:\n" +
		"  tls_names: certificate names localhost do not cover pypi.corp.example.com\n" +
		"    fix: reissue the certificate for pypi.corp.example.com"
	exec := engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusFailed, CurrentState: "Preflight",
		Error: "InvalidRequest", Cause: cause, Input: json.RawMessage(withRequest)}

	var out strings.Builder
	printStatus(&out, exec, newView(exec), " --sandbox")
	for _, line := range []string{
		"error:         InvalidRequest: preflight of https://pypi.corp.example.com/simple/ failed 1 of 5 checks:\n",
		"\n                 tls_names: certificate names localhost do not cover pypi.corp.example.com\n",
		"\n                   fix: reissue the certificate for pypi.corp.example.com\n",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("status lacks %q:\n%s", line, out.String())
		}
	}
}

// textField returns the value of the line of the text status out that
// starts with label, or "" when it has none.
func textField(out, label string) string {
	for line := range strings.Lines(out) {
		if value, ok := strings.CutPrefix(line, label); ok {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// TestListAlignsCombiningMarks checks that list pads names by the columns
// they take on a terminal, and that a name with combining marks is quoted
// so that it differs from a name that renders alike.
func TestListAlignsCombiningMarks(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(filepath.Join(dir, engineStore), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Define("m", []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)); err != nil {
		t.Fatal(err)
	}
	decomposed := "cafe\u0301"
	names := []string{"caf\u00e9", decomposed, strings.Repeat("e\u0301", 40), "\u65e5\u672c-run", "plain"}
	for _, name := range names {
		if _, err := eng.Start(context.Background(), "m", name, json.RawMessage(`{}`)); err != nil {
			t.Fatalf("start %q: %v", name, err)
		}
	}
	eng.Close()

	code, out, errOut := runCLI(t, "list", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("list exit %d\nstderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(names)+1 {
		t.Fatalf("list printed %d lines, want %d:\n%s", len(lines), len(names)+1, out)
	}
	// Each name cell as list shows it, with the terminal columns it takes.
	cells := map[string]int{
		"caf\u00e9":    4,
		`"cafe\u0301"`: 12,
		`"` + strings.Repeat(`e\u0301`, 40) + `"`: 282,
		"\u65e5\u672c-run":                        8,
		"plain":                                   5,
	}
	statusColumn := strings.Index(lines[0], "STATUS")
	for _, line := range lines[1:] {
		found := false
		for cell, columns := range cells {
			rest, ok := strings.CutPrefix(line, cell+" ")
			if !ok {
				continue
			}
			found = true
			status := columns + 1 + len(rest) - len(strings.TrimLeft(rest, " "))
			if status != statusColumn {
				t.Errorf("row %q: STATUS starts at column %d, want %d", line, status, statusColumn)
			}
		}
		if !found {
			t.Errorf("row %q starts with no expected name cell", line)
		}
	}
}

func TestDisplayNameQuotesLookAlikes(t *testing.T) {
	tests := []struct {
		name    string
		quoted  bool
		columns int
	}{
		{"\u1100\u1161\u11a8-jamo", true, 7}, // decomposed Hangul syllable
		{"\uac01-jamo", false, 7},            // the same syllable precomposed
		{"\uffa0N-1", true, 4},               // halfwidth Hangul filler
		{"\u3164\u3164x", true, 5},           // Hangul fillers
		{"\u2800\u2800plain-name", true, 12}, // Braille pattern blanks
		{"cafe\u0301", true, 4},
		{"plain-name", false, 10},
	}
	for _, tt := range tests {
		shown := displayName(tt.name)
		if quoted := shown != tt.name; quoted != tt.quoted {
			t.Errorf("displayName(%q) = %s; quoted %v, want %v", tt.name, shown, quoted, tt.quoted)
		}
		if got := nameArg(shown); got != tt.name {
			t.Errorf("nameArg(%s) = %q, want %q", shown, got, tt.name)
		}
		if got := displayWidth(tt.name); got != tt.columns {
			t.Errorf("displayWidth(%q) = %d, want %d", tt.name, got, tt.columns)
		}
	}
}

func TestStatusAcceptsQuotedName(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(filepath.Join(dir, engineStore), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Define("m", []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(context.Background(), "m", "cafe\u0301", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	eng.Close()

	code, out, errOut := runCLI(t, "status", "--state-dir", dir, `"cafe\u0301"`)
	if code != exitOK {
		t.Fatalf("status of the quoted name exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
