package engine

import (
	"context"
	"path/filepath"
	"testing"
)

func TestPrepareQueuedKeepsQueueOnCancel(t *testing.T) {
	e := openEngine(t, filepath.Join(t.TempDir(), "engine.db"), "", nil, Options{})
	queries := []string{`SELECT COUNT(*) FROM cursors`, `SELECT COUNT(*) FROM executions`}
	for _, query := range queries {
		if stmt := e.prepared(query); stmt != nil {
			t.Fatalf("query %q is prepared before prepareQueued ran", query)
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.prepareQueued(cancelled); err == nil {
		t.Fatal("prepareQueued with a cancelled context returned no error")
	}
	if err := e.prepareQueued(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, query := range queries {
		if stmt := e.prepared(query); stmt == nil {
			t.Errorf("query %q is not prepared after prepareQueued ran again", query)
		}
	}
}
