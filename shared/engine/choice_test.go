package engine

import (
	"errors"
	"fmt"
	"testing"
)

// chooseWith parses a Choice state with one rule leading to "Yes" and a
// Default of "No", and evaluates it against input.
func chooseWith(t *testing.T, rule, input string) (string, error) {
	t.Helper()
	def := fmt.Sprintf(`{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[%s],"Default":"No"},
		"Yes":{"Type":"Succeed"},"No":{"Type":"Succeed"}}}`, rule)
	sm, err := parseDefinition("m", []byte(def))
	if err != nil {
		t.Fatalf("parse rule %s: %v", rule, err)
	}
	doc, err := decodeJSON([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	return sm.States["C"].choose(doc, objectOf("Execution", objectOf("Name", "run")))
}

func TestChoiceRules(t *testing.T) {
	input := `{"s":"beta","n":10,"f":2.5,"b":true,"z":null,"ts":"2026-03-01T10:00:00Z",
		"ts2":"2026-03-01T11:00:00Z","other":"beta","m":10,"file":"log-2026.txt","star":"a*b"}`
	tests := []struct {
		rule  string
		match bool
	}{
		{`{"Variable":"$.s","StringEquals":"beta","Next":"Yes"}`, true},
		{`{"Variable":"$.s","StringEquals":"alpha","Next":"Yes"}`, false},
		{`{"Variable":"$.n","StringEquals":"10","Next":"Yes"}`, false},
		{`{"Variable":"$.s","StringEqualsPath":"$.other","Next":"Yes"}`, true},
		{`{"Variable":"$.s","StringLessThan":"gamma","Next":"Yes"}`, true},
		{`{"Variable":"$.s","StringGreaterThan":"gamma","Next":"Yes"}`, false},
		{`{"Variable":"$.s","StringLessThanEquals":"beta","Next":"Yes"}`, true},
		{`{"Variable":"$.s","StringGreaterThanEquals":"beta","Next":"Yes"}`, true},
		{`{"Variable":"$.s","StringLessThanPath":"$.other","Next":"Yes"}`, false},
		{`{"Variable":"$.file","StringMatches":"log-*.txt","Next":"Yes"}`, true},
		{`{"Variable":"$.file","StringMatches":"log-*.csv","Next":"Yes"}`, false},
		{`{"Variable":"$.file","StringMatches":"*","Next":"Yes"}`, true},
		{`{"Variable":"$.star","StringMatches":"a\\*b","Next":"Yes"}`, true},
		{`{"Variable":"$.file","StringMatches":"a\\*b","Next":"Yes"}`, false},
		{`{"Variable":"$.n","NumericEquals":10,"Next":"Yes"}`, true},
		{`{"Variable":"$.n","NumericEquals":10.0,"Next":"Yes"}`, true},
		{`{"Variable":"$.s","NumericEquals":10,"Next":"Yes"}`, false},
		{`{"Variable":"$.n","NumericEqualsPath":"$.m","Next":"Yes"}`, true},
		{`{"Variable":"$.f","NumericLessThan":3,"Next":"Yes"}`, true},
		{`{"Variable":"$.f","NumericGreaterThan":3,"Next":"Yes"}`, false},
		{`{"Variable":"$.n","NumericLessThanEquals":10,"Next":"Yes"}`, true},
		{`{"Variable":"$.n","NumericGreaterThanEquals":11,"Next":"Yes"}`, false},
		{`{"Variable":"$.f","NumericLessThanPath":"$.n","Next":"Yes"}`, true},
		{`{"Variable":"$.n","NumericGreaterThanPath":"$.f","Next":"Yes"}`, true},
		{`{"Variable":"$.n","NumericLessThanEqualsPath":"$.m","Next":"Yes"}`, true},
		{`{"Variable":"$.n","NumericGreaterThanEqualsPath":"$.m","Next":"Yes"}`, true},
		{`{"Variable":"$.b","BooleanEquals":true,"Next":"Yes"}`, true},
		{`{"Variable":"$.s","BooleanEquals":true,"Next":"Yes"}`, false},
		{`{"Variable":"$.b","BooleanEqualsPath":"$.b","Next":"Yes"}`, true},
		{`{"Variable":"$.ts","TimestampEquals":"2026-03-01T10:00:00Z","Next":"Yes"}`, true},
		{`{"Variable":"$.ts","TimestampEquals":"2026-03-01T11:00:00+01:00","Next":"Yes"}`, true},
		{`{"Variable":"$.ts","TimestampLessThan":"2026-03-01T10:30:00Z","Next":"Yes"}`, true},
		{`{"Variable":"$.ts","TimestampGreaterThan":"2026-03-01T10:30:00Z","Next":"Yes"}`, false},
		{`{"Variable":"$.ts","TimestampLessThanEquals":"2026-03-01T10:00:00Z","Next":"Yes"}`, true},
		{`{"Variable":"$.ts","TimestampGreaterThanEquals":"2026-03-01T10:00:01Z","Next":"Yes"}`, false},
		{`{"Variable":"$.ts","TimestampLessThanPath":"$.ts2","Next":"Yes"}`, true},
		{`{"Variable":"$.ts2","TimestampGreaterThanPath":"$.ts","Next":"Yes"}`, true},
		{`{"Variable":"$.ts","TimestampEqualsPath":"$.ts","Next":"Yes"}`, true},
		{`{"Variable":"$.s","TimestampEquals":"2026-03-01T10:00:00Z","Next":"Yes"}`, false},
		{`{"Variable":"$.z","IsNull":true,"Next":"Yes"}`, true},
		{`{"Variable":"$.s","IsNull":true,"Next":"Yes"}`, false},
		{`{"Variable":"$.s","IsPresent":true,"Next":"Yes"}`, true},
		{`{"Variable":"$.nope","IsPresent":true,"Next":"Yes"}`, false},
		{`{"Variable":"$.nope","IsPresent":false,"Next":"Yes"}`, true},
		{`{"Variable":"$.f","IsNumeric":true,"Next":"Yes"}`, true},
		{`{"Variable":"$.s","IsNumeric":false,"Next":"Yes"}`, true},
		{`{"Variable":"$.s","IsString":true,"Next":"Yes"}`, true},
		{`{"Variable":"$.b","IsBoolean":true,"Next":"Yes"}`, true},
		{`{"Variable":"$.ts","IsTimestamp":true,"Next":"Yes"}`, true},
		{`{"Variable":"$.s","IsTimestamp":true,"Next":"Yes"}`, false},
		{`{"Variable":"$$.Execution.Name","StringEquals":"run","Next":"Yes"}`, true},
		{`{"And":[{"Variable":"$.n","NumericEquals":10},{"Variable":"$.b","BooleanEquals":true}],"Next":"Yes"}`, true},
		{`{"And":[{"Variable":"$.n","NumericEquals":10},{"Variable":"$.b","BooleanEquals":false}],"Next":"Yes"}`, false},
		{`{"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.b","BooleanEquals":true}],"Next":"Yes"}`, true},
		{`{"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.b","BooleanEquals":false}],"Next":"Yes"}`, false},
		{`{"Not":{"Variable":"$.s","StringEquals":"beta"},"Next":"Yes"}`, false},
		{`{"Not":{"Variable":"$.nope","IsPresent":true},"Next":"Yes"}`, true},
		{`{"And":[{"Variable":"$.nope","IsPresent":true},{"Variable":"$.nope","StringEquals":"x"}],"Next":"Yes"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			next, err := chooseWith(t, tt.rule, input)
			if err != nil {
				t.Fatalf("choose: %v", err)
			}
			want := "No"
			if tt.match {
				want = "Yes"
			}
			if next != want {
				t.Errorf("next = %s, want %s", next, want)
			}
		})
	}
}

func TestChoiceMissingVariable(t *testing.T) {
	_, err := chooseWith(t, `{"Variable":"$.nope","StringEquals":"x","Next":"Yes"}`, `{}`)
	var se *stateError
	if !errors.As(err, &se) || se.Name != ErrorRuntime {
		t.Errorf("error = %v, want %s", err, ErrorRuntime)
	}
}

func TestChoiceNoMatch(t *testing.T) {
	sm, err := parseDefinition("m", []byte(`{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":1,"Next":"Y"}]},
		"Y":{"Type":"Succeed"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = sm.States["C"].choose(objectOf("a", "x"), nil)
	var se *stateError
	if !errors.As(err, &se) || se.Name != ErrorNoChoiceMatched {
		t.Errorf("error = %v, want %s", err, ErrorNoChoiceMatched)
	}
}

func TestStringMatches(t *testing.T) {
	tests := []struct {
		s, pattern string
		want       bool
	}{
		{"", "", true},
		{"", "*", true},
		{"abc", "a*c", true},
		{"abc", "a*b", false},
		{"aXbXc", "a*b*c", true},
		{"a*c", `a\*c`, true},
		{"abc", `a\*c`, false},
		{`a\c`, `a\\c`, true},
		{"mississippi", "*sip*", true},
		{"mississippi", "m*i*s*p*i", true},
		{"héllo", "h*o", true},
	}
	for _, tt := range tests {
		if got := stringMatches(tt.s, tt.pattern); got != tt.want {
			t.Errorf("stringMatches(%q, %q) = %v, want %v", tt.s, tt.pattern, got, tt.want)
		}
	}
}
