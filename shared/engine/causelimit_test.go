package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateChars(t *testing.T) {
	tests := []struct {
		name, in string
		limit    int
		want     string
	}{
		{"fits", "abc", 3, "abc"},
		{"empty", "", 0, ""},
		{"cut ASCII", strings.Repeat("a", 30), 20, "aaaaa" + truncationMark},
		{"cut multibyte", strings.Repeat("é", 30), 20, "ééééé" + truncationMark},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncateChars(tt.in, tt.limit)
			if got != tt.want {
				t.Errorf("truncateChars = %q, want %q", got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("truncateChars = %q, not valid UTF-8", got)
			}
		})
	}
}

// checkErrorCauseLimits checks that the execution and every event in its
// history keep the error name and cause within the Step Functions limits.
func checkErrorCauseLimits(t *testing.T, e *Engine, x Execution) {
	t.Helper()
	if n := utf8.RuneCountInString(x.Cause); n != MaxCauseChars {
		t.Errorf("execution cause has %d characters, want %d", n, MaxCauseChars)
	}
	if !strings.HasSuffix(x.Cause, truncationMark) {
		t.Errorf("execution cause does not end in %q", truncationMark)
	}
	if n := utf8.RuneCountInString(x.Error); n > MaxErrorChars {
		t.Errorf("execution error has %d characters, more than %d", n, MaxErrorChars)
	}
	events, err := e.History(context.Background(), x.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		var details struct{ Error, Cause string }
		if err := json.Unmarshal(ev.Details, &details); err != nil {
			t.Fatalf("%s details: %v", ev.Type, err)
		}
		if n := utf8.RuneCountInString(details.Cause); n > MaxCauseChars {
			t.Errorf("%s cause has %d characters, more than %d", ev.Type, n, MaxCauseChars)
		}
		if n := utf8.RuneCountInString(details.Error); n > MaxErrorChars {
			t.Errorf("%s error has %d characters, more than %d", ev.Type, n, MaxErrorChars)
		}
	}
}

func TestTaskFailureCauseTruncated(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	failing := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, errors.New(long)
	}
	e := testEngine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"${fail}","End":true}}}`,
		map[string]TaskFunc{"fail": failing})
	runEngine(t, e)

	x := execute(t, e, "run", `{}`)
	if x.Status != StatusFailed {
		t.Fatalf("status = %s, want FAILED", x.Status)
	}
	checkErrorCauseLimits(t, e, x)
}

func TestFailStatePathsTruncated(t *testing.T) {
	e := testEngine(t, `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}`, nil)
	runEngine(t, e)
	input, err := json.Marshal(map[string]string{
		"e": strings.Repeat("E", 1000),
		"c": strings.Repeat("C", 100000),
	})
	if err != nil {
		t.Fatal(err)
	}

	x := execute(t, e, "run", string(input))
	if x.Status != StatusFailed {
		t.Fatalf("status = %s, want FAILED", x.Status)
	}
	if n := utf8.RuneCountInString(x.Error); n != MaxErrorChars {
		t.Errorf("execution error has %d characters, want %d", n, MaxErrorChars)
	}
	checkErrorCauseLimits(t, e, x)
}

func TestCatchSeesTruncatedCause(t *testing.T) {
	failing := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, errors.New(strings.Repeat("y", 50000))
	}
	e := testEngine(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"${fail}","End":true,
			"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Done"}]},
		"Done":{"Type":"Pass","End":true}}}`,
		map[string]TaskFunc{"fail": failing})
	runEngine(t, e)

	x := execute(t, e, "run", `{}`)
	if x.Status != StatusSucceeded {
		t.Fatalf("status = %s, want SUCCEEDED", x.Status)
	}
	var output struct{ Err struct{ Cause string } }
	if err := json.Unmarshal(x.Output, &output); err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(output.Err.Cause); n != MaxCauseChars {
		t.Errorf("caught cause has %d characters, want %d", n, MaxCauseChars)
	}
}
