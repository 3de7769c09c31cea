package engine

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestEncodeDeepNestingLinear checks that encoding a value nested deeper
// than maxFastDepth allocates in proportion to its text, not to its depth
// times its text. 9,999 levels is close to the 10,000 that the decoder
// allows, so a state input can nest this deep.
func TestEncodeDeepNestingLinear(t *testing.T) {
	tests := []struct {
		name        string
		open, close string
		levels      int
	}{
		{"objects", `{"a":`, `}`, 9999},
		{"arrays", `[`, `]`, 9999},
		{"objects in arrays", `{"a":[`, `]}`, 4999},
		{"object with a large leaf", `{"a":`, `}`, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := "1"
			if tt.name == "object with a large leaf" {
				leaf = `"` + strings.Repeat("x", 100_000) + `"`
			}
			text := strings.Repeat(tt.open, tt.levels) + leaf + strings.Repeat(tt.close, tt.levels)
			v, err := decodeJSON([]byte(text))
			if err != nil {
				t.Fatal(err)
			}

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			out, err := encodeJSON(v)
			runtime.ReadMemStats(&after)

			if err != nil {
				t.Fatal(err)
			}
			if string(out) != text {
				t.Errorf("encodeJSON wrote %d bytes that differ from the %d-byte input", len(out), len(text))
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			if limit := uint64(64 * len(text)); allocated > limit {
				t.Errorf("encodeJSON of %d bytes allocated %d bytes, want at most %d", len(text), allocated, limit)
			}
		})
	}
}

// TestEncodeCycleFails checks that a value that contains itself is an
// error, as in encoding/json, rather than a stack overflow.
func TestEncodeCycleFails(t *testing.T) {
	object := objectOf("a", 1)
	object.Set("self", object)

	list := []any{1, nil}
	list[1] = list

	m := map[string]any{"a": 1}
	m["self"] = m

	for name, v := range map[string]any{"object": object, "array": list, "map": m} {
		t.Run(name, func(t *testing.T) {
			out, err := encodeJSON(v)
			if !errors.Is(err, errCycle) {
				t.Errorf("encodeJSON = %.40s..., %v, want errCycle", out, err)
			}
		})
	}
}

// TestEncodeSharedValueTwice checks that a value that appears twice without
// containing itself, deeper than maxFastDepth, is not taken for a cycle.
func TestEncodeSharedValueTwice(t *testing.T) {
	shared := objectOf("k", "v")
	var deep any = objectOf("x", shared, "y", shared)
	for range maxFastDepth + 10 {
		deep = []any{deep}
	}
	out, err := encodeJSON(deep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `{"x":{"k":"v"},"y":{"k":"v"}}`) {
		t.Errorf("encodeJSON lost the shared value: %.80s...", out[len(out)/2:])
	}
}
