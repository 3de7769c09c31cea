package engine

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
)

func TestHistoryResolvesPlaceholder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"Direct","States":{
			"Direct":{"Type":"Task","Resource":"${echo}","Next":"Invoke"},
			"Invoke":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
				"Parameters":{"FunctionName":"${echo}","Payload.$":"$"},"End":true}}}`,
			map[string]TaskFunc{"echo": echoTask()})
		runEngine(t, e)
		if x := execute(t, e, "run", `{}`); x.Status != StatusSucceeded {
			t.Fatalf("status %s (%s), want SUCCEEDED", x.Status, x.Cause)
		}
		events, err := e.History(context.Background(), "run")
		if err != nil {
			t.Fatal(err)
		}

		var resources []string
		for _, ev := range events {
			var details struct {
				Resource   string          `json:"resource"`
				Parameters json.RawMessage `json:"parameters"`
			}
			if err := json.Unmarshal(ev.Details, &details); err != nil {
				t.Fatal(err)
			}
			if details.Resource != "" {
				resources = append(resources, ev.Type+" "+ev.State+" "+details.Resource)
			}
			if ev.Type == "TaskScheduled" && ev.State == "Invoke" {
				var params struct{ FunctionName string }
				if err := json.Unmarshal(details.Parameters, &params); err != nil {
					t.Fatal(err)
				}
				if params.FunctionName != "echo" {
					t.Errorf("parameters of TaskScheduled in Invoke: FunctionName %q, want echo", params.FunctionName)
				}
			}
		}
		want := []string{
			"TaskScheduled Direct echo", "TaskStarted Direct echo", "TaskSucceeded Direct echo",
			"TaskScheduled Invoke invoke", "TaskStarted Invoke invoke", "TaskSucceeded Invoke invoke",
		}
		if len(resources) != len(want) {
			t.Fatalf("events with a resource = %q, want %q", resources, want)
		}
		for i := range want {
			if resources[i] != want[i] {
				t.Errorf("event %d with a resource = %q, want %q", i, resources[i], want[i])
			}
		}
	})
}
