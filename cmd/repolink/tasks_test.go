package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repolink/repolink/functions/registry"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
	"github.com/repolink/repolink/statemachines"
)

// awaitStore opens an engine store in dir whose provision machine is the
// provision definition's AwaitEndpoint state alone, and runs it until the
// test ends. Its await_endpoint task only registers the wait.
func awaitStore(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	var provision struct {
		States map[string]map[string]any
	}
	if err := json.Unmarshal(statemachines.Provision, &provision); err != nil {
		t.Fatal(err)
	}
	state := provision.States["AwaitEndpoint"]
	if state == nil {
		t.Fatal("provision.asl.json has no AwaitEndpoint state")
	}
	delete(state, "Next")
	state["End"] = true
	definition, err := json.Marshal(map[string]any{"StartAt": "AwaitEndpoint", "States": map[string]any{"AwaitEndpoint": state}})
	if err != nil {
		t.Fatal(err)
	}

	eng, err := engine.Open(filepath.Join(dir, engineStore), engine.Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eng.Register("await_endpoint", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{}`), nil
	})
	if err := eng.Define(provisionMachine, definition); err != nil {
		t.Fatal(err)
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

// startAwait starts an execution of awaitStore's machine for a request of
// route and returns its task token.
func startAwait(t *testing.T, eng *engine.Engine, name, route string) string {
	t.Helper()
	input := `{"request": {"id": "` + name + `", "route": "` + route + `"}, "resources": {}}`
	if _, err := eng.Start(context.Background(), provisionMachine, name, json.RawMessage(input)); err != nil {
		t.Fatal(err)
	}
	return pendingToken(t, eng, name)
}

// quotedExample returns the last shell-quoted JSON object in text.
func quotedExample(t *testing.T, text string) string {
	t.Helper()
	matches := regexp.MustCompile(`'(\{[^']*\})'`).FindAllStringSubmatch(text, -1)
	if len(matches) == 0 {
		t.Fatalf("no quoted JSON object in %q", text)
	}
	return matches[len(matches)-1][1]
}

func waitClosed(t *testing.T, eng *engine.Engine, name string) engine.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x, err := eng.Wait(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestSendTaskSuccessChecksAwaitEndpointResult(t *testing.T) {
	dir := t.TempDir()
	eng := awaitStore(t, dir)
	token := startAwait(t, eng, "DATA-1", "aws-privatelink")

	tests := []struct {
		name    string
		output  []string
		wantErr string
	}{
		{name: "no output", wantErr: "--output-json is required"},
		{name: "empty object", output: []string{"--output-json", "{}"},
			wantErr: "--output-json lacks the fields endpoint_state and status, which the await_endpoint (state AwaitEndpoint) task of execution DATA-1 reads"},
		{name: "status only", output: []string{"--output-json", `{"status": "available"}`}, wantErr: "--output-json lacks the field endpoint_state,"},
		{name: "state only", output: []string{"--output-json", `{"endpoint_state": "CREATED"}`}, wantErr: "--output-json lacks the field status,"},
		{name: "not an object", output: []string{"--output-json", `"live"`}, wantErr: "must be a JSON object"},
		{name: "number and array", output: []string{"--output-json", `{"endpoint_state": 123, "status": ["x"]}`},
			wantErr: "--output-json has endpoint_state as a number and status as an array, where the await_endpoint (state AwaitEndpoint) task of execution DATA-1 reads a string"},
		{name: "null status", output: []string{"--output-json", `{"endpoint_state": "CREATED", "status": null}`},
			wantErr: "--output-json has status as null, where"},
		{name: "object state", output: []string{"--output-json", `{"endpoint_state": {}, "status": "Available"}`},
			wantErr: "--output-json has endpoint_state as an object, where"},
		{name: "boolean status", output: []string{"--output-json", `{"endpoint_state": "CREATED", "status": true}`},
			wantErr: "--output-json has status as a boolean, where"},
		{name: "pending status", output: []string{"--output-json", `{"endpoint_state": "CREATED", "status": "Pending"}`},
			wantErr: `--output-json has status "Pending", which must be exactly Available, so it does not report a live endpoint`},
		{name: "pending acceptance", output: []string{"--output-json", `{"endpoint_state": "CREATED", "status": "pendingAcceptance"}`},
			wantErr: `status "pendingAcceptance", which must be exactly Available`},
		{name: "rejected status", output: []string{"--output-json", `{"endpoint_state": "CREATED", "status": "REJECTED"}`},
			wantErr: `status "REJECTED", which must be`},
		{name: "empty status", output: []string{"--output-json", `{"endpoint_state": "CREATED", "status": ""}`},
			wantErr: `status "", which must be`},
		{name: "lower case status", output: []string{"--output-json", `{"endpoint_state": "CREATED", "status": "available"}`},
			wantErr: `status "available", which must be exactly Available`},
		{name: "lower case state", output: []string{"--output-json", `{"endpoint_state": "created", "status": "Available"}`},
			wantErr: `endpoint_state "created", which must be CREATED, so`},
		{name: "status of another cloud", output: []string{"--output-json", `{"endpoint_state": "CREATED", "status": "ACCEPTED"}`},
			wantErr: `status "ACCEPTED", which must be exactly Available`},
		{name: "long status", output: []string{"--output-json", `{"endpoint_state": "CREATED", "status": "` + strings.Repeat("A", 8000) + `"}`},
			wantErr: `status "` + strings.Repeat("A", 64) + `"... (8000 bytes), which must be exactly Available`},
		{name: "endpoint not created", output: []string{"--output-json", `{"endpoint_state": "PENDING_CREATION", "status": "Available"}`},
			wantErr: `--output-json has endpoint_state "PENDING_CREATION", which must be CREATED, so`},
		{name: "both not live", output: []string{"--output-json", `{"endpoint_state": "FAILED", "status": "Failed"}`},
			wantErr: `endpoint_state "FAILED", which must be CREATED, and status "Failed", which must be`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"send-task-success", token, "--state-dir", dir}, tt.output...)
			code, out, errOut := runCLI(t, args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stdout: %s; stderr: %s", code, exitInvalid, out, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
			if example := quotedExample(t, errOut); example != `{"endpoint_state": "CREATED", "status": "Available"}` {
				t.Errorf("example %s, want the poller's report of a live AWS endpoint", example)
			}
		})
	}
	if x, err := eng.Describe(context.Background(), "DATA-1"); err != nil || x.Status != engine.StatusRunning {
		t.Fatalf("after the rejected outputs: %s (%v), want RUNNING", x.Status, err)
	}

	// The example that the error gives must complete the wait.
	_, _, errOut := runCLI(t, "send-task-success", token, "--state-dir", dir, "--output-json", "{}")
	code, out, errOut := runCLI(t, "send-task-success", token, "--state-dir", dir, "--output-json", quotedExample(t, errOut))
	if code != exitOK {
		t.Fatalf("send-task-success with the suggested output: exit %d; stderr: %s", code, errOut)
	}
	if want := "the await_endpoint (state AwaitEndpoint) task of execution DATA-1 succeeded"; !strings.Contains(out, want) {
		t.Errorf("stdout %q does not contain %q", out, want)
	}
	x := waitClosed(t, eng, "DATA-1")
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("execution DATA-1 = %s (%s: %s), want SUCCEEDED", x.Status, x.Error, x.Cause)
	}
	if !strings.Contains(string(x.Output), `"endpoint_live":{"endpoint_state":"CREATED","status":"Available"}`) {
		t.Errorf("output %s lacks the endpoint_live report", x.Output)
	}
}

func TestSendTaskSuccessExamplePerRoute(t *testing.T) {
	dir := t.TempDir()
	eng := awaitStore(t, dir)
	for route, want := range map[string]string{
		"aws-privatelink":   `{"endpoint_state": "CREATED", "status": "Available"}`,
		"azure-privatelink": `{"endpoint_state": "CREATED", "status": "APPROVED"}`,
		"gcp-privatelink":   `{"endpoint_state": "CREATED", "status": "ACCEPTED"}`,
	} {
		token := startAwait(t, eng, route, route)
		for name, output := range map[string][]string{
			"empty object":  {"--output-json", "{}"},
			"array":         {"--output-json", "[]"},
			"string":        {"--output-json", `"live"`},
			"invalid JSON":  {"--output-json", "{not json"},
			"missing value": nil,
		} {
			t.Run(route+"/"+name, func(t *testing.T) {
				args := append([]string{"send-task-success", token, "--state-dir", dir}, output...)
				code, _, errOut := runCLI(t, args...)
				if code != exitInvalid {
					t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
				}
				if got := quotedExample(t, errOut); got != want {
					t.Errorf("example %s, want %s; stderr: %s", got, want, errOut)
				}
				if !strings.Contains(errOut, "execution "+route) {
					t.Errorf("stderr does not name execution %s: %s", route, errOut)
				}
			})
		}
	}
}

// TestSendTaskSuccessSuggestionsComplete checks that the outputs that help
// and error messages suggest, without knowing the token, complete the
// AwaitEndpoint task.
func TestSendTaskSuccessSuggestionsComplete(t *testing.T) {
	_, _, help := runCLI(t, "send-task-success", "--help")
	_, _, invalid := runCLI(t, "send-task-success", "T1", "--output-json", "{not json")
	_, _, missing := runCLI(t, "send-task-success", "T1")
	for name, text := range map[string]string{"help": help, "invalid output": invalid, "missing output": missing} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			eng := awaitStore(t, dir)
			token := startAwait(t, eng, "DATA-1", "aws-privatelink")
			code, _, errOut := runCLI(t, "send-task-success", token, "--state-dir", dir, "--output-json", quotedExample(t, text))
			if code != exitOK {
				t.Fatalf("exit %d, want 0; stderr: %s", code, errOut)
			}
			if x := waitClosed(t, eng, "DATA-1"); x.Status != engine.StatusSucceeded {
				t.Errorf("execution DATA-1 = %s (%s: %s), want SUCCEEDED", x.Status, x.Error, x.Cause)
			}
		})
	}
}

// heartbeatMachine waits for a task token with a heartbeat timeout.
const heartbeatMachine = `{
  "StartAt": "Wait",
  "States": {
    "Wait": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {"FunctionName": "${waiter}", "Payload": {"token.$": "$$.Task.Token"}},
      "TimeoutSeconds": 3600,
      "HeartbeatSeconds": 600,
      "End": true
    }
  }
}`

func TestSendTaskHeartbeatOutput(t *testing.T) {
	dir := t.TempDir()
	eng := testStore(t, dir, map[string]engine.TaskFunc{
		"waiter": func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil },
	})
	if err := eng.Define("beating", []byte(heartbeatMachine)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := eng.Start(ctx, "beating", "beat", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, "tokens", "still", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		execution string
		want      string
	}{
		{"beat", "heartbeat recorded: the heartbeat timeout of the Wait task of execution beat (600 seconds) starts again; " +
			"the task still waits for send-task-success or send-task-failure\n"},
		{"still", "heartbeat recorded, but the Wait task of execution still has no heartbeat timeout, so the heartbeat changes nothing; " +
			"the task still waits for send-task-success or send-task-failure\n"},
	}
	for _, tt := range tests {
		t.Run(tt.execution, func(t *testing.T) {
			code, out, errOut := runCLI(t, "send-task-heartbeat", pendingToken(t, eng, tt.execution), "--state-dir", dir)
			if code != exitOK {
				t.Fatalf("exit %d, want 0; stderr: %s", code, errOut)
			}
			if out != tt.want {
				t.Errorf("stdout %q, want %q", out, tt.want)
			}
			if strings.Contains(out, "continues") {
				t.Errorf("stdout %q says that the execution continues", out)
			}
			x, err := eng.Describe(ctx, tt.execution)
			if err != nil || x.Status != engine.StatusRunning {
				t.Errorf("execution %s after the heartbeat = %s (%v), want RUNNING", tt.execution, x.Status, err)
			}
		})
	}
}

// TestAwaitEndpointWrongTypeWaitsAgain completes the AwaitEndpoint task
// of a provision execution with a report whose fields are not strings, as
// SendTaskSuccess of the Step Functions API can. The run must register a
// new wait without the secret step seeing the report, so that the poller's
// report, sent with send-task-success, then completes it.
func TestAwaitEndpointWrongTypeWaitsAgain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	eng := provisionStore(t, dir)

	var secretCalls atomic.Int32
	var secretErr atomic.Value
	for _, step := range registry.ProvisionSteps {
		name := step.Name
		eng.Register(name, func(_ context.Context, input json.RawMessage) (json.RawMessage, error) {
			switch name {
			case "await_endpoint":
				return json.RawMessage(`{}`), nil
			case "secret":
				secretCalls.Add(1)
				var doc workflow.Document
				if err := json.Unmarshal(input, &doc); err != nil {
					secretErr.Store(err.Error())
					return nil, workflow.Errorf(workflow.ErrInvalidRequest, "decode task input: %v", err)
				}
			}
			return json.Marshal(workflow.Result{Action: workflow.Created, ID: name + "-id"})
		})
	}
	runDone := make(chan error, 1)
	go func() { runDone <- eng.Run(ctx) }()
	defer func() {
		cancel()
		<-runDone
	}()

	req, err := readRequest(filepath.Join("..", "..", "examples", "aws-privatelink.json"))
	if err != nil {
		t.Fatal(err)
	}
	req.ID = "AW-1"
	name, err := startExecution(ctx, eng, req)
	if err != nil {
		t.Fatal(err)
	}
	first := pendingToken(t, eng, name)
	if err := eng.SendTaskSuccess(ctx, first, json.RawMessage(`{"endpoint_state":123,"status":["x"]}`)); err != nil {
		t.Fatalf("send task success: %v", err)
	}
	var second string
	waitFor(t, "a new task token after the report that is not live", func() bool {
		second = pendingToken(t, eng, name)
		return second != first
	})
	if n := secretCalls.Load(); n != 0 {
		t.Errorf("secret step ran %d times after the report that is not live, want 0", n)
	}
	if x, err := eng.Describe(ctx, name); err != nil || x.Status != engine.StatusRunning {
		t.Fatalf("after the report that is not live: %s (%v), want RUNNING", x.Status, err)
	}
	live := `{"endpoint_state": "CREATED", "status": "Available"}`
	if code, _, errOut := runCLI(t, "send-task-success", second, "--state-dir", dir, "--output-json", live); code != exitOK {
		t.Fatalf("send-task-success on the new wait: exit %d; stderr: %s", code, errOut)
	}
	x := waitClosed(t, eng, name)
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("status after the live report %s (%s: %s), want SUCCEEDED", x.Status, x.Error, x.Cause)
	}
	if n := secretCalls.Load(); n != 1 {
		t.Errorf("secret step ran %d times, want 1", n)
	}
	if msg, ok := secretErr.Load().(string); ok {
		t.Errorf("secret step could not decode its input: %s", msg)
	}
}

func TestTaskOutcomeNamesFollowingProcess(t *testing.T) {
	provision := waitingTask{execution: "DATA-4711", machine: provisionMachine, state: "AwaitEndpoint"}
	teardown := waitingTask{execution: "DATA-4711-teardown", machine: teardownMachine, state: "AwaitEndpoint"}
	for _, op := range []string{"send-task-success", "send-task-failure"} {
		t.Run(op, func(t *testing.T) {
			if got := taskOutcome(op, provision, true, runnerUp, "", "", ""); !strings.HasSuffix(got, "; repolink up, which serves this state directory, applies the result and continues the execution") {
				t.Errorf("outcome with repolink up serving = %q, want it to name repolink up", got)
			}
			if got := taskOutcome(op, provision, true, runnerProcess, "", "", ""); !strings.Contains(got, "process that runs this state directory's engine applies the result") {
				t.Errorf("outcome with a run process = %q, want it to name that process", got)
			}

			queued := taskOutcome(op, provision, true, runnerNone, "", " --sandbox", "")
			for _, want := range []string{
				"nothing runs the execution now, so the result is queued",
				"run 'repolink run --sandbox FILE' with the request file that started it",
				"start 'repolink up --sandbox' on this state directory",
			} {
				if !strings.Contains(queued, want) {
					t.Errorf("outcome without a process = %q, want it to contain %q", queued, want)
				}
			}
			for _, unwant := range []string{"redrive", "continues it at once"} {
				if strings.Contains(queued, unwant) {
					t.Errorf("outcome without a process = %q, want no %q", queued, unwant)
				}
			}

			// Only repolink up resumes an open teardown that nothing runs.
			if got := taskOutcome(op, teardown, true, runnerNone, "", "", ""); strings.Contains(got, "repolink run") {
				t.Errorf("teardown outcome without a process = %q, want no repolink run", got)
			}
		})
	}
}

// TestQueuedAdviceNamesUpFlags checks that the advice for a queued result
// starts repolink up with the flags and environment that the execution's
// request needs, as the other resume advice does.
func TestQueuedAdviceNamesUpFlags(t *testing.T) {
	input, err := json.Marshal(workflow.Document{Request: request.Request{
		ID:         "DATA-4711",
		Snowflake:  request.Snowflake{PrivateKeyRef: "env:SNOWFLAKE_KEY"},
		Repository: request.Repository{Auth: request.Auth{Type: "password", PasswordRef: "env:INDEX_PASSWORD"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	provision := waitingTask{execution: "DATA-4711", machine: provisionMachine, state: "AwaitEndpoint", input: input}
	wantUp := "start 'repolink up --sandbox --allow-local-refs env:SNOWFLAKE_KEY,env:INDEX_PASSWORD' on this state directory with " +
		envWebhookSecret + " set"
	for _, op := range []string{"send-task-success", "send-task-failure"} {
		if got := taskOutcome(op, provision, true, runnerNone, "", " --sandbox", ""); !strings.Contains(got, wantUp) {
			t.Errorf("%s outcome = %q, want it to contain %q", op, got, wantUp)
		}
	}
	if msg := usedTokenError(provision, true, runnerNone, "", " --sandbox", "").Error(); !strings.Contains(msg, wantUp) {
		t.Errorf("used token message = %q, want it to contain %q", msg, wantUp)
	}

	teardown := waitingTask{execution: "DATA-4711-teardown", machine: teardownMachine, state: "AwaitEndpoint", input: input}
	got := taskOutcome("send-task-success", teardown, true, runnerNone, "DATA-4711", " --sandbox", "")
	if !strings.Contains(got, "run 'repolink teardown --sandbox DATA-4711', which resumes it") {
		t.Errorf("teardown outcome = %q, want the teardown command that resumes it", got)
	}
	if !strings.Contains(got, "--allow-local-refs env:SNOWFLAKE_KEY'") {
		t.Errorf("teardown outcome = %q, want up with the Snowflake credential reference only", got)
	}
}

// TestSendTaskSuccessQueuedWithoutRunner sends a task result while no Run
// loop runs the execution, and checks that status shows the result as
// queued, that a second send names it, and that the next Run applies it.
func TestSendTaskSuccessQueuedWithoutRunner(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(filepath.Join(dir, engineStore), engine.Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	eng.Register("waiter", func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil })
	if err := eng.Define("tokens", []byte(tokenMachine)); err != nil {
		t.Fatal(err)
	}
	runEngine := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = eng.Run(ctx)
		}()
		return func() { cancel(); <-done }
	}

	// Run the execution up to its waiting task, then stop the Run loop,
	// as a stopped repolink up leaves it.
	stopEngine := runEngine()
	if _, err := eng.Start(context.Background(), "tokens", "queued", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	token := pendingToken(t, eng, "queued")
	stopEngine()

	output := `{"status": "available"}`
	code, out, errOut := runCLI(t, "send-task-success", "--state-dir", dir, token, "--output-json", output)
	if code != exitOK {
		t.Fatalf("send-task-success exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// Redrive rejects an open execution, so only repolink up applies the
	// result of this execution, which is neither provision nor teardown.
	checkQueuedAdvice(t, "send-task-success", out)

	code, out, errOut = runCLI(t, "status", "--state-dir", dir, "queued")
	if code != exitOK {
		t.Fatalf("status exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "queued:        a success result for ") || !strings.Contains(out, "sent with send-task-success") {
		t.Errorf("status does not show the queued result:\n%s", out)
	}
	checkQueuedAdvice(t, "status", out)
	code, out, _ = runCLI(t, "status", "--state-dir", dir, "--output", "json", "queued")
	var view struct {
		Queued string `json:"queued"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &view) != nil {
		t.Fatalf("status --output json exit %d:\n%s", code, out)
	}
	if !strings.Contains(view.Queued, "a success result for ") {
		t.Errorf("status --output json queued = %q, want the queued result", view.Queued)
	}

	code, _, errOut = runCLI(t, "send-task-success", "--state-dir", dir, token, "--output-json", output)
	if code != exitInvalid {
		t.Fatalf("second send-task-success exit %d, want %d\nstderr:\n%s", code, exitInvalid, errOut)
	}
	if !strings.Contains(errOut, "this task token was already used: a result for it was sent and is queued, but nothing runs the execution now") {
		t.Errorf("second send-task-success does not say that the token was used and nothing runs the execution:\n%s", errOut)
	}
	checkQueuedAdvice(t, "second send-task-success", errOut)

	// The next Run loop applies the queued result.
	stopEngine = runEngine()
	defer stopEngine()
	x := waitClosed(t, eng, "queued")
	if x.Status != engine.StatusSucceeded || !strings.Contains(string(x.Output), "available") {
		t.Errorf("execution queued = %s with output %s, want SUCCEEDED with the sent output", x.Status, x.Output)
	}
	if _, out, _ := runCLI(t, "status", "--state-dir", dir, "queued"); strings.Contains(out, "queued:  ") {
		t.Errorf("status shows a queued result after the execution closed:\n%s", out)
	}
}

// checkQueuedAdvice checks that the output of command names repolink up as
// what applies a queued result, and not a redrive, in a sentence of its own.
func checkQueuedAdvice(t *testing.T, command, out string) {
	t.Helper()
	if !strings.Contains(out, "To apply it, start 'repolink up") {
		t.Errorf("%s does not name repolink up as what applies the queued result:\n%s", command, out)
	}
	if !strings.Contains(out, ". The engine applies a queued result") {
		t.Errorf("%s does not start the advice on the queued result as a sentence:\n%s", command, out)
	}
	if strings.Contains(out, "redrive") {
		t.Errorf("%s names redrive, which rejects an open execution:\n%s", command, out)
	}
}

// TestUsedTokenNamesRunner checks that a second send of a token reports
// that the token was used and names what applies its result, and suggests
// starting a process only when none runs the execution.
func TestUsedTokenNamesRunner(t *testing.T) {
	task := waitingTask{execution: "DATA-4711", machine: provisionMachine, state: "AwaitEndpoint"}
	tests := []struct {
		name    string
		runner  taskRunner
		applies string
	}{
		{"up", runnerUp, "and repolink up, which serves this state directory, applies it"},
		{"run process", runnerProcess, "process that runs this state directory's engine applies it"},
		{"none", runnerNone, "but nothing runs the execution now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := usedTokenError(task, true, tt.runner, "", " --sandbox", "").Error()
			if !strings.Contains(msg, "this task token was already used") {
				t.Errorf("message %q does not say that the token was used", msg)
			}
			if !strings.Contains(msg, tt.applies) {
				t.Errorf("message %q does not contain %q", msg, tt.applies)
			}
			suggestsStart := strings.Contains(msg, "start 'repolink up")
			if suggestsStart != (tt.runner == runnerNone) {
				t.Errorf("message %q: suggests starting repolink up = %v, want %v", msg, suggestsStart, tt.runner == runnerNone)
			}
			if !strings.Contains(msg, "'repolink status DATA-4711' shows it") {
				t.Errorf("message %q does not name the status command", msg)
			}
		})
	}
}
