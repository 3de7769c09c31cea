package engine

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestEmitStateMatchesEmit(t *testing.T) {
	names := []string{"P01", `quote " and \ slash`, "tab\there", "<&>", "\u2028 \xff"}
	values := []json.RawMessage{
		nil, json.RawMessage(`{"n":1,"s":"x"}`), json.RawMessage(`{ "spaced" : [1, 2] }`),
		json.RawMessage(`"text"`), json.RawMessage(`null`),
	}
	for _, key := range []string{"input", "output"} {
		for _, name := range names {
			for _, value := range values {
				viaState := newEmitTxn()
				if err := viaState.emitState("PassStateEntered", name, key, value); err != nil {
					t.Fatalf("emitState(%q, %q, %s): %v", name, key, value, err)
				}
				viaMap := newEmitTxn()
				if err := viaMap.emit("PassStateEntered", name, map[string]any{"name": name, key: raw(value)}); err != nil {
					t.Fatalf("emit(%q, %q, %s): %v", name, key, value, err)
				}
				got, want := viaState.events[0].Details, viaMap.events[0].Details
				if !bytes.Equal(got, want) {
					t.Errorf("emitState(%q, %q, %s) details = %s, emit writes %s", name, key, value, got, want)
				}
			}
		}
	}
}

func TestEmitEncodedStateMatchesEmit(t *testing.T) {
	names := []string{"P01", `quote " and \ slash`, "\u2028 \xff"}
	values := []any{
		map[string]any{"n": json.Number("1"), "s": "x", "list": []any{true, nil}}, "text \u2028", nil,
		map[string]any{},
	}
	for _, key := range []string{"input", "output"} {
		for _, name := range names {
			for _, v := range values {
				value, err := encodeJSON(v)
				if err != nil {
					t.Fatal(err)
				}
				viaState := newEmitTxn()
				if err := viaState.emitEncodedState("PassStateEntered", name, key, value); err != nil {
					t.Fatalf("emitEncodedState(%q, %q, %s): %v", name, key, value, err)
				}
				viaMap := newEmitTxn()
				if err := viaMap.emit("PassStateEntered", name, map[string]any{"name": name, key: raw(value)}); err != nil {
					t.Fatalf("emit(%q, %q, %s): %v", name, key, value, err)
				}
				got, want := viaState.events[0].Details, viaMap.events[0].Details
				if !bytes.Equal(got, want) {
					t.Errorf("emitEncodedState(%q, %q, %s) details = %s, emit writes %s", name, key, value, got, want)
				}
			}
		}
	}
}

func TestEmitStateInvalidValue(t *testing.T) {
	tx := newEmitTxn()
	if err := tx.emitState("PassStateExited", "P", "output", json.RawMessage(`{bad`)); err == nil {
		t.Errorf("emitState with invalid JSON returned no error, details %s", tx.events[0].Details)
	}
}

func TestEmitStateFullHistory(t *testing.T) {
	tx := newEmitTxn()
	tx.exec.EventCount = tx.e.maxEvents - 1
	if err := tx.emitState("PassStateEntered", "P", "input", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if len(tx.events) != 0 {
		t.Errorf("emitState at the history limit appended %d events, want 0", len(tx.events))
	}
	if !tx.exec.HistoryFull {
		t.Error("emitState at the history limit did not mark the history full")
	}
}

func newEmitTxn() *txn {
	return &txn{e: &Engine{maxEvents: maxHistoryEvents}, exec: &execRow{Name: "run"}}
}

// emit sizes the buffer of the encoded details before it writes them, so
// that it allocates the buffer once.
func TestEmitDetailsAllocations(t *testing.T) {
	tx := newEmitTxn()
	details := map[string]any{
		"resource": "arn:aws:lambda:us-east-1:123456789012:function:bench",
		"input":    raw(json.RawMessage(`{"step":"T01","n":1,"padding":"` + strings.Repeat("x", 200) + `"}`)),
	}
	tx.events = make([]Event, 0, 1)
	n := testing.AllocsPerRun(100, func() {
		tx.events = tx.events[:0]
		tx.exec.EventCount = 0
		if err := tx.emit("LambdaFunctionScheduled", "T01", details); err != nil {
			t.Fatal(err)
		}
	})
	if n != 1 {
		t.Errorf("emit allocates %v times per call, want 1", n)
	}
	want := `{"input":{"step":"T01","n":1,"padding":"` + strings.Repeat("x", 200) +
		`"},"resource":"arn:aws:lambda:us-east-1:123456789012:function:bench"}`
	if got := string(tx.events[0].Details); got != want {
		t.Errorf("details = %s, want %s", got, want)
	}
}
