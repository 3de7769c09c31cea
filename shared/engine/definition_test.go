package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefineValid(t *testing.T) {
	def := `{
	"Comment": "every state type",
	"StartAt": "Task",
	"TimeoutSeconds": 3600,
	"States": {
		"Task": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
			"Parameters": {"FunctionName": "${step}", "Payload.$": "$"},
			"ResultSelector": {"body.$": "$.Payload"}, "ResultPath": "$.task",
			"TimeoutSeconds": 60, "HeartbeatSeconds": 10,
			"Retry": [{"ErrorEquals": ["NotReady"], "IntervalSeconds": 5, "MaxAttempts": 10, "BackoffRate": 1.5,
				"MaxDelaySeconds": 60, "JitterStrategy": "FULL"}, {"ErrorEquals": ["States.ALL"]}],
			"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
			"Next": "Choose"},
		"Choose": {"Type": "Choice", "Choices": [
			{"And": [{"Variable": "$.a", "IsPresent": true}, {"Not": {"Variable": "$.a", "StringEquals": "x"}}], "Next": "Wait"}],
			"Default": "Parallel"},
		"Wait": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Parallel"},
		"Parallel": {"Type": "Parallel", "Branches": [
			{"StartAt": "P1", "States": {"P1": {"Type": "Pass", "End": true}}},
			{"StartAt": "P2", "States": {"P2": {"Type": "Succeed"}}}], "ResultPath": "$.parallel", "Next": "Map"},
		"Map": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
			"ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
			"ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "M1",
				"States": {"M1": {"Type": "Pass", "End": true}}}, "ResultPath": "$.map", "Next": "Done"},
		"Done": {"Type": "Succeed", "OutputPath": "$.task"},
		"Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "States.Format('failed: {}', $.error.Cause)"}
	}}`
	if _, err := parseDefinition("m", []byte(def)); err != nil {
		t.Fatalf("parse: %v", err)
	}
}

func TestDefineProblems(t *testing.T) {
	wrap := func(states string) string { return `{"StartAt":"A","States":{` + states + `}}` }
	tests := []struct {
		name string
		def  string
		want []Problem
	}{
		{"not JSON", `{`, []Problem{{Message: "decode JSON: unexpected EOF"}}},
		{"missing StartAt", `{"States":{"A":{"Type":"Succeed"}}}`,
			[]Problem{{Field: "StartAt", Message: "missing"}}},
		{"unknown StartAt", `{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}`,
			[]Problem{{Field: "StartAt", Message: `state "B" not found`}}},
		{"unknown top-level field", `{"StartAt":"A","Statez":1,"States":{"A":{"Type":"Succeed"}}}`,
			[]Problem{{Field: "Statez", Message: "unknown field"}}},
		{"JSONata", `{"StartAt":"A","QueryLanguage":"JSONata","States":{"A":{"Type":"Succeed"}}}`,
			[]Problem{{Field: "QueryLanguage", Message: "only JSONPath is supported, got JSONata"}}},
		{"unknown type", wrap(`"A":{"Type":"Magic"}`),
			[]Problem{{State: "A", Field: "Type", Message: `unknown state type "Magic"`}}},
		{"missing Next and End", wrap(`"A":{"Type":"Pass"}`),
			[]Problem{{State: "A", Field: "Next", Message: `missing: set Next or "End": true`}}},
		{"Next and End", wrap(`"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}`),
			[]Problem{{State: "A", Field: "End", Message: "must not be set together with Next"}}},
		{"unknown Next", wrap(`"A":{"Type":"Pass","Next":"B"}`),
			[]Problem{{State: "A", Field: "Next", Message: `state "B" not found`}}},
		{"unreachable", wrap(`"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}`),
			[]Problem{{State: "B", Message: `state is not reachable from StartAt "A"`}}},
		{"field of another type", wrap(`"A":{"Type":"Pass","Resource":"x","End":true}`),
			[]Problem{{State: "A", Field: "Resource", Message: "not supported in a Pass state"}}},
		{"task without resource", wrap(`"A":{"Type":"Task","End":true}`),
			[]Problem{{State: "A", Field: "Resource", Message: "missing"}}},
		{"lambda invoke without function", wrap(`"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`),
			[]Problem{{State: "A", Field: "Parameters.FunctionName", Message: "missing: arn:aws:states:::lambda:invoke needs the function to invoke"}}},
		{"heartbeat not below timeout", wrap(`"A":{"Type":"Task","Resource":"f","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}`),
			[]Problem{{State: "A", Field: "HeartbeatSeconds", Message: "must be smaller than TimeoutSeconds (5)"}}},
		{"bad timeout", wrap(`"A":{"Type":"Task","Resource":"f","TimeoutSeconds":0,"End":true}`),
			[]Problem{{State: "A", Field: "TimeoutSeconds", Message: "must be an integer of at least 1"}}},
		{"bad InputPath", wrap(`"A":{"Type":"Pass","InputPath":"a.b","End":true}`),
			[]Problem{{State: "A", Field: "InputPath", Message: `invalid JSONPath "a.b": must start with $`}}},
		{"ResultPath not a reference", wrap(`"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}`),
			[]Problem{{State: "A", Field: "ResultPath", Message: `"$.a[*]" must be a reference path: $ followed by field names and indexes only`}}},
		{"bad parameter path", wrap(`"A":{"Type":"Pass","Parameters":{"x":{"y.$":"nope"}},"End":true}`),
			[]Problem{{State: "A", Field: "Parameters.x.y.$", Message: `invalid JSONPath "nope": must start with $`}}},
		{"bad intrinsic", wrap(`"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope()"},"End":true}`),
			[]Problem{{State: "A", Field: "Parameters.x.$", Message: `invalid intrinsic function "States.Nope()": unknown function States.Nope`}}},
		{"ALL not last", wrap(`"A":{"Type":"Task","Resource":"f","End":true,
			"Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}]}`),
			[]Problem{{State: "A", Field: "Retry[0].ErrorEquals", Message: "States.ALL must be in the last entry"}}},
		{"ALL not alone", wrap(`"A":{"Type":"Task","Resource":"f","End":true,
			"Catch":[{"ErrorEquals":["States.ALL","X"],"Next":"A"}]}`),
			[]Problem{{State: "A", Field: "Catch[0].ErrorEquals", Message: "States.ALL must be the only error name in its list"}}},
		{"bad retrier", wrap(`"A":{"Type":"Task","Resource":"f","End":true,
			"Retry":[{"ErrorEquals":[],"BackoffRate":0.5,"MaxAttempts":-1,"JitterStrategy":"SOME","Interval":1}]}`),
			[]Problem{
				{State: "A", Field: "Retry[0].Interval", Message: "unknown field"},
				{State: "A", Field: "Retry[0].ErrorEquals", Message: "must be a non-empty array of error names"},
				{State: "A", Field: "Retry[0].MaxAttempts", Message: "must be an integer from 0 to 99999999"},
				{State: "A", Field: "Retry[0].BackoffRate", Message: "must be a number of at least 1.0"},
				{State: "A", Field: "Retry[0].JitterStrategy", Message: "must be FULL or NONE, got SOME"},
			}},
		{"catch to unknown state", wrap(`"A":{"Type":"Task","Resource":"f","End":true,
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Z"}]}`),
			[]Problem{{State: "A", Field: "Catch[0].Next", Message: `state "Z" not found`}}},
		{"choice without rules", wrap(`"A":{"Type":"Choice","Choices":[]}`),
			[]Problem{{State: "A", Field: "Choices", Message: "must be an array with at least one rule"}}},
		{"choice rule without Next", wrap(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true}],"Default":"B"},"B":{"Type":"Succeed"}`),
			[]Problem{{State: "A", Field: "Choices[0].Next", Message: "missing"}}},
		{"choice rule with two operators", wrap(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"IsString":true,"Next":"B"}]},"B":{"Type":"Succeed"}`),
			[]Problem{{State: "A", Field: "Choices[0]", Message: "must have exactly one comparison operator, And, Or or Not, got 2"}}},
		{"choice operand type", wrap(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":"1","Next":"B"}]},"B":{"Type":"Succeed"}`),
			[]Problem{{State: "A", Field: "Choices[0].NumericEquals", Message: "must be a number"}}},
		{"choice nested Next", wrap(`"A":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.x","IsNull":true,"Next":"B"},"Next":"B"}]},"B":{"Type":"Succeed"}`),
			[]Problem{{State: "A", Field: "Choices[0].Not.Next", Message: "only top-level rules may have Next"}}},
		{"choice bad timestamp", wrap(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","TimestampEquals":"yesterday","Next":"B"}]},"B":{"Type":"Succeed"}`),
			[]Problem{{State: "A", Field: "Choices[0].TimestampEquals", Message: "must be a timestamp"}}},
		{"choice unknown operator", wrap(`"A":{"Type":"Choice","Choices":[{"Variable":"$.x","StringMatchesPath":"$.y","Next":"B"}]},"B":{"Type":"Succeed"}`),
			[]Problem{
				{State: "A", Field: "Choices[0].StringMatchesPath", Message: "unknown field in a choice rule"},
				{State: "A", Field: "Choices[0]", Message: "must have exactly one comparison operator, And, Or or Not, got 0"},
			}},
		{"wait without duration", wrap(`"A":{"Type":"Wait","End":true}`),
			[]Problem{{State: "A", Field: "Seconds", Message: "set exactly one of Seconds, Timestamp, SecondsPath and TimestampPath"}}},
		{"wait bad timestamp", wrap(`"A":{"Type":"Wait","Timestamp":"2026-01-01","End":true}`),
			[]Problem{{State: "A", Field: "Timestamp", Message: "must be an RFC 3339 timestamp such as 2026-01-02T15:04:05Z"}}},
		{"fail with Error and ErrorPath", wrap(`"A":{"Type":"Fail","Error":"X","ErrorPath":"$.e"}`),
			[]Problem{{State: "A", Field: "ErrorPath", Message: "must not be set together with Error"}}},
		{"parallel without branches", wrap(`"A":{"Type":"Parallel","Branches":[],"End":true}`),
			[]Problem{{State: "A", Field: "Branches", Message: "must be an array with at least one branch"}}},
		{"problem inside a branch", wrap(`"A":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"B","States":{"B":{"Type":"Pass","Next":"Outside"}}}]}`),
			[]Problem{{State: "A.Branches[0].B", Field: "Next", Message: `state "Outside" not found`}}},
		{"name reused outside a branch", wrap(`"A":{"Type":"Parallel","Next":"B","Branches":[
			{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}]},"B":{"Type":"Succeed"}`),
			[]Problem{{State: "B", Message: `name already used by state "A.Branches[0].B" (state names must be unique across the whole state machine)`}}},
		{"name reused inside a processor", wrap(`"A":{"Type":"Map","End":true,
			"ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}}`),
			[]Problem{{State: "A.ItemProcessor.A", Message: `name already used by state "A" (state names must be unique across the whole state machine)`}}},
		{"ItemsPath not a reference path", wrap(`"A":{"Type":"Map","End":true,"ItemsPath":"$..items",
			"ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}}`),
			[]Problem{{State: "A", Field: "ItemsPath", Message: `"$..items" must be a reference path: $ or $$ followed by field names and indexes only`}}},
		{"key and its path form", wrap(`"A":{"Type":"Pass","End":true,"Parameters":{"o":{"a":1,"a.$":"$.x"}}}`),
			[]Problem{{State: "A", Field: "Parameters.o.a.$", Message: `duplicate field: "a" and "a.$" both set "a"`}}},
		{"map without processor", wrap(`"A":{"Type":"Map","End":true}`),
			[]Problem{{State: "A", Field: "ItemProcessor", Message: "missing: set an ItemProcessor with StartAt and States"}}},
		{"express distributed map", wrap(`"A":{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":
			{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}}}`),
			[]Problem{{State: "A", Field: "ItemProcessor.ProcessorConfig.ExecutionType", Message: "only STANDARD is supported, got EXPRESS"}}},
		{"tolerated failures inline", wrap(`"A":{"Type":"Map","End":true,"ToleratedFailureCount":1,
			"ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}}`),
			[]Problem{{State: "A", Field: "ToleratedFailureCount", Message: "is only allowed when ItemProcessor.ProcessorConfig.Mode is DISTRIBUTED"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, tt.def, tt.want) })
	}
}

// checkProblems checks that parsing def fails with a *DefinitionError
// whose problems are want.
func checkProblems(t *testing.T, def string, want []Problem) {
	t.Helper()
	_, err := parseDefinition("m", []byte(def))
	var de *DefinitionError
	if !errors.As(err, &de) {
		t.Fatalf("error = %v, want a *DefinitionError", err)
	}
	if diff := cmp.Diff(want, de.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestDefinitionErrorText(t *testing.T) {
	e := testEngine(t, "", nil)
	err := e.Define("provision", []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`))
	want := `invalid definition of state machine "provision": state "A": field "Next": state "B" not found`
	if err == nil || err.Error() != want {
		t.Errorf("Define error = %v, want %s", err, want)
	}
	if !strings.Contains(err.Error(), `"A"`) {
		t.Errorf("error does not name the state: %v", err)
	}
}
