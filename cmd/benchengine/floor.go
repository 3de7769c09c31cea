package main

import (
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the driver the engine uses

	"github.com/repolink/repolink/shared/engine"
)

// floorRows is the number of event_parts rows that one INSERT writes, as
// in the engine.
const floorRows = 64

// historyParts splits each history into the parts that the engine stored
// in the database at path store. A part is the events of one execution
// that one write batch appended, which the engine stores as one
// event_parts row.
func historyParts(store string, histories [][]engine.Event) ([][][]engine.Event, error) {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: store}).EscapedPath()+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", store, err)
	}
	defer db.Close()
	out := make([][][]engine.Event, len(histories))
	for i, h := range histories {
		if len(h) == 0 {
			continue
		}
		if out[i], err = splitHistory(db, h); err != nil {
			return nil, fmt.Errorf("split the history of %s: %w", h[0].Execution, err)
		}
	}
	return out, nil
}

// splitHistory cuts a history, in order of ID, at the last event of each
// of its event_parts rows.
func splitHistory(db *sql.DB, history []engine.Event) ([][]engine.Event, error) {
	rows, err := db.Query(`SELECT first_id, last_id FROM event_parts WHERE execution = ? ORDER BY first_id`,
		history[0].Execution)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var parts [][]engine.Event
	rest := history
	for rows.Next() {
		var first, last int64
		if err := rows.Scan(&first, &last); err != nil {
			return nil, err
		}
		if len(rest) == 0 || rest[0].ID != first {
			return nil, fmt.Errorf("event_parts row from event %d does not start at the next event of the history", first)
		}
		n := 0
		for n < len(rest) && rest[n].ID <= last {
			n++
		}
		parts = append(parts, rest[:n])
		rest = rest[n:]
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("events from %d on are in no event_parts row", rest[0].ID)
	}
	return parts, nil
}

// historyFloor returns the rate of storing only the history of the measured
// executions, split into the parts that the engine wrote: each part is
// encoded with the engine's encoding and written as one event_parts row of
// a fresh engine store, 64 rows per statement, all in one transaction. The
// engine writes the same rows in a transaction per write batch, beside the
// state changes, so it cannot run faster on this machine. It also returns
// the mean encoded size of one execution's parts.
func historyFloor(dir string, histories [][][]engine.Event) (perSecond float64, meanBytes int, err error) {
	path := filepath.Join(dir, "floor.db")
	e, err := engine.Open(path, engine.Options{})
	if err != nil {
		return 0, 0, err
	}
	e.Close()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	var parts [][]engine.Event
	for _, h := range histories {
		parts = append(parts, h...)
	}
	ctx := context.Background()
	start := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	full, err := tx.PrepareContext(ctx, floorInsert(floorRows))
	if err != nil {
		return 0, 0, err
	}
	args := make([]any, 0, 4*floorRows)
	var buf []byte
	var ends []int
	size := 0
	for len(parts) > 0 {
		n := min(len(parts), floorRows)
		args = args[:0]
		buf, ends = buf[:0], ends[:0]
		for _, part := range parts[:n] {
			buf = engine.AppendHistoryPart(buf, part)
			ends = append(ends, len(buf))
		}
		from := 0
		for i, part := range parts[:n] {
			args = append(args, part[0].Execution, part[0].ID, part[len(part)-1].ID, buf[from:ends[i]])
			from = ends[i]
		}
		size += len(buf)
		stmt := full
		if n < floorRows {
			if stmt, err = tx.PrepareContext(ctx, floorInsert(n)); err != nil {
				return 0, 0, err
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return 0, 0, fmt.Errorf("write %d history parts: %w", n, err)
		}
		parts = parts[n:]
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, err
	}
	return float64(len(histories)) / time.Since(start).Seconds(), size / max(len(histories), 1), nil
}

func floorInsert(n int) string {
	return `INSERT INTO event_parts (execution, first_id, last_id, data) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", n), ", ")
}

// durableFloor measures the writes that any engine needs to keep the
// store's durability rules, and nothing else. A task that completed never
// runs again, so each task outcome commits before the next task starts.
// The history must also be in SQLite.
//
// For every execution it writes the input, then the output of each task
// over that row, in one transaction per task shared by all executions.
// The last transaction also writes the execution's event details as one
// row, compressed with DEFLATE at its fastest level. Compression runs on
// every core and counts in the time, but encoding the events does not.
// It also returns the mean size of a compressed history.
func durableFloor(dir string, histories [][]engine.Event) (perSecond float64, meanBytes int, err error) {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: filepath.Join(dir, "durable.db")}).EscapedPath()+
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE checkpoints (execution TEXT PRIMARY KEY, data TEXT NOT NULL);
		CREATE TABLE histories (execution TEXT PRIMARY KEY, events BLOB NOT NULL)`); err != nil {
		return 0, 0, err
	}

	// rounds[k][i] is what execution i commits in round k: its input,
	// then each task's output.
	var rounds [][]string
	for i, h := range histories {
		k := 0
		for _, ev := range h {
			if ev.Type != "ExecutionStarted" && engine.TaskEventType(ev.Type) != "TaskSucceeded" {
				continue
			}
			if k == len(rounds) {
				rounds = append(rounds, make([]string, len(histories)))
			}
			rounds[k][i] = string(ev.Details)
			k++
		}
	}

	start := time.Now()
	compressed := make(chan [][]byte, 1)
	go func() { compressed <- compressHistories(histories) }()
	var blobs [][]byte
	for k, round := range rounds {
		last := k == len(rounds)-1
		if last {
			blobs = <-compressed
		}
		if err := writeRound(ctx, db, histories, round, blobs); err != nil {
			return 0, 0, fmt.Errorf("write round %d: %w", k, err)
		}
	}
	perSecond = float64(len(histories)) / time.Since(start).Seconds()
	for _, b := range blobs {
		meanBytes += len(b)
	}
	return perSecond, meanBytes / max(len(blobs), 1), nil
}

// writeRound commits one checkpoint per execution and, when blobs is set,
// every history.
func writeRound(ctx context.Context, db *sql.DB, histories [][]engine.Event, round []string, blobs [][]byte) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	upsert, err := tx.PrepareContext(ctx, `INSERT INTO checkpoints (execution, data) VALUES (?, ?)
		ON CONFLICT (execution) DO UPDATE SET data = excluded.data`)
	if err != nil {
		return err
	}
	for i, data := range round {
		if _, err := upsert.ExecContext(ctx, histories[i][0].Execution, data); err != nil {
			return fmt.Errorf("write checkpoint: %w", err)
		}
	}
	if blobs != nil {
		insert, err := tx.PrepareContext(ctx, `INSERT INTO histories (execution, events) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		for i, blob := range blobs {
			if _, err := insert.ExecContext(ctx, histories[i][0].Execution, blob); err != nil {
				return fmt.Errorf("write history: %w", err)
			}
		}
	}
	return tx.Commit()
}

// compressHistories compresses the concatenated event details of each
// history, with one goroutine per core.
func compressHistories(histories [][]engine.Event) [][]byte {
	out := make([][]byte, len(histories))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			var buf bytes.Buffer
			zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
			for i := w; i < len(histories); i += workers {
				buf.Reset()
				zw.Reset(&buf)
				for _, ev := range histories[i] {
					zw.Write(ev.Details)
				}
				zw.Close()
				out[i] = bytes.Clone(buf.Bytes())
			}
		})
	}
	wg.Wait()
	return out
}
