package execview

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCauseStep(t *testing.T) {
	tests := []struct {
		cause    string
		wantStep string
		wantRest string
		wantOK   bool
	}{
		{"proxy_vm: quota exceeded", "proxy_vm", "quota exceeded", true},
		{"stopped by an operator", "", "stopped by an operator", false},
		{"the run failed: timeout", "", "the run failed: timeout", false},
		{": no step", "", ": no step", false},
		{"States.Base64Encode: argument 1: path $.endpoint_state: no results", "", "States.Base64Encode: argument 1: path $.endpoint_state: no results", false},
		{"States.Runtime: path $.status: no results", "", "States.Runtime: path $.status: no results", false},
		{"Lambda.Unknown: exit", "", "Lambda.Unknown: exit", false},
		{"teardown_proxy_vm2: gone", "teardown_proxy_vm2", "gone", true},
	}
	for _, tt := range tests {
		step, rest, ok := CauseStep(tt.cause)
		if step != tt.wantStep {
			t.Errorf("CauseStep(%q) step = %q, want %q", tt.cause, step, tt.wantStep)
		}
		if rest != tt.wantRest {
			t.Errorf("CauseStep(%q) rest = %q, want %q", tt.cause, rest, tt.wantRest)
		}
		if ok != tt.wantOK {
			t.Errorf("CauseStep(%q) ok = %v, want %v", tt.cause, ok, tt.wantOK)
		}
	}
}

func TestTaskStates(t *testing.T) {
	definition := []byte(`{"States": {
		"ProxyVM": {"Type": "Task", "Resource": "${proxy_vm}", "ResultPath": "$.resources.proxy_vm"},
		"Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "${target_group}"}},
		"Done": {"Type": "Succeed"}}}`)
	got := TaskStates(definition)
	if len(got) != 2 {
		t.Fatalf("TaskStates returned %d states, want 2: %v", len(got), got)
	}
	if want := (TaskState{Task: "proxy_vm", Result: "proxy_vm"}); got["ProxyVM"] != want {
		t.Errorf("ProxyVM = %+v, want %+v", got["ProxyVM"], want)
	}
	if got["Invoke"].Task != "target_group" {
		t.Errorf("Invoke task = %q, want target_group", got["Invoke"].Task)
	}
	if len(TaskStates([]byte("not json"))) != 0 {
		t.Errorf("TaskStates of invalid JSON is not empty")
	}
}

func TestProvisionStep(t *testing.T) {
	if step, ok := ProvisionStep("ProxyVM"); !ok || step != "proxy_vm" {
		t.Errorf("ProvisionStep(ProxyVM) = %q, %v, want proxy_vm, true", step, ok)
	}
	if step, ok := ProvisionStep("NoSuchState"); ok || step != "" {
		t.Errorf("ProvisionStep(NoSuchState) = %q, %v, want empty, false", step, ok)
	}
}

func TestStepOfEachMachine(t *testing.T) {
	cases := []struct {
		machine, state, want string
		ok                   bool
	}{
		{"provision", "ProxyVM", "proxy_vm", true},
		{"teardown", "TeardownGCPHealthCheck", "teardown_gcp_health_check", true},
		{"teardown", "ProxyVM", "", false},
		{"provision", "TeardownProxyVM", "", false},
		{"other", "ProxyVM", "", false},
	}
	for _, c := range cases {
		step, ok := Step(c.machine, c.state)
		if step != c.want {
			t.Errorf("Step(%s, %s) = %q, want %q", c.machine, c.state, step, c.want)
		}
		if ok != c.ok {
			t.Errorf("Step(%s, %s) ok = %v, want %v", c.machine, c.state, ok, c.ok)
		}
	}
}

func TestStoppedStep(t *testing.T) {
	cases := []struct {
		name, machine, state, cause string
		wantStep, wantRest          string
	}{
		{"cause names step", "provision", "Secret", "proxy_vm: quota exceeded", "proxy_vm", "quota exceeded"},
		{"stopped in task", "provision", "ProxyVM", "", "proxy_vm", ""},
		{"timed out in task", "provision", "AwaitEndpoint", "execution timed out", "await_endpoint", "execution timed out"},
		{"teardown task", "teardown", "TeardownProxyVM", "maintenance window", "teardown_proxy_vm", "maintenance window"},
		{"not a task", "provision", "Route", "stopped", "", "stopped"},
		{"intrinsic failed in task", "provision", "AwaitEndpoint", "States.Base64Encode: argument 1: path $.endpoint_state: no results", "await_endpoint", "States.Base64Encode: argument 1: path $.endpoint_state: no results"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			step, rest := StoppedStep(c.machine, c.state, c.cause)
			if step != c.wantStep {
				t.Errorf("step = %q, want %q", step, c.wantStep)
			}
			if rest != c.wantRest {
				t.Errorf("rest = %q, want %q", rest, c.wantRest)
			}
		})
	}
}

func TestNewEventDetails(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("east", 3600))
	for _, empty := range []string{"", "{}", "null"} {
		if v := NewEvent(1, "TaskStateEntered", at, json.RawMessage(empty)); v.Details != nil {
			t.Errorf("details %q kept as %s", empty, v.Details)
		}
	}
	v := NewEvent(1, "TaskStateEntered", at, json.RawMessage(`{"name":"ProxyVM"}`))
	if string(v.Details) != `{"name":"ProxyVM"}` {
		t.Errorf("Details = %s", v.Details)
	}
	if v.Timestamp.Location() != time.UTC || !v.Timestamp.Equal(at) {
		t.Errorf("Timestamp = %v, want %v in UTC", v.Timestamp, at)
	}
}

func TestResourcesAndStopTime(t *testing.T) {
	if got := Resources(json.RawMessage(`{"resources":{"a":1}}`)); string(got) != `{"a":1}` {
		t.Errorf("Resources = %s", got)
	}
	if got := Resources(json.RawMessage(`{"resources":null}`)); got != nil {
		t.Errorf("Resources of null = %s, want nil", got)
	}
	if StopTime(time.Time{}) != nil {
		t.Errorf("StopTime of the zero time is not nil")
	}
}

func TestLastResourcesNewestOutput(t *testing.T) {
	details := []json.RawMessage{
		json.RawMessage(`{"output":{"resources":{"vpc":"old"}}}`),
		json.RawMessage(`{"output":{"resources":{"vpc":"new"}}}`),
		json.RawMessage(`{"error":"States.TaskFailed"}`),
		json.RawMessage(`not json`),
	}
	if got := string(LastResources(details)); got != `{"vpc":"new"}` {
		t.Errorf("LastResources = %s, want the newest output's resources", got)
	}
	if got := LastResources(details[2:]); got != nil {
		t.Errorf("LastResources without outputs = %s, want nil", got)
	}
}

func TestTimestampsInMilliseconds(t *testing.T) {
	east := time.FixedZone("east", 3600)
	started := time.Date(2026, 12, 5, 19, 31, 36, 977821153, east)
	stopped := time.Date(2026, 12, 5, 19, 32, 0, 0, east)
	view := Execution{Name: "DATA-4711", Status: "SUCCEEDED", StartedAt: At(started), StoppedAt: StopTime(stopped)}
	event := NewEvent(1, "ExecutionStarted", started, nil)

	encoded, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"started_at":"2026-12-05T18:31:36.977Z"`, `"stopped_at":"2026-12-05T18:32:00.000Z"`} {
		if !strings.Contains(string(encoded), want) {
			t.Errorf("execution JSON %s lacks %s", encoded, want)
		}
	}
	encodedEvent, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"timestamp":"2026-12-05T18:31:36.977Z"`; !strings.Contains(string(encodedEvent), want) {
		t.Errorf("event JSON %s lacks %s", encodedEvent, want)
	}

	var decoded Execution
	if err := json.Unmarshal(encoded, &decoded); err != nil {
		t.Fatalf("read execution JSON %s: %v", encoded, err)
	}
	if want := started.Truncate(time.Millisecond); !decoded.StartedAt.Equal(want) {
		t.Errorf("decoded started_at = %v, want %v", decoded.StartedAt, want)
	}
	if decoded.StoppedAt == nil || !decoded.StoppedAt.Equal(stopped) {
		t.Errorf("decoded stopped_at = %v, want %v", decoded.StoppedAt, stopped)
	}
}

func TestOrderObjectKeys(t *testing.T) {
	raw := json.RawMessage(`{"b": {"x": [1, 2]}, "a": "A", "c": null, "d": 4}`)
	ordered := OrderObject(raw, []string{"d", "missing", "b"})
	if got, want := ObjectKeys(ordered), []string{"d", "b", "a", "c"}; !slices.Equal(got, want) {
		t.Errorf("keys = %v, want %v", got, want)
	}
	var before, after map[string]any
	if err := json.Unmarshal(raw, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ordered, &after); err != nil {
		t.Fatalf("ordered object is not JSON: %v\n%s", err, ordered)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("ordering changed the members: %v, want %v", after, before)
	}
}

func TestOrderObjectNotObject(t *testing.T) {
	for _, raw := range []string{`[1, 2]`, `"text"`, `null`, `{`} {
		if got := OrderObject(json.RawMessage(raw), []string{"a"}); string(got) != raw {
			t.Errorf("OrderObject(%s) = %s, want it unchanged", raw, got)
		}
		if keys := ObjectKeys(json.RawMessage(raw)); keys != nil {
			t.Errorf("ObjectKeys(%s) = %v, want nil", raw, keys)
		}
	}
}

func TestResourceOrderFollowsEnteredStates(t *testing.T) {
	// The keys come in the order of the states, which differs from their
	// alphabetical order, once each. A state that is not a Task state is
	// skipped.
	entered := []string{"Preflight", "ProxyVM", "TargetGroup", "AwaitEndpoint", "NoSuchState", "AwaitEndpoint", "Secret"}
	keys := ResourceOrder(Provision, "aws-privatelink", entered)
	if want := []string{"preflight", "proxy_vm", "target_group", "endpoint_live", "secret"}; !slices.Equal(keys, want) {
		t.Errorf("ResourceOrder = %v, want %v", keys, want)
	}
}
