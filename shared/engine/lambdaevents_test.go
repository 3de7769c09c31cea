package engine

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
)

// taskEvents returns the task step events of execution name, Task or
// LambdaFunction ones, as "TYPE STATE", and their details by that key.
func taskEvents(t *testing.T, e *Engine, name string) ([]string, map[string]json.RawMessage) {
	t.Helper()
	events, err := e.History(context.Background(), name)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	var types []string
	details := map[string]json.RawMessage{}
	for _, ev := range events {
		switch TaskEventType(ev.Type) {
		case "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskFailed", "TaskTimedOut":
		default:
			continue
		}
		key := ev.Type + " " + ev.State
		types = append(types, key)
		details[key] = ev.Details
	}
	return types, details
}

func TestLambdaFunctionARNRecordsLambdaEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"Direct","States":{
			"Direct":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo:live",
				"TimeoutSeconds":30,"Next":"Invoke"},
			"Invoke":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
				"Parameters":{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:echo","Payload.$":"$"},
				"OutputPath":"$.Payload","End":true}}}`,
			map[string]TaskFunc{"echo": echoTask()})
		runEngine(t, e)
		if x := execute(t, e, "run", `{"n":1}`); x.Status != StatusSucceeded {
			t.Fatalf("status %s (%s), want SUCCEEDED", x.Status, x.Cause)
		}

		types, details := taskEvents(t, e, "run")
		want := []string{
			"LambdaFunctionScheduled Direct", "LambdaFunctionStarted Direct", "LambdaFunctionSucceeded Direct",
			"TaskScheduled Invoke", "TaskStarted Invoke", "TaskSucceeded Invoke",
		}
		if !slices.Equal(types, want) {
			t.Fatalf("task events = %q, want %q", types, want)
		}
		wantDetails := map[string]string{
			"LambdaFunctionScheduled Direct": `{"input":{"n":1},"resource":"arn:aws:lambda:us-east-1:123456789012:function:echo:live","timeoutInSeconds":30}`,
			"LambdaFunctionStarted Direct":   `{}`,
			"LambdaFunctionSucceeded Direct": `{"output":{"n":1}}`,
		}
		for key, text := range wantDetails {
			if got := jsonText(t, details[key]); got != text {
				t.Errorf("details of %s = %s, want %s", key, got, text)
			}
		}
		var scheduled struct{ ResourceType string }
		if err := json.Unmarshal(details["TaskScheduled Invoke"], &scheduled); err != nil {
			t.Fatal(err)
		}
		if scheduled.ResourceType != "lambda" {
			t.Errorf("resourceType of TaskScheduled Invoke = %q, want lambda", scheduled.ResourceType)
		}
	})
}

func TestLambdaFunctionFailureEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"Fail","States":{
			"Fail":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:fail","End":true,
				"Catch":[{"ErrorEquals":["Broken"],"Next":"Slow"}]},
			"Slow":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:slow",
				"TimeoutSeconds":2,"End":true,"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Missing"}]},
			"Missing":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:missing","End":true}}}`,
			map[string]TaskFunc{
				"fail": func(context.Context, json.RawMessage) (json.RawMessage, error) {
					return nil, &namedError{"Broken", "the function failed"}
				},
				"slow": func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
					<-ctx.Done()
					return nil, errors.New("cancelled")
				},
			})
		runEngine(t, e)
		if x := execute(t, e, "run", `{}`); x.Status != StatusFailed || x.Error != ErrorRuntime {
			t.Fatalf("status %s error %s (%s), want FAILED States.Runtime", x.Status, x.Error, x.Cause)
		}

		types, details := taskEvents(t, e, "run")
		want := []string{
			"LambdaFunctionScheduled Fail", "LambdaFunctionStarted Fail", "LambdaFunctionFailed Fail",
			"LambdaFunctionScheduled Slow", "LambdaFunctionStarted Slow", "LambdaFunctionTimedOut Slow",
			"LambdaFunctionScheduled Missing", "LambdaFunctionStarted Missing", "LambdaFunctionFailed Missing",
		}
		if !slices.Equal(types, want) {
			t.Fatalf("task events = %q, want %q", types, want)
		}
		failed := jsonText(t, details["LambdaFunctionFailed Fail"])
		if failed != `{"cause":"the function failed","error":"Broken"}` {
			t.Errorf("details of LambdaFunctionFailed Fail = %s, want error Broken and its cause", failed)
		}
		var timedOut struct{ Error, Cause string }
		if err := json.Unmarshal(details["LambdaFunctionTimedOut Slow"], &timedOut); err != nil {
			t.Fatal(err)
		}
		if timedOut.Error != ErrorTimeout {
			t.Errorf("error of LambdaFunctionTimedOut Slow = %q, want %s", timedOut.Error, ErrorTimeout)
		}
		if timedOut.Cause == "" {
			t.Error("LambdaFunctionTimedOut Slow has no cause")
		}
	})
}

func TestIsLambdaFunctionARN(t *testing.T) {
	cases := map[string]bool{
		"arn:aws:lambda:us-east-1:123456789012:function:echo":        true,
		"arn:aws:lambda:us-east-1:123456789012:function:echo:live":   true,
		"arn:aws:lambda:us-east-1:123456789012:function:echo:7":      true,
		"arn:aws-cn:lambda:cn-north-1:123456789012:function:echo":    true,
		"arn:aws:lambda:us-east-1:123456789012:function:":            false,
		"arn:aws:lambda:us-east-1:123456789012:layer:echo:1":         false,
		"arn:aws:lambda:us-east-1:123456789012:function:echo:live:x": false,
		"arn:aws:states:::lambda:invoke":                             false,
		"arn:aws:states:::lambda:invoke.waitForTaskToken":            false,
		"arn:aws:states:us-east-1:123456789012:activity:echo":        false,
		"${echo}": false,
		"echo":    false,
		"arn:aws:lambda:us-east-1:123456789012:function:echo:live:x:y": false,
		"arn:aws:lambda:::function:echo":                               true,
		"arn:aws:lambda:us-east-1:123456789012:function":               false,
		"lambda:us-east-1:123456789012:function:echo:live:x":           false,
		"": false,
	}
	for resource, want := range cases {
		if got := isLambdaFunctionARN(resource); got != want {
			t.Errorf("isLambdaFunctionARN(%q) = %v, want %v", resource, got, want)
		}
	}
}

// The check runs for every task event, so it must not allocate.
func TestIsLambdaFunctionARNAllocations(t *testing.T) {
	resource := "arn:aws:lambda:us-east-1:123456789012:function:echo:live"
	if n := testing.AllocsPerRun(100, func() { isLambdaFunctionARN(resource) }); n != 0 {
		t.Errorf("isLambdaFunctionARN allocates %v times per call, want 0", n)
	}
}

func TestTaskEventType(t *testing.T) {
	cases := map[string]string{
		"LambdaFunctionScheduled":   "TaskScheduled",
		"LambdaFunctionStarted":     "TaskStarted",
		"LambdaFunctionSucceeded":   "TaskSucceeded",
		"LambdaFunctionFailed":      "TaskFailed",
		"LambdaFunctionTimedOut":    "TaskTimedOut",
		"LambdaFunctionStartFailed": "TaskStartFailed",
		"TaskScheduled":             "TaskScheduled",
		"TaskSubmitted":             "TaskSubmitted",
		"PassStateEntered":          "PassStateEntered",
	}
	for typ, want := range cases {
		if got := TaskEventType(typ); got != want {
			t.Errorf("TaskEventType(%q) = %q, want %q", typ, got, want)
		}
	}
}
