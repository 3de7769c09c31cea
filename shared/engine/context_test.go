package engine

import (
	"testing"
)

func TestTemplateUsesContext(t *testing.T) {
	cases := []struct {
		template string
		want     bool
	}{
		{`{"a": 1, "b.$": "$.x"}`, false},
		{`{"id.$": "$$.Execution.Id"}`, true},
		{`{"outer": {"inner": [{"t.$": "$$.Task.Token"}]}}`, true},
		{`{"f.$": "States.Format('{}', $.x)"}`, false},
		{`{"f.$": "States.Format('{}', States.ArrayLength($$.Execution.Input.list))"}`, true},
		{`[1, {"n.$": "$$.State.Name"}]`, true},
		{`"literal"`, false},
	}
	for _, tc := range cases {
		v, err := decodeJSON([]byte(tc.template))
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := compileTemplate(v, "Parameters")
		if err != nil {
			t.Fatalf("compileTemplate(%s): %v", tc.template, err)
		}
		if tmpl.usesContext != tc.want {
			t.Errorf("usesContext of %s = %v, want %v", tc.template, tmpl.usesContext, tc.want)
		}
	}
}

func TestChoiceRuleUsesContext(t *testing.T) {
	cases := []struct {
		rule string
		want bool
	}{
		{`{"Variable": "$.n", "NumericEquals": 1, "Next": "E"}`, false},
		{`{"Variable": "$$.Execution.Name", "StringEquals": "x", "Next": "E"}`, true},
		{`{"Variable": "$.n", "NumericEqualsPath": "$$.State.RetryCount", "Next": "E"}`, true},
		{`{"And": [{"Variable": "$.n", "IsPresent": true}, {"Variable": "$$.State.Name", "IsPresent": true}], "Next": "E"}`, true},
		{`{"Or": [{"Variable": "$.n", "IsPresent": true}, {"Not": {"Variable": "$$.State.Name", "IsPresent": true}}], "Next": "E"}`, true},
		{`{"Not": {"Variable": "$.n", "IsPresent": true}, "Next": "E"}`, false},
	}
	for _, tc := range cases {
		definition := `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [` + tc.rule +
			`]}, "E": {"Type": "Succeed"}}}`
		sm, err := parseDefinition("m", []byte(definition))
		if err != nil {
			t.Fatalf("parseDefinition with rule %s: %v", tc.rule, err)
		}
		rule := sm.States["C"].Choices[0]
		if got := rule.usesContext(); got != tc.want {
			t.Errorf("usesContext of %s = %v, want %v", tc.rule, got, tc.want)
		}
	}
}
