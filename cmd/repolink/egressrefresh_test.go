package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sfnapi"
	"github.com/repolink/repolink/shared/workflow"
)

// egressFileInput returns {"request": R} with R the text of
// examples/egress-ip.json, as a schedule passes it: without the defaults
// of the optional fields.
func egressFileInput(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "egress-ip.json"))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(`{"request": ` + string(data) + `}`)
}

func TestEgressRefreshRequestAsWrittenInFile(t *testing.T) {
	rt, req := openSandbox(t, "egress-ip.json")
	name, _ := provision(t, rt, req)

	refresh := runMachine(t, rt, egressRefreshMachine, name+"-refresh", egressFileInput(t))
	if refresh.Status != engine.StatusSucceeded {
		t.Fatalf("refresh = %s (%s: %s), want SUCCEEDED", refresh.Status, refresh.Error, refresh.Cause)
	}
}

func TestPrepareAPIInputEgressRefresh(t *testing.T) {
	ctx := context.Background()
	got, err := prepareAPIInput(ctx, egressRefreshMachine, egressFileInput(t))
	if err != nil {
		t.Fatalf("prepareAPIInput(egress-refresh) = %v, want the file's request accepted", err)
	}
	var doc struct {
		Request request.Request `json:"request"`
	}
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatalf("decode prepared input %s: %v", got, err)
	}
	if doc.Request.Repository.RuntimeVersion != request.DefaultRuntimeVersion {
		t.Errorf("prepared repository.runtime_version = %q, want the default %q", doc.Request.Repository.RuntimeVersion, request.DefaultRuntimeVersion)
	}
	if doc.Request.Repository.DefaultFor != "none" {
		t.Errorf("prepared repository.default_for = %q, want the default none", doc.Request.Repository.DefaultFor)
	}

	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"other route", exampleInput(t, "public.json", nil), "$.request.route: is public"},
		{"invalid request", exampleInput(t, "egress-ip.json", func(r map[string]any) { delete(r, "id") }), "$.request.id"},
		{"no request", `{"resources": {}}`, "$.request: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := prepareAPIInput(ctx, egressRefreshMachine, json.RawMessage(tt.input))
			var invalid *sfnapi.InvalidInputError
			if !errors.As(err, &invalid) {
				t.Fatalf("prepareAPIInput = %v, want an *sfnapi.InvalidInputError", err)
			}
			if !strings.Contains(invalid.Message, tt.want) {
				t.Errorf("message %q does not contain %q", invalid.Message, tt.want)
			}
		})
	}
}

func TestPrepareAPIInputUnknownMachine(t *testing.T) {
	input := json.RawMessage(`{"anything": 1}`)
	got, err := prepareAPIInput(context.Background(), "other", input)
	if err != nil || string(got) != string(input) {
		t.Errorf("input of machine other = %s, %v; want it unchanged", got, err)
	}
}

// The input of an egress-refresh run has no $.resources, so the advice
// after a failure follows the error, as for a provision run.
func TestEgressRefreshNextAction(t *testing.T) {
	const flags = " --sandbox --state-dir /tmp/state"
	input := egressFileInput(t)
	tests := []struct {
		name      string
		errorName string
		input     []byte
		want      string
		notWant   []string
	}{
		{
			name: "invalid request", errorName: "InvalidRequest", input: input,
			want:    "change the request to fix the cause, then " + workflow.RerunEgressRefresh,
			notWant: []string{"$.resources"},
		},
		{
			name: "invalid request with resources", errorName: "InvalidRequest",
			input:   []byte(strings.Replace(string(input), `{"request"`, `{"resources": {}, "request"`, 1)),
			want:    "change the request to fix the cause, then " + workflow.RerunEgressRefresh,
			notWant: []string{"fix the cause, then run 'repolink redrive"},
		},
		{
			name: "temporary failure", errorName: "Transient", input: input,
			want:    "fix the cause, then run 'repolink redrive" + flags + " eg7'",
			notWant: []string{"$.resources"},
		},
		{
			name: "no request", errorName: "Transient", input: []byte(`{"resources": {}}`),
			want: "has no request at $.request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := engine.Execution{Name: "eg7", Machine: egressRefreshMachine, Status: engine.StatusFailed, Error: tt.errorName, Input: tt.input}
			got := nextAction(x, flags, requestPlaceholder)
			if !strings.Contains(got, tt.want) {
				t.Errorf("nextAction = %q, want it to contain %q", got, tt.want)
			}
			for _, notWant := range tt.notWant {
				if strings.Contains(got, notWant) {
					t.Errorf("nextAction = %q, want no %q", got, notWant)
				}
			}
		})
	}
}

func TestEgressRefreshRedrivable(t *testing.T) {
	x := engine.Execution{Name: "eg7", Machine: egressRefreshMachine, Status: engine.StatusFailed, Error: "Transient", Input: egressFileInput(t)}
	if lacksRequest(x) {
		t.Errorf("lacksRequest = true for an egress-refresh input with a request and no $.resources, want false, so that redrive accepts it")
	}
}

// An execution started through StartExecution on AWS keeps the request as
// written in its file, and it runs the same request as the file does
// through repolink run.
func TestSameRequestInputFileForm(t *testing.T) {
	file := egressFileInput(t)
	var doc workflow.Document
	if err := json.Unmarshal(file, &doc); err != nil {
		t.Fatal(err)
	}
	filled, err := json.Marshal(workflow.Document{Request: doc.Request, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	withResources := []byte(strings.Replace(string(file), `{"request"`, `{"resources": {}, "request"`, 1))
	if !sameRequestInput(withResources, filled) {
		t.Errorf("sameRequestInput(file form, filled form) = false, want true")
	}
}
