package engine

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDefine checks that Define never panics, that it rejects valid JSON
// only with a *DefinitionError, and that a definition it accepts is accepted
// again after JSON re-encoding.
func FuzzDefine(f *testing.F) {
	// The conformance cases are small definitions that use every state type
	// and field. The shipped state machines are left out because inputs of
	// tens of kilobytes make each mutation and minimization slow.
	cases, err := filepath.Glob(filepath.Join("testdata", "conformance", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range cases {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		var c struct {
			Definition json.RawMessage `json:"definition"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			f.Fatalf("read conformance case %s: %v", path, err)
		}
		f.Add([]byte(c.Definition))
	}
	f.Add([]byte(`{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`))
	f.Add([]byte(`{"StartAt": "A", "States": {"A": {"Type": "Wait", "SecondsPath": "$.s", "Next": "A"}}}`))
	f.Add([]byte(`{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`))

	e, err := Open(filepath.Join(f.TempDir(), "engine.db"), Options{PollInterval: testPoll})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })

	f.Fuzz(func(t *testing.T, data []byte) {
		err := e.Define("fuzz", data)
		if err != nil {
			var defErr *DefinitionError
			if json.Valid(data) && !errors.As(err, &defErr) {
				t.Fatalf("Define rejected valid JSON without a *DefinitionError: %T %v", err, err)
			}
			return
		}

		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("Define accepted input that is not JSON: %v", err)
		}
		encoded, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Define("fuzz-again", encoded); err != nil {
			t.Fatalf("Define rejected the re-encoded definition it accepted before: %v", err)
		}
	})
}

// FuzzParsePath checks that ParsePath never panics, that a parsed path
// keeps its text, that Get never panics on any JSON document, and that a
// value written with Set at a reference path reads back with Get.
func FuzzParsePath(f *testing.F) {
	for _, seed := range []struct{ path, doc string }{
		{"$", `{}`},
		{"$.a.b[0]", `{"a": {"b": [1, 2]}}`},
		{"$..name", `{"x": {"name": 1}, "y": [{"name": 2}]}`},
		{"$.items[?(@.n > 1)]", `{"items": [{"n": 1}, {"n": 2}]}`},
		{"$['a b'][-1:]", `{"a b": [1, 2, 3]}`},
		{"$$.Execution.Id", `{}`},
		{"$.a[0,2]", `{"a": [1, 2, 3]}`},
		{"$.*", `[1, {"a": null}]`},
	} {
		f.Add(seed.path, seed.doc)
	}

	f.Fuzz(func(t *testing.T, text, docJSON string) {
		p, err := ParsePath(text)
		if err != nil {
			return
		}
		if p.String() != text {
			t.Fatalf("ParsePath(%q).String() = %q", text, p.String())
		}

		doc, err := decodeJSON([]byte(docJSON))
		if err != nil {
			return
		}
		_, _ = p.Get(doc)

		if !p.isReference() {
			return
		}
		value := objectOf("written", "by the fuzz test")
		updated, err := p.Set(doc, value)
		if err != nil {
			return
		}
		got, err := p.Get(updated)
		if err != nil {
			t.Fatalf("Get(%q) after Set: %v", text, err)
		}
		if diff := cmp.Diff(value, got, objectComparer); diff != "" {
			t.Fatalf("Get(%q) after Set (-want +got):\n%s", text, diff)
		}
	})
}
