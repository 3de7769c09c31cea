package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/engine"
)

func TestStopCommand(t *testing.T) {
	dir := t.TempDir()
	eng := testStore(t, dir, map[string]engine.TaskFunc{
		"waiter": func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil },
	})
	// The test's engine plays the part of repolink up, which holds the lock
	// and runs the executions.
	lock, err := lockStateDir(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	ctx := context.Background()
	for _, name := range []string{"waiting", "json"} {
		if _, err := eng.Start(ctx, "tokens", name, json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	token := pendingToken(t, eng, "waiting")
	pendingToken(t, eng, "json")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "no name", args: []string{"stop", "--state-dir", dir}, wantCode: exitInvalid, wantErr: "one execution name"},
		{name: "unknown", args: []string{"stop", "--state-dir", dir, "nobody"}, wantCode: exitInvalid, wantErr: "no execution named nobody"},
		{name: "no store", args: []string{"stop", "--state-dir", t.TempDir(), "waiting"}, wantCode: exitInvalid, wantErr: "has no executions"},
		{name: "invalid output", args: []string{"stop", "--state-dir", dir, "--output", "yaml", "waiting"}, wantCode: exitInvalid,
			wantErr: "--output must be text or json"},
		{name: "long error", args: []string{"stop", "--state-dir", dir, "--error", strings.Repeat("E", 257), "waiting"}, wantCode: exitInvalid,
			wantErr: "--error has 257 characters, more than the limit of 256"},
		{name: "running", args: []string{"stop", "waiting", "--state-dir", dir, "--error", "OperatorStopped", "--cause", "stopped by hand"},
			wantCode: exitOK, wantOut: "execution waiting stopped: status ABORTED in Wait\nnext: run 'repolink redrive --state-dir " + dir + " waiting'"},
		{name: "already closed", args: []string{"stop", "--state-dir", dir, "waiting"}, wantCode: exitInvalid,
			wantErr: "already closed with status ABORTED"},
		{name: "help", args: []string{"stop", "--help"}, wantCode: exitOK, wantErr: "Usage: repolink stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
		})
	}

	x, err := eng.Describe(ctx, "waiting")
	if err != nil {
		t.Fatal(err)
	}
	got := []string{x.Status, x.Error, x.Cause}
	if diff := cmp.Diff([]string{engine.StatusAborted, "OperatorStopped", "stopped by hand"}, got); diff != "" {
		t.Errorf("stopped execution status, error, cause (-want +got):\n%s", diff)
	}
	if code, _, _ := runCLI(t, "send-task-success", "--state-dir", dir, "--output-json", "{}", token); code != exitInvalid {
		t.Errorf("send-task-success to the stopped execution's task exit %d, want %d", code, exitInvalid)
	}

	code, out, errOut := runCLI(t, "stop", "--state-dir", dir, "--output", "json", "json")
	if code != exitOK {
		t.Fatalf("stop --output json exit %d: %s", code, errOut)
	}
	var v executionView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("output is not an execution: %v\n%s", err, out)
	}
	if v.Name != "json" || v.Status != engine.StatusAborted {
		t.Errorf("stop --output json = %s %s, want json ABORTED", v.Name, v.Status)
	}

	// stop --output json has the next field of status --output json.
	var stopped, status statusView
	if err := json.Unmarshal([]byte(out), &stopped); err != nil {
		t.Fatalf("stop output is not a status view: %v\n%s", err, out)
	}
	code, out, errOut = runCLI(t, "status", "--state-dir", dir, "--output", "json", "json")
	if code != exitOK {
		t.Fatalf("status --output json exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &status); err != nil {
		t.Fatalf("status output is not a status view: %v\n%s", err, out)
	}
	if !strings.Contains(stopped.Next, "repolink redrive") {
		t.Errorf("stop --output json next = %q, want the redrive command", stopped.Next)
	}
	if stopped.Next != status.Next {
		t.Errorf("stop --output json next = %q, status --output json next = %q, want the same", stopped.Next, status.Next)
	}
}

func TestPrintStoppedNext(t *testing.T) {
	tests := []struct {
		name   string
		exec   engine.Execution
		want   []string
		unwant []string
	}{
		{
			name: "provision",
			exec: engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusAborted, CurrentState: "ProxyVM",
				Input: json.RawMessage(withRequest)},
			want: []string{
				"execution DATA-1 stopped: status ABORTED in proxy_vm (state ProxyVM)\n",
				"next: run 'repolink redrive --sandbox DATA-1' to resume from the step it stopped in with the same request",
				"or change the request, then run 'repolink run --sandbox REQUEST' with the changed request file, " +
					"or run 'repolink teardown --sandbox DATA-1' to remove what it built\n",
			},
		},
		{
			name: "stopped as invalid",
			exec: engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusAborted, Error: "InvalidRequest",
				CurrentState: "Preflight", Input: json.RawMessage(withRequest)},
			want: []string{
				"next: change the request to fix the cause, then run 'repolink run --sandbox REQUEST' with the changed request file",
				", or run 'repolink teardown --sandbox DATA-1' to remove what it built\n",
			},
		},
		{
			name: "teardown",
			exec: engine.Execution{Name: "DATA-1-teardown", Machine: teardownMachine, Status: engine.StatusAborted, CurrentState: "TeardownProxyVM",
				Input: json.RawMessage(withRequest)},
			want:   []string{"next: run 'repolink redrive --sandbox DATA-1-teardown' to resume from the step it stopped in\n"},
			unwant: []string{"repolink run", "repolink teardown"},
		},
		{
			name: "input without request",
			exec: engine.Execution{Name: "DATA-1", Machine: provisionMachine, Status: engine.StatusAborted, CurrentState: "Preflight",
				Input: json.RawMessage(`{"resources": {}}`)},
			want:   []string{"next: the execution's input has no request at $.request", "write a valid request file, then run 'repolink run --sandbox REQUEST'"},
			unwant: []string{"then run 'repolink redrive", "repolink teardown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			printStopped(&out, tt.exec, newView(tt.exec), nextAction(tt.exec, " --sandbox", requestPlaceholder))
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
