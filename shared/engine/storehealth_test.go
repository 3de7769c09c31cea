package engine

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/repolink/repolink/shared/storehealth"
)

// TestRunUnwritableStoreLoggedOnce checks that a Run loop on a store that
// rejects writes logs the condition once and then once a minute, instead
// of at every poll, and that work resumes when writes succeed again.
// PRAGMA query_only makes SQLite reject writes with SQLITE_READONLY, the
// error of a read-only store file.
func TestRunUnwritableStoreLoggedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logBuffer
		logger := slog.New(slog.NewJSONHandler(&logs, nil))
		dir := t.TempDir()
		health := storehealth.New(dir, storehealth.Options{Logger: logger})
		e := openEngine(t, filepath.Join(dir, "engine.db"),
			`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"Next":"T"},
			"T":{"Type":"Task","Resource":"step","End":true}}}`,
			map[string]TaskFunc{"step": constTask(`{"ok":true}`)},
			Options{PollInterval: 200 * time.Millisecond, Logger: logger, StoreHealth: health})
		ctx := context.Background()
		if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
		runEngine(t, e)
		if _, err := e.db.Exec(`PRAGMA query_only = 1`); err != nil {
			t.Fatal(err)
		}

		time.Sleep(150 * time.Second)
		synctest.Wait()
		if health.Err() == nil {
			t.Error("store health is ok while writes fail")
		}
		if got := len(logs.records(t, "hold runner lease")); got != 0 {
			t.Errorf("%d hold runner lease records, want 0", got)
		}
		if got := len(logs.records(t, "advance execution")); got != 0 {
			t.Errorf("%d advance execution records, want 0", got)
		}
		if got := len(logs.records(t, "state store cannot take writes")); got != 1 {
			t.Errorf("%d records of the start of the condition, want 1", got)
		}
		repeats := logs.records(t, "state store still cannot take writes")
		if len(repeats) != 2 {
			t.Fatalf("%d repeat records in 150 s, want 2", len(repeats))
		}
		if count, _ := repeats[0]["failed_writes"].(float64); count < 2 {
			t.Errorf("failed_writes = %v, want the count of failed writes in a minute", repeats[0]["failed_writes"])
		}

		if _, err := e.db.Exec(`PRAGMA query_only = 0`); err != nil {
			t.Fatal(err)
		}
		x, err := e.Wait(ctx, "run")
		if err != nil {
			t.Fatal(err)
		}
		if x.Status != StatusSucceeded {
			t.Errorf("status = %s after writes succeed again, want %s", x.Status, StatusSucceeded)
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if err := health.Err(); err != nil {
			t.Errorf("store health = %v after writes succeed again, want ok", err)
		}
		if got := len(logs.records(t, "state store takes writes again")); got != 1 {
			t.Errorf("%d records of the end of the condition, want 1", got)
		}
	})
}
