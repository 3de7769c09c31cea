package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
)

func TestStartKeepsInputAsGiven(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, oneTask, map[string]TaskFunc{"work": echoTask()})
		ctx := context.Background()
		input := `{ "pad": "\u00e9<&>", "n": 1.50 }`
		x, err := e.Start(ctx, "m", "run", json.RawMessage(input))
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		if string(x.Input) != input {
			t.Errorf("Start returned input %s, want %s", x.Input, input)
		}
		if got := describe(t, e, "run").Input; string(got) != input {
			t.Errorf("Describe input = %s, want %s", got, input)
		}

		// The same value in another spelling is the same input.
		if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{"n":1.50,"pad":"é<&>"}`)); err != nil {
			t.Errorf("Start again with the same value: %v", err)
		}
		if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{"n":2,"pad":"é<&>"}`)); !errors.Is(err, ErrExecutionAlreadyExists) {
			t.Errorf("Start again with another value: error = %v, want ErrExecutionAlreadyExists", err)
		}
	})
}

func TestStartMeasuresInputAsGiven(t *testing.T) {
	e := testEngine(t, oneTask, map[string]TaskFunc{"work": echoTask()})
	ctx := context.Background()

	// Each \u00e9 escape is 6 bytes as given and 2 bytes once decoded.
	escaped := `{"pad":"` + strings.Repeat(`\u00e9`, maxPayloadBytes/6+1) + `"}`
	if _, err := e.Start(ctx, "m", "escaped", json.RawMessage(escaped)); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Start with %d bytes as given: error = %v, want ErrInvalidInput", len(escaped), err)
	}

	// Each U+2028 is 3 bytes as given and 6 bytes when encoded again.
	separators := `{"pad":"` + strings.Repeat("\u2028", maxPayloadBytes/4) + `"}`
	if _, err := e.Start(ctx, "m", "separators", json.RawMessage(separators)); err != nil {
		t.Errorf("Start with %d bytes as given: %v, want it started", len(separators), err)
	}

	if _, err := e.Start(ctx, "m", "invalid-utf8", json.RawMessage("{\"pad\":\"\xff\"}")); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Start with invalid UTF-8: error = %v, want ErrInvalidInput", err)
	}
}

func TestStartClosedNameAdvice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"Choose","States":{
			"Choose":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Fail"}],"Default":"Done"},
			"Fail":{"Type":"Fail","Error":"Broken"},
			"Done":{"Type":"Succeed"}}}`, nil)
		runEngine(t, e)
		ctx := context.Background()
		execute(t, e, "succeeded", `{"fail":false}`)
		execute(t, e, "failed", `{"fail":true}`)

		tests := []struct {
			name, input, want, unwanted string
		}{
			{"succeeded", `{"fail":false}`, "cannot be redriven, so choose another name", "redrive it"},
			{"failed", `{"fail":true}`, "redrive it or choose another name", "cannot be redriven"},
		}
		for _, tt := range tests {
			_, err := e.Start(ctx, "m", tt.name, json.RawMessage(tt.input))
			if !errors.Is(err, ErrExecutionAlreadyExists) {
				t.Fatalf("Start of closed %s: error = %v, want ErrExecutionAlreadyExists", tt.name, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start of closed %s: %q, want it to say %q", tt.name, err, tt.want)
			}
			if strings.Contains(err.Error(), tt.unwanted) {
				t.Errorf("Start of closed %s: %q, want it not to say %q", tt.name, err, tt.unwanted)
			}
		}
	})
}
