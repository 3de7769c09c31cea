package engine

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Kinds of execution_changes rows. Stop and Redrive write them, so that
// the Run loop of another process logs the change. Start writes none,
// because it is kept to the fewest row writes, and Run finds new
// executions by their rowid in the executions table instead.
const (
	changeStopped  = "stopped"
	changeRedriven = "redriven"
)

// changeBatch is the maximum number of added executions, and of execution
// changes, that Run reads from the store at once.
const changeBatch = 500

// Run keeps the last keptChanges rows of execution_changes, and deletes the
// older ones after every pruneChangesEvery changes. Run reads the rows at
// every poll, so only a Run loop that falls behind by more than
// keptChanges changes misses some.
const (
	keptChanges       = 10000
	pruneChangesEvery = 1000
)

// changeWatch is the position of a Run loop in the executions and
// execution_changes tables.
type changeWatch struct {
	added  int64 // rowid of the last execution read
	seq    int64 // seq of the last execution change read
	ready  bool  // added and seq are set
	pruned int64 // seq at the last prune
}

// watchOwnStarts makes Start note the executions that it adds, so that
// logOutsideChanges does not log them a second time, until the returned
// function is called.
// NOTE: a Start that began before this call and commits after the first
// read of logOutsideChanges is logged a second time, as another process's.
func (e *Engine) watchOwnStarts() (stop func()) {
	e.mu.Lock()
	e.ownStarts = map[string]bool{}
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		e.ownStarts = nil
		e.mu.Unlock()
	}
}

// noteOwnStart records that Start adds the execution name, before the
// commit, so that Run never reads the row before the note.
func (e *Engine) noteOwnStart(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ownStarts != nil {
		e.ownStarts[name] = true
	}
}

// dropOwnStart takes back noteOwnStart after a failed commit.
func (e *Engine) dropOwnStart(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.ownStarts, name)
}

// takeOwnStart reports whether Start of this engine added the execution
// name, and removes the note.
func (e *Engine) takeOwnStart(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	own := e.ownStarts[name]
	delete(e.ownStarts, name)
	return own
}

// defaultProcessKind returns the program name and, when it is not a flag,
// its first argument, such as "repolink stop".
func defaultProcessKind() string {
	if len(os.Args) == 0 {
		return ""
	}
	kind := filepath.Base(os.Args[0])
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		kind += " " + os.Args[1]
	}
	return kind
}

// recordChange stores a change of the execution of t, which the Run loops
// of other processes log.
// NOTE: an engine built before the execution_changes table records
// nothing, so the changes it makes are not logged elsewhere.
func (t *txn) recordChange(change string) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO execution_changes (execution, machine, change, error,
		redrive_count, writer, process, pid, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.exec.Name, t.exec.Machine, change, t.exec.Error, t.exec.RedriveCount, t.e.writer,
		t.e.processKind, os.Getpid(), t.now.UnixNano())
	if err != nil {
		return fmt.Errorf("record %s change of execution %q: %w", change, t.exec.Name, err)
	}
	return nil
}

// logOutsideChanges logs the starts, stops and redrives of executions that
// other engines made since the last call, with the same messages that this
// engine logs for its own. It reads both tables in one snapshot, so that a
// start is logged before a stop or redrive of the same execution. The
// first call only finds the last of each, so that older changes are not
// logged. It reports whether more changes may wait than one read returns.
func (e *Engine) logOutsideChanges(ctx context.Context, w *changeWatch) (bool, error) {
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("read execution changes: %w", err)
	}
	defer tx.Rollback()
	if !w.ready {
		err := tx.QueryRowContext(ctx, `SELECT (SELECT COALESCE(MAX(rowid), 0) FROM executions),
			(SELECT COALESCE(MAX(seq), 0) FROM execution_changes)`).Scan(&w.added, &w.seq)
		if err != nil {
			return false, fmt.Errorf("read last execution change: %w", err)
		}
		w.ready, w.pruned = true, w.seq
		return false, nil
	}

	moreStarts, err := e.logOutsideStarts(ctx, tx, w)
	if err != nil {
		return false, err
	}
	moreChanges, err := e.logOutsideStopsAndRedrives(ctx, tx, w)
	if err != nil {
		return false, err
	}
	return moreStarts || moreChanges, nil
}

// logOutsideStarts logs the executions added after w.added that Start of
// this engine did not add. The store does not record which process added
// an execution.
func (e *Engine) logOutsideStarts(ctx context.Context, tx *sql.Tx, w *changeWatch) (bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT rowid, name, machine FROM executions
		WHERE rowid > ? ORDER BY rowid LIMIT ?`, w.added, changeBatch)
	if err != nil {
		return false, fmt.Errorf("read added executions: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, machine string
		if err := rows.Scan(&w.added, &name, &machine); err != nil {
			return false, fmt.Errorf("read added executions: %w", err)
		}
		n++
		if !e.takeOwnStart(name) {
			e.log.Info("execution started", "execution", name, "machine", machine, "process", "another process")
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("read added executions: %w", err)
	}
	return n == changeBatch, nil
}

// changeRow is a row of execution_changes.
type changeRow struct {
	seq          int64
	execution    string
	machine      string
	change       string
	errName      string
	redriveCount int
	writer       string
	process      string
	pid          int
}

// logOutsideStopsAndRedrives logs the rows of execution_changes after
// w.seq that other engines wrote.
func (e *Engine) logOutsideStopsAndRedrives(ctx context.Context, tx *sql.Tx, w *changeWatch) (bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, execution, machine, change, error, redrive_count,
		writer, process, pid FROM execution_changes WHERE seq > ? ORDER BY seq LIMIT ?`, w.seq, changeBatch)
	if err != nil {
		return false, fmt.Errorf("read execution changes: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var c changeRow
		if err := rows.Scan(&c.seq, &c.execution, &c.machine, &c.change, &c.errName, &c.redriveCount,
			&c.writer, &c.process, &c.pid); err != nil {
			return false, fmt.Errorf("read execution changes: %w", err)
		}
		n++
		w.seq = c.seq
		if c.writer == e.writer {
			continue
		}
		switch c.change {
		case changeStopped:
			e.log.Info("execution stopped", "execution", c.execution, "machine", c.machine,
				"status", StatusAborted, "error", c.errName, "process", c.process, "pid", c.pid)
		case changeRedriven:
			e.log.Info("execution redriven", "execution", c.execution, "redrive_count", c.redriveCount,
				"process", c.process, "pid", c.pid)
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("read execution changes: %w", err)
	}
	return n == changeBatch, nil
}

// pruneChanges deletes the rows of execution_changes that are more than
// keptChanges behind the last one that w read, once every
// pruneChangesEvery changes.
func (e *Engine) pruneChanges(ctx context.Context, w *changeWatch) error {
	if !w.ready || w.seq-w.pruned < pruneChangesEvery {
		return nil
	}
	if _, err := e.db.ExecContext(ctx, `DELETE FROM execution_changes WHERE seq <= ?`, w.seq-keptChanges); err != nil {
		return fmt.Errorf("delete old execution changes: %w", err)
	}
	w.pruned = w.seq
	return nil
}
