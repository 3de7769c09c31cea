package sfnapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/repolink/repolink/shared/engine"
)

// post sends one operation with a JSON body and returns the HTTP status
// and the decoded response body.
func (f *fixture) post(t *testing.T, op string, body any) (int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return f.postRaw(t, op, string(raw))
}

// startAndWait starts an execution of machine and waits for it to close.
func (f *fixture) startAndWait(t *testing.T, machine, name string) {
	t.Helper()
	if _, err := f.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineARN(machine)), Name: aws.String(name)}); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	f.wait(t, name)
}

func TestListExecutionsPagesStable(t *testing.T) {
	f := newFixture(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo})
	for _, name := range []string{"a", "b", "c"} {
		f.startAndWait(t, "m", name)
	}
	ctx := context.Background()
	first, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(machineARN("m")), MaxResults: 2})
	if err != nil {
		t.Fatal(err)
	}
	if first.NextToken == nil {
		t.Fatal("first page of 2 of 3 executions has no nextToken")
	}
	// An execution that starts between the pages is newer than the
	// listed ones, so it must not shift them onto the next page.
	f.startAndWait(t, "m", "d")
	second, err := f.client.ListExecutions(ctx, &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(machineARN("m")), MaxResults: 2, NextToken: first.NextToken})
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, item := range append(first.Executions, second.Executions...) {
		names = append(names, aws.ToString(item.Name))
	}
	if got, want := strings.Join(names, ","), "c,b,a"; got != want {
		t.Errorf("listed %s, want %s", got, want)
	}
	if second.NextToken != nil {
		t.Errorf("second page has nextToken %q, want none", aws.ToString(second.NextToken))
	}
}

func TestPageTokenBinding(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	f := newFixtureWith(t, map[string]string{"m": echoMachine, "other": echoMachine},
		map[string]engine.TaskFunc{"echo": echo}, Options{Now: clock})
	for _, name := range []string{"a", "b"} {
		f.startAndWait(t, "m", name)
	}
	f.startAndWait(t, "other", "c")
	f.startAndWait(t, "other", "d")

	list := func(machine, status, token string) map[string]any {
		body := map[string]any{"stateMachineArn": machineARN(machine), "maxResults": 1}
		if status != "" {
			body["statusFilter"] = status
		}
		if token != "" {
			body["nextToken"] = token
		}
		return body
	}
	history := func(name string, reverse bool, token string) map[string]any {
		body := map[string]any{"executionArn": executionARN("m", name), "maxResults": 1, "reverseOrder": reverse}
		if token != "" {
			body["nextToken"] = token
		}
		return body
	}
	status, out := f.post(t, "ListExecutions", list("m", "", ""))
	listToken, _ := out["nextToken"].(string)
	if status != http.StatusOK || listToken == "" {
		t.Fatalf("ListExecutions = %d %v, want 200 with a nextToken", status, out)
	}
	status, out = f.post(t, "GetExecutionHistory", history("a", false, ""))
	historyToken, _ := out["nextToken"].(string)
	if status != http.StatusOK || historyToken == "" {
		t.Fatalf("GetExecutionHistory = %d %v, want 200 with a nextToken", status, out)
	}
	if status, out := f.post(t, "ListExecutions", list("m", "", listToken)); status != http.StatusOK {
		t.Fatalf("ListExecutions with its own token = %d %v, want 200", status, out)
	}
	tampered := []byte(listToken)
	tampered[0] ^= 1

	tests := []struct {
		name string
		op   string
		body map[string]any
	}{
		{"forged offset", "ListExecutions", list("m", "", "MQ")},
		{"changed token", "ListExecutions", list("m", "", string(tampered))},
		{"other machine", "ListExecutions", list("other", "", listToken)},
		{"other status filter", "ListExecutions", list("m", "SUCCEEDED", listToken)},
		{"list token for history", "GetExecutionHistory", history("a", false, listToken)},
		{"history token for list", "ListExecutions", list("m", "", historyToken)},
		{"other execution", "GetExecutionHistory", history("b", false, historyToken)},
		{"other order", "GetExecutionHistory", history("a", true, historyToken)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := f.post(t, tt.op, tt.body)
			if status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", status)
			}
			if out["__type"] != "InvalidToken" {
				t.Errorf("__type = %v (%v), want InvalidToken", out["__type"], out["message"])
			}
		})
	}

	t.Run("too long", func(t *testing.T) {
		status, out := f.post(t, "ListExecutions", list("m", "", strings.Repeat("A", maxTokenChars+1)))
		if status != http.StatusBadRequest || out["__type"] != "ValidationException" {
			t.Errorf("response = %d %v, want 400 ValidationException", status, out)
		}
	})
	t.Run("expired", func(t *testing.T) {
		mu.Lock()
		now = now.Add(tokenLifetime + time.Minute)
		mu.Unlock()
		status, out := f.post(t, "ListExecutions", list("m", "", listToken))
		if status != http.StatusBadRequest || out["__type"] != "InvalidToken" {
			t.Errorf("response = %d %v, want 400 InvalidToken", status, out)
		}
	})
}
