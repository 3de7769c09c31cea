package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
)

func TestDataPipeline(t *testing.T) {
	tests := []struct {
		name       string
		def        string
		input      string
		wantStatus string
		wantOutput string
		wantError  string
	}{
		{
			name: "task with every field",
			def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"${echo}","InputPath":"$.a",
				"Parameters":{"x.$":"$.b","name.$":"$$.Execution.Name","state.$":"$$.State.Name","const":"k",
					"nested":{"c.$":"$.c","list":[{"d.$":"$.b"}]}},
				"ResultSelector":{"got.$":"$.x","list.$":"$.nested.list"},
				"ResultPath":"$.res","OutputPath":"$.res","End":true}}}`,
			input:      `{"a":{"b":1,"c":2},"keep":true}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"got":1,"list":[{"d":1}]}`,
		},
		{
			name: "context object",
			def: `{"StartAt":"T","States":{"T":{"Type":"Pass","Parameters":{
				"id.$":"$$.Execution.Id","input.$":"$$.Execution.Input","start.$":"$$.Execution.StartTime",
				"machine.$":"$$.StateMachine.Name","machineId.$":"$$.StateMachine.Id",
				"entered.$":"$$.State.EnteredTime","retries.$":"$$.State.RetryCount"},"End":true}}}`,
			input:      `{"v":1}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"id":"arn:aws:states:local:000000000000:execution:m:run","input":{"v":1},
				"start":"2000-01-01T00:00:00.000Z","machine":"m","machineId":"arn:aws:states:local:000000000000:stateMachine:m",
				"entered":"2000-01-01T00:00:00.000Z","retries":0}`,
		},
		{
			name: "lambda invoke",
			def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
				"Parameters":{"FunctionName":"${echo}","Payload":{"v.$":"$.v"}},"End":true}}}`,
			input:      `{"v":5}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"Payload":{"v":5},"StatusCode":200}`,
		},
		{
			name: "lambda invoke by ARN with selector",
			def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
				"Parameters":{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:echo:live","Payload.$":"$"},
				"ResultSelector":{"v.$":"$.Payload.v"},"ResultPath":"$.out","End":true}}}`,
			input:      `{"v":5}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"v":5,"out":{"v":5}}`,
		},
		{
			name:       "null ResultPath keeps the input",
			def:        `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"const","ResultPath":null,"End":true}}}`,
			input:      `{"v":1}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"v":1}`,
		},
		{
			name:       "null InputPath and OutputPath",
			def:        `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","InputPath":null,"ResultPath":"$.r","OutputPath":null,"Next":"U"},"U":{"Type":"Task","Resource":"echo","InputPath":null,"End":true}}}`,
			input:      `{"v":1}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{}`,
		},
		{
			name:       "pass result into path",
			def:        `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"x":[1,2]},"ResultPath":"$.deep.r","End":true}}}`,
			input:      `{"v":1}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"v":1,"deep":{"r":{"x":[1,2]}}}`,
		},
		{
			name: "pass parameters with intrinsics",
			def: `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{
				"msg.$":"States.Format('{} has {} packages', $.id, States.ArrayLength($.packages))",
				"json.$":"States.JsonToString($.packages)"},"ResultPath":"$.out","OutputPath":"$.out","End":true}}}`,
			input:      `{"id":"T-1","packages":["a","b"]}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"msg":"T-1 has 2 packages","json":"[\"a\",\"b\"]"}`,
		},
		{
			name:       "parameter path missing",
			def:        `{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"echo","Parameters":{"x.$":"$.nope"},"End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}]},"C":{"Type":"Succeed"}}}`,
			input:      `{}`,
			wantStatus: StatusFailed,
			wantError:  ErrorRuntime,
		},
		{
			name:       "InputPath missing",
			def:        `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.nope","End":true}}}`,
			input:      `{}`,
			wantStatus: StatusFailed,
			wantError:  ErrorRuntime,
		},
		{
			name:       "OutputPath missing",
			def:        `{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$.nope","End":true}}}`,
			input:      `{}`,
			wantStatus: StatusFailed,
			wantError:  ErrorRuntime,
		},
		{
			name: "ResultPath into a string is caught",
			def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"const","ResultPath":"$.a.b","Next":"Done",
				"Catch":[{"ErrorEquals":["States.ResultPathMatchFailure"],"ResultPath":"$.err","Next":"Caught"}]},
				"Caught":{"Type":"Pass","Parameters":{"error.$":"$.err.Error"},"End":true},"Done":{"Type":"Succeed"}}}`,
			input:      `{"a":"text"}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"error":"States.ResultPathMatchFailure"}`,
		},
		{
			name: "choice routes",
			def: `{"StartAt":"C","States":{"C":{"Type":"Choice","InputPath":"$.in","OutputPath":"$.v","Choices":[
				{"Variable":"$.v","NumericGreaterThan":10,"Next":"Big"}],"Default":"Small"},
				"Big":{"Type":"Pass","Result":"big","End":true},"Small":{"Type":"Pass","Result":"small","End":true}}}`,
			input:      `{"in":{"v":11}}`,
			wantStatus: StatusSucceeded,
			wantOutput: `"big"`,
		},
		{
			name: "choice without match",
			def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
				{"Variable":"$.v","NumericGreaterThan":10,"Next":"Big"}]},"Big":{"Type":"Succeed"}}}`,
			input:      `{"v":1}`,
			wantStatus: StatusFailed,
			wantError:  ErrorNoChoiceMatched,
		},
		{
			name:       "fail with paths",
			def:        `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('bad {}', $.c)"}}}`,
			input:      `{"e":"Custom","c":"thing"}`,
			wantStatus: StatusFailed,
			wantError:  "Custom",
		},
		{
			name:       "succeed with paths",
			def:        `{"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.a","OutputPath":"$.b"}}}`,
			input:      `{"a":{"b":[1]}}`,
			wantStatus: StatusSucceeded,
			wantOutput: `[1]`,
		},
		{
			name:       "task output over the limit",
			def:        `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"big","End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}]},"C":{"Type":"Succeed"}}}`,
			input:      `{}`,
			wantStatus: StatusFailed,
			wantError:  ErrorDataLimitExceeded,
		},
		{
			name: "data limit caught by name",
			def: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"big","End":true,
				"Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"ResultPath":null,"Next":"C"}]},"C":{"Type":"Succeed"}}}`,
			input:      `{"v":1}`,
			wantStatus: StatusSucceeded,
			wantOutput: `{"v":1}`,
		},
		{
			name:       "state output over the limit",
			def:        `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"$.s","b.$":"$.s","c.$":"$.s"},"End":true}}}`,
			input:      `{"s":"` + strings.Repeat("x", 100*1024) + `"}`,
			wantStatus: StatusFailed,
			wantError:  ErrorDataLimitExceeded,
		},
		{
			name:       "unregistered task",
			def:        `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"${missing}","End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}]},"C":{"Type":"Succeed"}}}`,
			input:      `{}`,
			wantStatus: StatusFailed,
			wantError:  ErrorRuntime,
		},
	}
	tasks := map[string]TaskFunc{
		"echo":  echoTask(),
		"const": constTask(`"constant"`),
		"big": func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return json.Marshal(strings.Repeat("x", maxPayloadBytes))
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := testEngine(t, tt.def, tasks)
				runEngine(t, e)
				x := execute(t, e, "run", tt.input)
				if x.Status != tt.wantStatus {
					t.Fatalf("status = %s (%s: %s), want %s", x.Status, x.Error, x.Cause, tt.wantStatus)
				}
				if tt.wantOutput != "" {
					if got, want := jsonText(t, x.Output), jsonText(t, []byte(tt.wantOutput)); got != want {
						t.Errorf("output = %s, want %s", got, want)
					}
				}
				if x.Error != tt.wantError {
					t.Errorf("error = %q (%s), want %q", x.Error, x.Cause, tt.wantError)
				}
			})
		})
	}
}

func TestWaitDurations(t *testing.T) {
	tests := []struct {
		name  string
		state string
		input string
		want  string
	}{
		{"seconds", `"Seconds":90`, `{}`, "1m30s"},
		{"seconds path", `"SecondsPath":"$.d"`, `{"d":45}`, "45s"},
		{"timestamp", `"Timestamp":"2000-01-01T02:00:00Z"`, `{}`, "2h0m0s"},
		{"timestamp path", `"TimestampPath":"$.at"`, `{"at":"2000-01-01T00:10:00Z"}`, "10m0s"},
		{"timestamp in the past", `"Timestamp":"1999-01-01T00:00:00Z"`, `{}`, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := testEngine(t, `{"StartAt":"W","States":{"W":{"Type":"Wait",`+tt.state+`,"End":true}}}`, nil)
				runEngine(t, e)
				x := execute(t, e, "run", tt.input)
				if x.Status != StatusSucceeded {
					t.Fatalf("status = %s (%s: %s)", x.Status, x.Error, x.Cause)
				}
				if got := x.StoppedAt.Sub(x.StartedAt).String(); got != tt.want {
					t.Errorf("waited %s, want %s", got, tt.want)
				}
				if got, want := jsonText(t, x.Output), jsonText(t, []byte(tt.input)); got != want {
					t.Errorf("output = %s, want %s", got, want)
				}
			})
		})
	}
}

func TestWaitSecondsPathInvalid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.d","End":true}}}`, nil)
		runEngine(t, e)
		x := execute(t, e, "run", `{"d":-1}`)
		if x.Status != StatusFailed || x.Error != ErrorRuntime {
			t.Errorf("status = %s, error = %s, want FAILED with %s", x.Status, x.Error, ErrorRuntime)
		}
	})
}
