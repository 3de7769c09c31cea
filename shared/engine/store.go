package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// schema is the SQLite store. Times are Unix nanoseconds of the engine
// clock. A cursor is one thread of control: the execution's top-level
// states, one Parallel branch or one Map iteration. A cursor with a due_at
// at or before now has work for the Run loop. Cursor IDs are never reused
// (AUTOINCREMENT), because a task function still running for a deleted
// Parallel or Map child is cancelled by its cursor ID. redrive_tokens
// holds the client tokens of an execution's recent redrives, so that a
// repeated RedriveWithToken call redrives nothing again.
// execution_changes lists the stops and redrives of executions in commit
// order, with the engine (writer) and process that made them, so that the
// Run loop of another process can log them (logOutsideChanges).
//
// The definitions table stores each definition text once, keyed by its
// SHA-256 hash. An execution refers to it by definition_hash and leaves
// its definition column NULL, so that the row that every step rewrites
// stays small. Executions started before definition_hash existed have a
// NULL hash and their definition text in the definition column. The NULL
// also stops a repolink built before the definitions table from running
// such an execution, because that repolink fails to read the row. An
// empty text would instead make it fail the execution as an invalid
// definition.
//
// The history of an execution is in event_parts, one row for the events
// that one write batch appended, from first_id to last_id, encoded by
// appendPart. Engines before store format 2 wrote one events row per
// event instead, and History reads both.
const schema = `
CREATE TABLE IF NOT EXISTS machines (
	name       TEXT PRIMARY KEY,
	definition TEXT NOT NULL,
	created_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS executions (
	name          TEXT PRIMARY KEY,
	machine       TEXT NOT NULL,
	definition    TEXT,
	input         TEXT NOT NULL,
	status        TEXT NOT NULL,
	output        TEXT,
	error         TEXT NOT NULL DEFAULT '',
	cause         TEXT NOT NULL DEFAULT '',
	started_at    INTEGER NOT NULL,
	stopped_at    INTEGER NOT NULL DEFAULT 0,
	redrive_count INTEGER NOT NULL DEFAULT 0,
	event_count   INTEGER NOT NULL DEFAULT 0,
	deadline      INTEGER NOT NULL DEFAULT 0,
	history_full  INTEGER NOT NULL DEFAULT 0,
	redriven_at   INTEGER NOT NULL DEFAULT 0,
	definition_hash BLOB
);
CREATE TABLE IF NOT EXISTS definitions (
	hash BLOB PRIMARY KEY,
	text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_deadline ON executions(deadline) WHERE status = 'RUNNING' AND deadline > 0;
CREATE INDEX IF NOT EXISTS executions_running ON executions(started_at) WHERE status = 'RUNNING';
CREATE INDEX IF NOT EXISTS executions_stopped ON executions(stopped_at) WHERE stopped_at > 0;
CREATE INDEX IF NOT EXISTS executions_machine ON executions(machine, started_at);
CREATE TABLE IF NOT EXISTS events (
	execution TEXT NOT NULL,
	id        INTEGER NOT NULL,
	type      TEXT NOT NULL,
	state     TEXT NOT NULL,
	ts        INTEGER NOT NULL,
	details   TEXT NOT NULL,
	PRIMARY KEY (execution, id)
);
CREATE TABLE IF NOT EXISTS event_parts (
	execution TEXT NOT NULL,
	first_id  INTEGER NOT NULL,
	last_id   INTEGER NOT NULL,
	data      BLOB NOT NULL,
	PRIMARY KEY (execution, first_id)
);
CREATE TABLE IF NOT EXISTS cursors (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	execution         TEXT NOT NULL,
	parent            INTEGER NOT NULL DEFAULT 0,
	branch            INTEGER NOT NULL DEFAULT 0,
	scope             TEXT NOT NULL DEFAULT '[]',
	state             TEXT NOT NULL,
	input             TEXT NOT NULL,
	phase             TEXT NOT NULL,
	due_at            INTEGER,
	version           INTEGER NOT NULL DEFAULT 0,
	entered_at        INTEGER NOT NULL DEFAULT 0,
	effective         TEXT,
	retries           TEXT NOT NULL DEFAULT '[]',
	retry_count       INTEGER NOT NULL DEFAULT 0,
	token             TEXT NOT NULL DEFAULT '',
	task_deadline     INTEGER NOT NULL DEFAULT 0,
	heartbeat_seconds INTEGER NOT NULL DEFAULT 0,
	output            TEXT,
	error             TEXT NOT NULL DEFAULT '',
	cause             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS cursors_due ON cursors(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS cursors_parent ON cursors(parent, branch);
CREATE INDEX IF NOT EXISTS cursors_execution ON cursors(execution, parent);
CREATE TABLE IF NOT EXISTS tokens (
	token        TEXT PRIMARY KEY,
	cursor       INTEGER NOT NULL,
	execution    TEXT NOT NULL,
	status       TEXT NOT NULL,
	output       TEXT,
	error        TEXT NOT NULL DEFAULT '',
	cause        TEXT NOT NULL DEFAULT '',
	heartbeat_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_execution ON tokens(execution, status);
CREATE TABLE IF NOT EXISTS redrive_tokens (
	execution     TEXT NOT NULL,
	token         TEXT NOT NULL,
	redrive_count INTEGER NOT NULL,
	redriven_at   INTEGER NOT NULL,
	PRIMARY KEY (execution, token)
);
CREATE TABLE IF NOT EXISTS execution_changes (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	execution     TEXT NOT NULL,
	machine       TEXT NOT NULL,
	change        TEXT NOT NULL,
	error         TEXT NOT NULL DEFAULT '',
	redrive_count INTEGER NOT NULL DEFAULT 0,
	writer        TEXT NOT NULL,
	process       TEXT NOT NULL DEFAULT '',
	pid           INTEGER NOT NULL DEFAULT 0,
	at            INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runner (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	owner      TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
`

// Cursor phases. Terminal phases are done, failed and cancelled.
const (
	phaseEnter     = "enter"     // enter state
	phaseTask      = "task"      // run the task function
	phaseToken     = "token"     // wait for a task token, heartbeat or timeout
	phaseRetry     = "retry"     // retry delay of a Task, Parallel or Map state
	phaseWait      = "wait"      // Wait state timer
	phaseChildren  = "children"  // Parallel or Map state waiting for its children
	phaseQueued    = "queued"    // Map iteration not started yet (MaxConcurrency)
	phaseDone      = "done"      // reached the end with an output
	phaseFailed    = "failed"    // failed with error and cause
	phaseCancelled = "cancelled" // stopped because the execution or a sibling failed
)

// Token statuses.
const (
	tokenPending   = "pending"
	tokenSucceeded = "succeeded"
	tokenFailed    = "failed"
	tokenClosed    = "closed" // timed out, consumed elsewhere, or its task was cancelled
)

// errStale reports that a cursor changed since it was read, so the step
// that read it must be dropped.
var errStale = errors.New("cursor changed since it was read")

type cursor struct {
	ID               int64
	Execution        string
	Parent           int64
	Branch           int
	Scope            []scopeStep
	State            string
	Input            json.RawMessage
	Phase            string
	DueAt            *int64
	Version          int64
	EnteredAt        int64
	Effective        json.RawMessage
	Retries          []int
	RetryCount       int
	Token            string
	TaskDeadline     int64
	HeartbeatSeconds int
	Output           json.RawMessage
	Error            string
	Cause            string

	// inputEncoded marks an Input that encodeJSON wrote in this process,
	// which splicedOutput can edit as text. It is not stored, so a cursor
	// read from the store takes the general path.
	inputEncoded bool
}

const cursorColumns = `id, execution, parent, branch, scope, state, input, phase, due_at, version,
	entered_at, effective, retries, retry_count, token, task_deadline, heartbeat_seconds, output, error, cause`

type rowScanner interface{ Scan(dest ...any) error }

func scanCursor(row rowScanner) (*cursor, error) {
	var cs cursorScan
	if err := row.Scan(cs.dest()...); err != nil {
		return nil, err
	}
	return cs.cursor()
}

// cursorScan receives the cursorColumns of a row.
type cursorScan struct {
	c                 cursor
	scope, retries    string
	effective, output sql.NullString
	due               sql.NullInt64
	input             string
}

// dest returns the Scan destinations for cursorColumns.
func (cs *cursorScan) dest() []any {
	c := &cs.c
	return []any{&c.ID, &c.Execution, &c.Parent, &c.Branch, &cs.scope, &c.State, &cs.input, &c.Phase,
		&cs.due, &c.Version, &c.EnteredAt, &cs.effective, &cs.retries, &c.RetryCount, &c.Token,
		&c.TaskDeadline, &c.HeartbeatSeconds, &cs.output, &c.Error, &c.Cause}
}

// cursor decodes the scanned columns.
func (cs *cursorScan) cursor() (*cursor, error) {
	c := cs.c
	c.Input = json.RawMessage(cs.input)
	if cs.due.Valid {
		due := cs.due.Int64
		c.DueAt = &due
	}
	if cs.effective.Valid {
		c.Effective = json.RawMessage(cs.effective.String)
	}
	if cs.output.Valid {
		c.Output = json.RawMessage(cs.output.String)
	}
	if err := decodeList(cs.scope, &c.Scope); err != nil {
		return nil, fmt.Errorf("decode scope of cursor %d: %w", c.ID, err)
	}
	if err := decodeList(cs.retries, &c.Retries); err != nil {
		return nil, fmt.Errorf("decode retries of cursor %d: %w", c.ID, err)
	}
	return &c, nil
}

// decodeList decodes a JSON array column like json.Unmarshal, without
// reflection for the usual null and empty values.
func decodeList[T any](text string, list *[]T) error {
	switch text {
	case "null":
		*list = nil
		return nil
	case "[]":
		*list = []T{}
		return nil
	}
	return json.Unmarshal([]byte(text), list)
}

// encodeRetries encodes a cursor's retry counts, with [] for none.
func encodeRetries(retries []int) string {
	if len(retries) == 0 {
		return "[]"
	}
	out, _ := json.Marshal(retries)
	return string(out)
}

func nullJSON(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

func nullTime(t *int64) any {
	if t == nil {
		return nil
	}
	return *t
}

func loadCursor(ctx context.Context, tx *storeTx, id int64) (*cursor, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+cursorColumns+` FROM cursors WHERE id = ?`, id)
	c, err := scanCursor(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errStale
	}
	if err != nil {
		return nil, fmt.Errorf("load cursor %d: %w", id, err)
	}
	return c, nil
}

func loadCursors(ctx context.Context, tx *storeTx, where string, args ...any) ([]*cursor, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+cursorColumns+` FROM cursors WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("load cursors: %w", err)
	}
	defer rows.Close()
	var out []*cursor
	for rows.Next() {
		c, err := scanCursor(rows)
		if err != nil {
			return nil, fmt.Errorf("load cursors: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func insertCursor(ctx context.Context, tx *storeTx, c *cursor) error {
	scope, _ := json.Marshal(c.Scope)
	res, err := tx.ExecContext(ctx, `INSERT INTO cursors (execution, parent, branch, scope, state, input,
		phase, due_at, entered_at, effective, retries, retry_count, token, task_deadline,
		heartbeat_seconds, output, error, cause) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.Execution, c.Parent, c.Branch, string(scope), c.State, string(c.Input), c.Phase,
		nullTime(c.DueAt), c.EnteredAt, nullJSON(c.Effective), encodeRetries(c.Retries), c.RetryCount,
		c.Token, c.TaskDeadline, c.HeartbeatSeconds, nullJSON(c.Output), c.Error, c.Cause)
	if err != nil {
		return fmt.Errorf("insert cursor: %w", err)
	}
	c.ID, err = res.LastInsertId()
	return err
}

// saveCursor writes c if its version is unchanged since it was read, and
// increments the version. A changed version returns errStale.
func saveCursor(ctx context.Context, tx *storeTx, c *cursor) error {
	return updateCursor(ctx, tx, c, true, false)
}

// updateCursor writes c as saveCursor does. Without writeDue it leaves
// the due_at column out of SET, for a caller that knows the stored value
// equals c.DueAt, so that SQLite does not rewrite the cursors_due index
// entry. With plain, it also leaves out the columns that hasPlainColumns
// checks, for a caller that knows they are empty in the stored row and in
// c, which saves binding them.
func updateCursor(ctx context.Context, tx *storeTx, c *cursor, writeDue, plain bool) error {
	var query string
	var args []any
	switch {
	case plain && writeDue:
		query = cursorPlainDueUpdate
		args = []any{c.State, string(c.Input), c.Phase, nullTime(c.DueAt), c.EnteredAt, nullJSON(c.Effective), c.ID,
			c.Version}
	case plain:
		query = cursorPlainUpdate
		args = []any{c.State, string(c.Input), c.Phase, c.EnteredAt, nullJSON(c.Effective), c.ID, c.Version}
	case writeDue:
		query = cursorDueUpdate
		args = []any{c.State, string(c.Input), c.Phase, nullTime(c.DueAt), c.EnteredAt, nullJSON(c.Effective),
			encodeRetries(c.Retries), c.RetryCount, c.Token, c.TaskDeadline, c.HeartbeatSeconds,
			nullJSON(c.Output), c.Error, c.Cause, c.ID, c.Version}
	default:
		query = cursorUpdate
		args = []any{c.State, string(c.Input), c.Phase, c.EnteredAt, nullJSON(c.Effective),
			encodeRetries(c.Retries), c.RetryCount, c.Token, c.TaskDeadline, c.HeartbeatSeconds,
			nullJSON(c.Output), c.Error, c.Cause, c.ID, c.Version}
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("save cursor %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errStale
	}
	c.Version++
	return nil
}

// The UPDATE statements of updateCursor.
const (
	cursorVersionWhere = ` WHERE id = ? AND version = ?`
	cursorExtraColumns = `, retries = ?, retry_count = ?, token = ?,
		task_deadline = ?, heartbeat_seconds = ?, output = ?, error = ?, cause = ?`

	cursorPlainDueUpdate = `UPDATE cursors SET state = ?, input = ?, phase = ?, due_at = ?,
		version = version + 1, entered_at = ?, effective = ?` + cursorVersionWhere
	cursorPlainUpdate = `UPDATE cursors SET state = ?, input = ?, phase = ?,
		version = version + 1, entered_at = ?, effective = ?` + cursorVersionWhere
	cursorDueUpdate = `UPDATE cursors SET state = ?, input = ?, phase = ?, due_at = ?,
		version = version + 1, entered_at = ?, effective = ?` + cursorExtraColumns + cursorVersionWhere
	cursorUpdate = `UPDATE cursors SET state = ?, input = ?, phase = ?,
		version = version + 1, entered_at = ?, effective = ?` + cursorExtraColumns + cursorVersionWhere
)

// hasPlainColumns reports whether the columns that a plain updateCursor
// leaves out have their empty values in c: no retries, token, task
// deadline, heartbeat, output, error or cause. The effective input is not
// one of them, because the step that enters a Task state sets it, and a
// plain write still writes it.
func (c *cursor) hasPlainColumns() bool {
	return len(c.Retries) == 0 && c.RetryCount == 0 && c.Token == "" &&
		c.TaskDeadline == 0 && c.HeartbeatSeconds == 0 && c.Output == nil && c.Error == "" && c.Cause == ""
}

// execRow is an executions row.
type execRow struct {
	Name    string
	Machine string
	// DefinitionHash is the key of the definition in the definitions
	// table, or nil when the definition is in the executions row.
	DefinitionHash []byte
	Input          json.RawMessage
	Status         string
	Output         json.RawMessage
	Error          string
	Cause          string
	StartedAt      int64
	StoppedAt      int64
	RedriveCount   int
	EventCount     int64
	Deadline       int64
	HistoryFull    bool
	RedrivenAt     int64
}

const execColumns = `name, machine, definition_hash, input, status, output, error, cause, started_at,
	stopped_at, redrive_count, event_count, deadline, history_full, redriven_at`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func loadExecution(ctx context.Context, q querier, name string) (*execRow, error) {
	return scanExecution(q.QueryRowContext(ctx, `SELECT `+execColumns+` FROM executions WHERE name = ?`, name))
}

func scanExecution(row rowScanner) (*execRow, error) {
	var xs execScan
	err := row.Scan(xs.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrExecutionNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load execution: %w", err)
	}
	return xs.execution(), nil
}

// execScan receives the execColumns of a row.
type execScan struct {
	x      execRow
	output sql.NullString
	input  string
}

// dest returns the Scan destinations for execColumns.
func (xs *execScan) dest() []any {
	x := &xs.x
	return []any{&x.Name, &x.Machine, &x.DefinitionHash, &xs.input, &x.Status, &xs.output, &x.Error,
		&x.Cause, &x.StartedAt, &x.StoppedAt, &x.RedriveCount, &x.EventCount, &x.Deadline, &x.HistoryFull,
		&x.RedrivenAt}
}

// execution decodes the scanned columns.
func (xs *execScan) execution() *execRow {
	x := xs.x
	x.Input = json.RawMessage(xs.input)
	if xs.output.Valid {
		x.Output = json.RawMessage(xs.output.String)
	}
	return &x
}

var cursorExecutionQuery = `SELECT ` + prefixed("c.", cursorColumns) + `, ` + prefixed("x.", execColumns) + `
	FROM cursors c JOIN executions x ON x.name = c.execution WHERE c.id = ?`

// loadCursorExecution reads a cursor and its execution row with one
// query. It returns errStale for a missing cursor and
// ErrExecutionNotFound for a cursor without an execution row.
func loadCursorExecution(ctx context.Context, tx *storeTx, id int64) (*cursor, *execRow, error) {
	var cs cursorScan
	var xs execScan
	err := tx.QueryRowContext(ctx, cursorExecutionQuery, id).Scan(append(cs.dest(), xs.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		// Tell a deleted cursor (errStale) from a missing execution.
		if _, err := loadCursor(ctx, tx, id); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrExecutionNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load cursor %d: %w", id, err)
	}
	c, err := cs.cursor()
	if err != nil {
		return nil, nil, err
	}
	return c, xs.execution(), nil
}

// execVersion holds the columns of an executions row that saveExecution
// compares before it writes, so that a request with an out-of-date copy
// of the row fails with errStale. The output, error and cause columns
// change only together with status or stopped_at, so they need no check.
type execVersion struct {
	status       string
	stoppedAt    int64
	redriveCount int
	eventCount   int64
	deadline     int64
	historyFull  bool
	redrivenAt   int64
}

func (x *execRow) version() execVersion {
	return execVersion{status: x.Status, stoppedAt: x.StoppedAt, redriveCount: x.RedriveCount,
		eventCount: x.EventCount, deadline: x.Deadline, historyFull: x.HistoryFull, redrivenAt: x.RedrivenAt}
}

// cursorCheck is the ID and expected version of a cursor row.
type cursorCheck struct {
	id      int64
	version int64
}

// The UPDATE statements of saveExecution. Most steps change only
// the event count. Leaving the columns of the executions indexes out of
// SET keeps SQLite from rewriting those index entries, and every column
// left out is a value less to bind.
const (
	execCheckWhere = ` WHERE name = ? AND status = ? AND stopped_at = ? AND redrive_count = ? AND event_count = ?
		AND deadline = ? AND history_full = ? AND redriven_at = ?`
	cursorCheckWhere = ` AND (SELECT version FROM cursors WHERE id = ?) = ?`

	execCountUpdate = `UPDATE executions SET event_count = ?` + execCheckWhere
	execRowUpdate   = `UPDATE executions SET output = ?, error = ?, cause = ?,
		redrive_count = ?, event_count = ?, history_full = ?, redriven_at = ?` + execCheckWhere
	execStatusUpdate = `UPDATE executions SET status = ?, output = ?, error = ?, cause = ?,
		stopped_at = ?, redrive_count = ?, event_count = ?, deadline = ?, history_full = ?, redriven_at = ?` +
		execCheckWhere
)

// saveExecution writes x if the row still has the values in read, and
// returns errStale otherwise. A step that reuses the row that its chain
// wrote last relies on this check, because a sibling cursor or another
// process may have written the row since. With a cursor check, it also
// returns errStale, and writes nothing, when that cursor row has another
// version.
func saveExecution(ctx context.Context, tx *storeTx, x *execRow, read execVersion, check *cursorCheck) error {
	var query string
	var args []any
	switch {
	case x.version() == read.withEventCount(x.EventCount):
		// The output, error and cause columns change only together with
		// status or stopped_at (see execVersion), so they are unchanged.
		query = execCountUpdate
		args = append(make([]any, 0, 11), x.EventCount)
	case x.Status == read.status && x.StoppedAt == read.stoppedAt && x.Deadline == read.deadline:
		query = execRowUpdate
		args = append(make([]any, 0, 17), nullJSON(x.Output), x.Error, x.Cause, x.RedriveCount, x.EventCount,
			x.HistoryFull, x.RedrivenAt)
	default:
		query = execStatusUpdate
		args = append(make([]any, 0, 20), x.Status, nullJSON(x.Output), x.Error, x.Cause, x.StoppedAt,
			x.RedriveCount, x.EventCount, x.Deadline, x.HistoryFull, x.RedrivenAt)
	}
	args = append(args, x.Name, read.status, read.stoppedAt, read.redriveCount, read.eventCount, read.deadline,
		read.historyFull, read.redrivenAt)
	if check != nil {
		query = checkedQueries[query]
		args = append(args, check.id, check.version)
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("save execution %q: %w", x.Name, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errStale
	}
	return nil
}

// checkedQueries maps each UPDATE of saveExecution to the same
// statement with the cursor check.
var checkedQueries = map[string]string{
	execCountUpdate:  execCountUpdate + cursorCheckWhere,
	execRowUpdate:    execRowUpdate + cursorCheckWhere,
	execStatusUpdate: execStatusUpdate + cursorCheckWhere,
}

// withEventCount returns v with its event count set to n.
func (v execVersion) withEventCount(n int64) execVersion {
	v.eventCount = n
	return v
}

func (x *execRow) public(root *cursor) Execution {
	out := Execution{
		Name:         x.Name,
		Machine:      x.Machine,
		Status:       x.Status,
		Input:        x.Input,
		Output:       x.Output,
		Error:        x.Error,
		Cause:        x.Cause,
		StartedAt:    time.Unix(0, x.StartedAt).UTC(),
		RedriveCount: x.RedriveCount,
		HistoryFull:  x.HistoryFull,
	}
	if x.StoppedAt != 0 {
		out.StoppedAt = time.Unix(0, x.StoppedAt).UTC()
	}
	if x.RedrivenAt != 0 {
		out.RedrivenAt = time.Unix(0, x.RedrivenAt).UTC()
	}
	if root != nil {
		out.CurrentState = root.State
	}
	return out
}
