package sfnapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// postRaw sends one operation with body as it is and returns the HTTP
// status and the decoded response.
func (f *fixture) postRaw(t *testing.T, op, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s returned %s: %v", op, raw, err)
	}
	return resp.StatusCode, out
}

func TestRequestBodyChecks(t *testing.T) {
	f := newFixture(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo})
	f.startAndWait(t, "m", "done")
	machine := `"stateMachineArn": "` + machineARN("m") + `"`
	tests := []struct {
		name, operation, body string
		wantType, wantMessage string
	}{
		{"invalid UTF-8 name", "StartExecution", `{` + machine + `, "name": "bad` + "\xff\xfe" + `utf"}`,
			"SerializationException", "request body is not valid UTF-8"},
		{"empty name", "StartExecution", `{` + machine + `, "name": ""}`,
			"ValidationException", "name must have at least 1 character"},
		{"member name in upper case", "DescribeExecution", `{"EXECUTIONARN": "` + executionARN("m", "done") + `"}`,
			"ValidationException", "executionArn is missing"},
		{"maxResults too large", "ListExecutions", `{` + machine + `, "maxResults": 99999999999999999999}`,
			"ValidationException", "maxResults must be between 0 and 1000, got 99999999999999999999"},
		{"maxResults huge exponent", "ListExecutions", `{` + machine + `, "maxResults": 1e999999999}`,
			"ValidationException", "maxResults must be between 0 and 1000, got 1e999999999"},
		{"maxResults negative", "ListExecutions", `{` + machine + `, "maxResults": -1}`,
			"ValidationException", "maxResults must be between 0 and 1000, got -1"},
		{"maxResults fraction", "ListExecutions", `{` + machine + `, "maxResults": 1.5}`,
			"SerializationException", "maxResults must be a whole number, got 1.5"},
		{"maxResults string", "ListExecutions", `{` + machine + `, "maxResults": "5"}`,
			"SerializationException", "maxResults must be a whole number, not a JSON string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := f.postRaw(t, tt.operation, tt.body)
			if status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", status)
			}
			if out["__type"] != tt.wantType {
				t.Errorf("__type = %v, want %s", out["__type"], tt.wantType)
			}
			if message, _ := out["message"].(string); !strings.HasPrefix(message, tt.wantMessage) {
				t.Errorf("message = %q, want it to start with %q", message, tt.wantMessage)
			}
		})
	}

	executions, err := f.e.ListMachine(context.Background(), "m", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(executions) != 1 {
		t.Errorf("machine m has %d executions, want only the one started before the rejected requests", len(executions))
	}
}

func TestRequestBodyAccepted(t *testing.T) {
	f := newFixture(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo})
	f.startAndWait(t, "m", "done")
	machine := `"stateMachineArn": "` + machineARN("m") + `"`

	status, out := f.postRaw(t, "ListExecutions", `{`+machine+`, "maxResults": 1e2}`)
	if status != http.StatusOK {
		t.Errorf("ListExecutions with maxResults 1e2 = %d %v, want 200", status, out)
	}

	status, out = f.postRaw(t, "StartExecution", `{`+machine+`}`)
	if status != http.StatusOK {
		t.Fatalf("StartExecution without a name = %d %v, want 200", status, out)
	}
	if arn, _ := out["executionArn"].(string); !strings.HasPrefix(arn, executionARN("m", "")) || arn == executionARN("m", "") {
		t.Errorf("executionArn = %q, want one with a generated name", arn)
	}

	status, out = f.postRaw(t, "StartExecution", `{`+machine+`, "name": "exact", "NAME": "other"}`)
	if status != http.StatusOK {
		t.Fatalf("StartExecution = %d %v, want 200", status, out)
	}
	if arn := out["executionArn"]; arn != executionARN("m", "exact") {
		t.Errorf("executionArn = %v, want %s, named by the member in exact case", arn, executionARN("m", "exact"))
	}
}
