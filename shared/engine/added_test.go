package engine

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestListAddedAfter starts executions of two machines and reads them back
// in pages, in the order the store added them, and checks Path.
func TestListAddedAfter(t *testing.T) {
	definition := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	path := filepath.Join(t.TempDir(), "engine.db")
	e := openEngine(t, path, definition, nil, Options{PollInterval: testPoll})
	if e.Path() != path {
		t.Errorf("Path() = %q, want %q", e.Path(), path)
	}
	ctx := context.Background()
	if err := e.Define("n", []byte(definition)); err != nil {
		t.Fatal(err)
	}
	// Names in other than alphabetical order show that the list follows
	// the order of the starts.
	starts := []struct{ machine, name, input string }{{"m", "c", `{"k":1}`}, {"n", "a", `{"k":2}`}, {"m", "b", `{"k":3}`}}
	for _, s := range starts {
		if _, err := e.Start(ctx, s.machine, s.name, json.RawMessage(s.input)); err != nil {
			t.Fatal(err)
		}
	}

	first, err := e.ListAddedAfter(ctx, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 {
		t.Fatalf("first page: %d executions, want 2", len(first))
	}
	rest, err := e.ListAddedAfter(ctx, first[1].Seq, 2)
	if err != nil {
		t.Fatal(err)
	}
	all := append(first, rest...)
	if len(all) != len(starts) {
		t.Fatalf("ListAddedAfter: %d executions in all, want %d", len(all), len(starts))
	}
	for i, x := range all {
		s := starts[i]
		if x.Name != s.name || x.Machine != s.machine || string(x.Input) != s.input {
			t.Errorf("execution %d = %s of %s with %s, want %s of %s with %s", i, x.Name, x.Machine, x.Input, s.name, s.machine, s.input)
		}
		if i > 0 && x.Seq <= all[i-1].Seq {
			t.Errorf("execution %d has Seq %d, not above %d of the one before", i, x.Seq, all[i-1].Seq)
		}
	}
	none, err := e.ListAddedAfter(ctx, all[len(all)-1].Seq, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(none) != 0 {
		t.Errorf("after the last: %d executions, want none", len(none))
	}
}
