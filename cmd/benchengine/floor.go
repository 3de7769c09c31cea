package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver the engine uses

	"github.com/repolink/repolink/shared/engine"
)

// floorRows is the number of events that one INSERT writes, as in the engine.
const floorRows = 64

// historyFloor returns the rate of storing only the history of the measured
// executions: their events go into the events table of a fresh engine
// store, one row per event and 64 rows per statement, in one transaction.
// An engine that stores history this way cannot run faster on this machine.
func historyFloor(dir string, histories [][]engine.Event) (perSecond float64, err error) {
	path := filepath.Join(dir, "floor.db")
	e, err := engine.Open(path, engine.Options{})
	if err != nil {
		return 0, err
	}
	e.Close()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	var events []engine.Event
	for _, h := range histories {
		events = append(events, h...)
	}
	ctx := context.Background()
	start := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	full, err := tx.PrepareContext(ctx, floorInsert(floorRows))
	if err != nil {
		return 0, err
	}
	args := make([]any, 0, 6*floorRows)
	for len(events) > 0 {
		n := min(len(events), floorRows)
		args = args[:0]
		for _, ev := range events[:n] {
			args = append(args, ev.Execution, ev.ID, ev.Type, ev.State, ev.Timestamp.UnixNano(), string(ev.Details))
		}
		stmt := full
		if n < floorRows {
			if stmt, err = tx.PrepareContext(ctx, floorInsert(n)); err != nil {
				return 0, err
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return 0, fmt.Errorf("write %d events: %w", n, err)
		}
		events = events[n:]
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return float64(len(histories)) / time.Since(start).Seconds(), nil
}

func floorInsert(n int) string {
	return `INSERT INTO events (execution, id, type, state, ts, details) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", n), ", ")
}
