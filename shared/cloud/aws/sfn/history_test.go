package sfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud/aws/sfn"
)

func sameTime(a, b time.Time) bool { return a.Equal(b) }

func TestListExecutions(t *testing.T) {
	srv, client := newServer(t, map[string]reply{
		"ListExecutions": {body: `{"executions":[
			{"executionArn":"` + executionARN + `","name":"DATA-4711","stateMachineArn":"` + machineARN + `",
			 "status":"FAILED","startDate":1740830400,"stopDate":1740834000,"redriveCount":2},
			{"executionArn":"` + executionARN + `-2","name":"DATA-4712","stateMachineArn":"` + machineARN + `",
			 "status":"RUNNING","startDate":1740830500}],
			"nextToken":"page-2"}`},
	})

	got, next, err := client.ListExecutions(context.Background(), machineARN, sfn.ListOptions{Status: "FAILED", MaxResults: 50, NextToken: "page-1"})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	want := []sfn.ExecutionSummary{
		{
			ARN: executionARN, Name: "DATA-4711", StateMachineARN: machineARN, Status: "FAILED",
			StartDate:    time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
			StopDate:     time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC),
			RedriveCount: 2,
		},
		{
			ARN: executionARN + "-2", Name: "DATA-4712", StateMachineARN: machineARN, Status: "RUNNING",
			StartDate: time.Date(2025, 3, 1, 12, 1, 40, 0, time.UTC),
		},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(sameTime)); diff != "" {
		t.Errorf("ListExecutions (-want +got):\n%s", diff)
	}
	if next != "page-2" {
		t.Errorf("next token = %q, want page-2", next)
	}

	wantCalls := []call{{Target: "ListExecutions", Body: map[string]any{
		"stateMachineArn": machineARN,
		"statusFilter":    "FAILED",
		"maxResults":      float64(50),
		"nextToken":       "page-1",
	}}}
	if diff := cmp.Diff(wantCalls, srv.recorded()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestListExecutionsUnknownMachine(t *testing.T) {
	_, client := newServer(t, map[string]reply{
		"ListExecutions": {status: http.StatusBadRequest, body: `{"__type":"StateMachineDoesNotExist","message":"State Machine Does Not Exist"}`},
	})
	_, _, err := client.ListExecutions(context.Background(), machineARN, sfn.ListOptions{})
	if !errors.Is(err, sfn.ErrStateMachineNotFound) {
		t.Errorf("error = %v, want ErrStateMachineNotFound", err)
	}
}

func TestGetExecutionHistory(t *testing.T) {
	srv, client := newServer(t, map[string]reply{
		"GetExecutionHistory": {body: `{"events":[
			{"id":3,"previousEventId":2,"type":"TaskScheduled","timestamp":1740830401.5,
			 "taskScheduledEventDetails":{"resourceType":"lambda","resource":"invoke","region":"us-west-2",
			  "parameters":"{\"FunctionName\":\"rl-proxy-vm\",\"Payload\":{\"token\":\"t-1\"}}","timeoutInSeconds":60}},
			{"id":2,"previousEventId":0,"type":"TaskStateEntered","timestamp":1740830401,
			 "stateEnteredEventDetails":{"name":"ProxyVM","input":"{\"request\":{\"id\":\"DATA-4711\"}}",
			  "inputDetails":{"truncated":false}}},
			{"id":4,"previousEventId":3,"type":"ExecutionFailed","timestamp":1740830402,
			 "executionFailedEventDetails":{"error":"NotReady","cause":"proxy_vm: booting"}},
			{"id":5,"previousEventId":4,"type":"ParallelStateStarted","timestamp":1740830403},
			{"id":6,"previousEventId":5,"type":"TaskSucceeded","timestamp":1740830404,
			 "taskSucceededEventDetails":{"resourceType":"lambda","resource":"invoke","output":"not json"}}],
			"nextToken":"older"}`},
	})

	got, next, err := client.GetExecutionHistory(context.Background(), executionARN, sfn.HistoryOptions{MaxResults: 5, ReverseOrder: true})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	if next != "older" {
		t.Errorf("next token = %q, want older", next)
	}

	type event struct {
		ID, Previous int64
		Type         string
		Timestamp    time.Time
		Details      map[string]any
	}
	var gotEvents []event
	for _, ev := range got {
		e := event{ID: ev.ID, Previous: ev.PreviousEventID, Type: ev.Type, Timestamp: ev.Timestamp}
		if ev.Details != nil {
			if err := json.Unmarshal(ev.Details, &e.Details); err != nil {
				t.Fatalf("details of event %d are not JSON: %v", ev.ID, err)
			}
		}
		gotEvents = append(gotEvents, e)
	}
	at := func(ms int64) time.Time { return time.UnixMilli(ms) }
	want := []event{
		{ID: 3, Previous: 2, Type: "TaskScheduled", Timestamp: at(1740830401500), Details: map[string]any{
			"resourceType": "lambda", "resource": "invoke", "region": "us-west-2", "timeoutInSeconds": float64(60),
			"parameters": map[string]any{"FunctionName": "rl-proxy-vm", "Payload": map[string]any{"token": "t-1"}},
		}},
		{ID: 2, Type: "TaskStateEntered", Timestamp: at(1740830401000), Details: map[string]any{
			"name": "ProxyVM", "input": map[string]any{"request": map[string]any{"id": "DATA-4711"}},
			"inputDetails": map[string]any{"truncated": false},
		}},
		{ID: 4, Previous: 3, Type: "ExecutionFailed", Timestamp: at(1740830402000), Details: map[string]any{
			"error": "NotReady", "cause": "proxy_vm: booting",
		}},
		{ID: 5, Previous: 4, Type: "ParallelStateStarted", Timestamp: at(1740830403000)},
		{ID: 6, Previous: 5, Type: "TaskSucceeded", Timestamp: at(1740830404000), Details: map[string]any{
			"resourceType": "lambda", "resource": "invoke", "output": "not json",
		}},
	}
	if diff := cmp.Diff(want, gotEvents, cmp.Comparer(sameTime)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}

	wantCalls := []call{{Target: "GetExecutionHistory", Body: map[string]any{
		"executionArn":         executionARN,
		"includeExecutionData": true,
		"maxResults":           float64(5),
		"reverseOrder":         true,
	}}}
	if diff := cmp.Diff(wantCalls, srv.recorded()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestGetExecutionHistoryUnknownExecution(t *testing.T) {
	_, client := newServer(t, map[string]reply{
		"GetExecutionHistory": {status: http.StatusBadRequest, body: `{"__type":"ExecutionDoesNotExist","message":"Execution Does Not Exist"}`},
	})
	_, _, err := client.GetExecutionHistory(context.Background(), executionARN, sfn.HistoryOptions{})
	if !errors.Is(err, sfn.ErrExecutionNotFound) {
		t.Errorf("error = %v, want ErrExecutionNotFound", err)
	}
}

func TestEngineListAndHistory(t *testing.T) {
	f := newEngineFixture(t)
	ctx := context.Background()
	machine := f.engine.StateMachineARN("rl-provision")
	started, err := f.client.StartExecution(ctx, machine, "DATA-4713", json.RawMessage(`{"request":{"id":"DATA-4713"}}`))
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	if err := f.client.SendTaskSuccess(ctx, f.token(t), json.RawMessage(`{"status":"available"}`)); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	f.wait(t, "DATA-4713")

	list, next, err := f.client.ListExecutions(ctx, machine, sfn.ListOptions{Status: "SUCCEEDED"})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	if len(list) != 1 || list[0].ARN != started.ARN || list[0].Status != "SUCCEEDED" || list[0].StopDate.IsZero() {
		t.Errorf("ListExecutions = %+v, want the one succeeded execution with a stop date", list)
	}
	if next != "" {
		t.Errorf("next token = %q, want none", next)
	}
	running, _, err := f.client.ListExecutions(ctx, machine, sfn.ListOptions{Status: "RUNNING"})
	if err != nil {
		t.Fatalf("ListExecutions RUNNING: %v", err)
	}
	if len(running) != 0 {
		t.Errorf("running executions = %+v, want none", running)
	}

	events, _, err := f.client.GetExecutionHistory(ctx, started.ARN, sfn.HistoryOptions{})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	if len(events) < 2 || events[0].Type != "ExecutionStarted" || events[len(events)-1].Type != "ExecutionSucceeded" {
		t.Fatalf("history = %+v, want ExecutionStarted first and ExecutionSucceeded last", events)
	}
	var started0 struct {
		Input struct {
			Request struct{ ID string } `json:"request"`
		} `json:"input"`
	}
	if err := json.Unmarshal(events[0].Details, &started0); err != nil || started0.Input.Request.ID != "DATA-4713" {
		t.Errorf("ExecutionStarted details %s (error %v), want the input as a JSON value", events[0].Details, err)
	}

	newest, _, err := f.client.GetExecutionHistory(ctx, started.ARN, sfn.HistoryOptions{MaxResults: 1, ReverseOrder: true})
	if err != nil {
		t.Fatalf("GetExecutionHistory reversed: %v", err)
	}
	if len(newest) != 1 || newest[0].Type != "ExecutionSucceeded" {
		t.Errorf("newest event = %+v, want ExecutionSucceeded", newest)
	}

	_, _, err = f.client.GetExecutionHistory(ctx, f.engine.ExecutionARN("rl-provision", "never-started"), sfn.HistoryOptions{})
	if !errors.Is(err, sfn.ErrExecutionNotFound) {
		t.Errorf("history of an unknown execution: error %v, want ErrExecutionNotFound", err)
	}
}
