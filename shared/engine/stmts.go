package engine

import (
	"context"
	"database/sql"
	"fmt"
)

// storeTx is a write transaction that runs its statements from the
// engine's prepared statements. modernc.org/sqlite otherwise prepares a
// statement again for every call, which took about a quarter of the CPU
// time of a transition.
type storeTx struct {
	e  *Engine
	tx *sql.Tx
	// events are the history events of the transaction, written in bulk
	// just before it commits.
	events []Event
	// bound holds the engine's prepared statements bound to this
	// transaction, so that each is bound once per transaction.
	bound map[*sql.Stmt]*sql.Stmt
	// speculative marks the stand-in transaction of a step that runs
	// outside the write transaction (see stepAhead). Its statements fail
	// with errSpeculative and tx is nil.
	speculative bool
}

// stmt returns the prepared statement of query bound to the transaction,
// or nil when the query is not prepared yet.
func (s *storeTx) stmt(ctx context.Context, query string) *sql.Stmt {
	stmt := s.e.prepared(query)
	if stmt == nil {
		return nil
	}
	if txStmt := s.bound[stmt]; txStmt != nil {
		return txStmt
	}
	if s.bound == nil {
		s.bound = map[*sql.Stmt]*sql.Stmt{}
	}
	txStmt := s.tx.StmtContext(ctx, stmt)
	s.bound[stmt] = txStmt
	return txStmt
}

func (s *storeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.speculative {
		return nil, errSpeculative
	}
	if stmt := s.stmt(ctx, query); stmt != nil {
		return stmt.ExecContext(ctx, args...)
	}
	return s.tx.ExecContext(ctx, query, args...)
}

func (s *storeTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.speculative {
		return nil, errSpeculative
	}
	if stmt := s.stmt(ctx, query); stmt != nil {
		return stmt.QueryContext(ctx, args...)
	}
	return s.tx.QueryContext(ctx, query, args...)
}

func (s *storeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s.speculative {
		// database/sql returns a row whose Scan fails with the context's
		// error, without using a connection, for a context that ended.
		ended, cancel := context.WithCancel(ctx)
		cancel()
		return s.e.db.QueryRowContext(ended, query, args...)
	}
	if stmt := s.stmt(ctx, query); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return s.tx.QueryRowContext(ctx, query, args...)
}

func (s *storeTx) Commit() error   { return s.tx.Commit() }
func (s *storeTx) Rollback() error { return s.tx.Rollback() }

// queryRow runs a query outside any transaction, from its prepared
// statement once the Run loop prepared it. Do not call it from a request
// of update, whose batch holds the store's only connection.
func (e *Engine) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt := e.prepared(query); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return e.db.QueryRowContext(ctx, query, args...)
}

// query runs a multi-row query outside any transaction, under the same
// rules as queryRow.
func (e *Engine) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if stmt := e.prepared(query); stmt != nil {
		return stmt.QueryContext(ctx, args...)
	}
	return e.db.QueryContext(ctx, query, args...)
}

// beginTx starts a write transaction.
func (e *Engine) beginTx(ctx context.Context) (*storeTx, error) {
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &storeTx{e: e, tx: tx}, nil
}

// prepared returns the prepared statement of a query, or nil when it is
// not prepared yet. It cannot prepare the query itself: the store has one
// connection, and the calling transaction holds it. It queues the query
// for prepareQueued instead.
func (e *Engine) prepared(query string) *sql.Stmt {
	e.stmtMu.Lock()
	defer e.stmtMu.Unlock()
	stmt, ok := e.stmts[query]
	if !ok {
		e.stmts[query] = nil
		e.queued = append(e.queued, query)
	}
	return stmt
}

// hasQueued reports whether queries wait for prepareQueued.
func (e *Engine) hasQueued() bool {
	e.stmtMu.Lock()
	defer e.stmtMu.Unlock()
	return len(e.queued) > 0
}

// prepareQueued prepares the queries that transactions used unprepared.
// Call it outside any transaction of the engine.
func (e *Engine) prepareQueued(ctx context.Context) error {
	e.stmtMu.Lock()
	queued := e.queued
	e.queued = nil
	e.stmtMu.Unlock()
	for i, query := range queued {
		stmt, err := e.db.PrepareContext(ctx, query)
		if err != nil {
			// The queries after this one go back to the queue. This one
			// does too when ctx ended, and otherwise runs unprepared.
			rest := queued[i+1:]
			if ctx.Err() != nil {
				rest = queued[i:]
			}
			e.stmtMu.Lock()
			e.queued = append(e.queued, rest...)
			e.stmtMu.Unlock()
			return fmt.Errorf("prepare statement: %w", err)
		}
		e.stmtMu.Lock()
		e.stmts[query] = stmt
		e.stmtMu.Unlock()
	}
	return nil
}

// closeStmts closes every prepared statement.
func (e *Engine) closeStmts() {
	e.stmtMu.Lock()
	defer e.stmtMu.Unlock()
	for query, stmt := range e.stmts {
		if stmt != nil {
			stmt.Close()
		}
		delete(e.stmts, query)
	}
	e.queued = nil
}
