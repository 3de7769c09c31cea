package engine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ValidateName checks an execution name against the Step Functions rules:
// 1 to 80 characters, without whitespace, control characters or any of
// < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /. It also rejects Unicode
// format characters (category Cf), such as U+200B ZERO WIDTH SPACE. They
// are invisible, so a name with one reads like another execution's name.
// A name that is not valid UTF-8 is rejected too, because ranging over it
// would read each invalid byte as U+FFFD, which the rules allow.
func ValidateName(name string) error {
	if err := checkNameUTF8(name); err != nil {
		return err
	}
	n := utf8.RuneCountInString(name)
	if n == 0 || n > 80 {
		return fmt.Errorf("%w %q: must have 1 to 80 characters, has %d", ErrInvalidName, name, n)
	}
	position := 0
	for _, r := range name {
		position++
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) ||
			r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) || r == 0x2028 ||
			r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000 {
			return fmt.Errorf("%w %q: the character %q at position %d is not allowed", ErrInvalidName, name, r, position)
		}
		if unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%w %q: the invisible format character %U at position %d is not allowed; "+
				"remove it so that the name reads as it is", ErrInvalidName, name, r, position)
		}
	}
	return nil
}

// checkNameUTF8 returns an ErrInvalidName error naming the first byte of
// name that does not begin a valid UTF-8 sequence, and its character
// position, or nil when name is valid UTF-8.
func checkNameUTF8(name string) error {
	position := 0
	for i := 0; i < len(name); {
		position++
		r, size := utf8.DecodeRuneInString(name[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Errorf("%w %q: the byte %#x at position %d is not valid UTF-8", ErrInvalidName, name, name[i], position)
		}
		i += size
	}
	return nil
}

// Start starts an execution of a defined machine. Starting a name again
// while its execution is running with an input that decodes to the same
// JSON value returns that execution. A different input or machine, or a
// closed execution of that name, is ErrExecutionAlreadyExists. The
// execution keeps the input as given, and the 256 KiB limit applies to
// it as given, as in Step Functions. Empty input is {}.
func (e *Engine) Start(ctx context.Context, machine, name string, input json.RawMessage) (Execution, error) {
	if err := ValidateName(name); err != nil {
		return Execution{}, err
	}
	if !utf8.Valid(input) {
		return Execution{}, fmt.Errorf("%w: the input is not valid UTF-8", ErrInvalidInput)
	}
	compact, err := compactJSON(input)
	if err != nil {
		return Execution{}, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	if len(input) > maxPayloadBytes {
		return Execution{}, fmt.Errorf("%w: %d bytes, more than the limit of %d bytes", ErrInvalidInput, len(input), maxPayloadBytes)
	}
	// NOTE: the first state gets the input encoded again, in which U+2028
	// and U+2029 take 6 bytes where the given input may take 3, so an input
	// close to the limit can fail that state with States.DataLimitExceeded.
	asGiven := json.RawMessage(bytes.Clone(input))
	if len(bytes.TrimSpace(input)) == 0 {
		asGiven = compact
	}
	var out Execution
	// noted is set when Start notified Run that it added the execution.
	// A failed commit takes the note back.
	noted := false
	err = e.update(func(tx *storeTx) (func(), error) {
		sctx := context.WithoutCancel(ctx)
		// The definition is read in the request rather than before it, so
		// that Start waits for one batch and not for two.
		var definition string
		err := tx.QueryRowContext(sctx, `SELECT definition FROM machines WHERE name = ?`, machine).Scan(&definition)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: %q", ErrMachineNotFound, machine)
		}
		if err != nil {
			return nil, fmt.Errorf("read state machine: %w", err)
		}
		sm, hash, err := e.parsedDefinition(machine, definition)
		if err != nil {
			return nil, err
		}
		now := e.clock.Now()
		x := &execRow{Name: name, Machine: machine, DefinitionHash: hash[:], Input: asGiven,
			Status: StatusRunning, StartedAt: now.UnixNano()}
		if sm.TimeoutSeconds > 0 {
			x.Deadline = now.Add(time.Duration(sm.TimeoutSeconds) * time.Second).UnixNano()
		}
		storedDefinition := e.definitionStored(hash)
		if !storedDefinition {
			_, err = tx.ExecContext(sctx, `INSERT INTO definitions (hash, text) VALUES (?, ?)
				ON CONFLICT (hash) DO NOTHING`, x.DefinitionHash, definition)
			if err != nil {
				return nil, fmt.Errorf("store definition: %w", err)
			}
		}
		// The event comes first, so that the new row has its event count
		// and needs no UPDATE.
		t := &txn{e: e, ctx: sctx, tx: tx, now: now, exec: x}
		if err := t.emit("ExecutionStarted", "", map[string]any{"input": raw(compact), "stateMachine": machine}); err != nil {
			return nil, err
		}
		// The INSERT also finds an execution of the same name, so that a new
		// name costs no read before it.
		res, err := tx.ExecContext(sctx, `INSERT INTO executions (name, machine, definition, definition_hash,
			input, status, started_at, deadline, event_count) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO NOTHING`,
			x.Name, x.Machine, x.DefinitionHash, string(x.Input), x.Status, x.StartedAt, x.Deadline, x.EventCount)
		if err != nil {
			return nil, err
		}
		inserted, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if inserted == 0 {
			return nil, e.startedBefore(sctx, tx, name, machine, compact, &out)
		}
		zero := int64(0)
		root := &cursor{Execution: name, State: sm.StartAt, Input: compact, Phase: phaseEnter, DueAt: &zero,
			inputEncoded: true}
		if err := insertCursor(sctx, tx, root); err != nil {
			return nil, err
		}
		e.noteOwnStart(name)
		noted = true
		tx.events = append(tx.events, t.events...)
		out = x.public(root)
		committed := *x
		rows := &stepRows{c: root, exec: &committed}
		return func() {
			if !storedDefinition {
				e.markDefinitionStored(hash)
			}
			t.publish()
			e.handOver(startedRoot{id: root.ID, deadline: x.Deadline, rows: rows})
			e.log.Info("execution started", "execution", name, "machine", machine)
		}, nil
	})
	if err != nil && noted {
		e.dropOwnStart(name)
	}
	if errors.Is(err, ErrExecutionAlreadyExists) {
		return Execution{}, err
	}
	if err != nil {
		return Execution{}, fmt.Errorf("start execution %q: %w", name, err)
	}
	return out, nil
}

// startedBefore sets out to the execution name that a Start request found
// in the store, and returns errNoChange, or the error that Start returns
// for it.
func (e *Engine) startedBefore(ctx context.Context, tx *storeTx, name, machine string, input json.RawMessage,
	out *Execution) error {
	existing, err := loadExecution(ctx, tx, name)
	if err != nil {
		return err
	}
	if *out, err = e.existingExecution(existing, machine, input); err != nil {
		return err
	}
	return errNoChange
}

func (e *Engine) existingExecution(x *execRow, machine string, input json.RawMessage) (Execution, error) {
	switch {
	case x.Status == StatusSucceeded || (x.Status != StatusRunning && x.HistoryFull):
		return Execution{}, fmt.Errorf("%w: %q is closed with status %s and cannot be redriven, so choose another name",
			ErrExecutionAlreadyExists, x.Name, x.Status)
	case x.Status != StatusRunning:
		return Execution{}, fmt.Errorf("%w: %q is closed with status %s; redrive it or choose another name",
			ErrExecutionAlreadyExists, x.Name, x.Status)
	}
	if x.Machine != machine {
		return Execution{}, fmt.Errorf("%w: %q runs state machine %q", ErrExecutionAlreadyExists, x.Name, x.Machine)
	}
	a, errA := decodeJSON(x.Input)
	b, errB := decodeJSON(input)
	if errA != nil || errB != nil || !jsonEqual(a, b) {
		return Execution{}, fmt.Errorf("%w: %q is running with a different input", ErrExecutionAlreadyExists, x.Name)
	}
	return x.public(nil), nil
}

// Existing returns what Start returns for a name that an execution already
// has, and starts nothing: that execution when it is running machine with
// an input that decodes to the same JSON value, or else
// ErrExecutionAlreadyExists. found is false when no execution has the name.
// Callers that check other conflicts before Start call it first, so that a
// taken name is reported as Step Functions reports it.
func (e *Engine) Existing(ctx context.Context, machine, name string, input json.RawMessage) (x Execution, found bool, err error) {
	row, err := scanExecution(e.queryRow(ctx, `SELECT `+execColumns+` FROM executions WHERE name = ?`, name))
	if errors.Is(err, ErrExecutionNotFound) {
		return Execution{}, false, nil
	}
	if err != nil {
		return Execution{}, false, fmt.Errorf("read execution %q: %w", name, err)
	}
	x, err = e.existingExecution(row, machine, input)
	return x, true, err
}

// Describe returns an execution.
func (e *Engine) Describe(ctx context.Context, name string) (Execution, error) {
	x, err := scanExecution(e.queryRow(ctx, `SELECT `+execColumns+` FROM executions WHERE name = ?`, name))
	if err != nil {
		return Execution{}, fmt.Errorf("describe execution %q: %w", name, err)
	}
	var state string
	err = e.queryRow(ctx, `SELECT state FROM cursors WHERE execution = ? AND parent = 0`, name).Scan(&state)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Execution{}, fmt.Errorf("describe execution %q: %w", name, err)
	}
	out := x.public(nil)
	out.CurrentState = state
	return out, nil
}

// List returns every execution, newest first.
func (e *Engine) List(ctx context.Context) ([]Execution, error) {
	return e.listWhere(ctx, `ORDER BY x.started_at DESC, x.name`)
}

// ListMachine returns the executions of the named state machine that
// started after startedAfter, newest first. It reads only those, through
// an index, so its cost does not grow with the other executions.
func (e *Engine) ListMachine(ctx context.Context, machine string, startedAfter time.Time) ([]Execution, error) {
	after := int64(-1)
	if !startedAfter.IsZero() {
		after = startedAfter.UnixNano()
	}
	return e.listWhere(ctx, `WHERE x.machine = ? AND x.started_at > ? ORDER BY x.started_at DESC, x.name`, machine, after)
}

// ListMachineInputs returns the executions of the named state machine,
// newest first, with only their name, machine, input, status and start
// and stop times set. It reads fewer columns than ListMachine, for callers
// that scan every execution's input, such as a check at each start.
func (e *Engine) ListMachineInputs(ctx context.Context, machine string) ([]Execution, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT name, machine, input, status, started_at, stopped_at
		FROM executions WHERE machine = ? ORDER BY started_at DESC, name`, machine)
	if err != nil {
		return nil, fmt.Errorf("list executions of %s: %w", machine, err)
	}
	defer rows.Close()
	var execs []Execution
	for rows.Next() {
		var x Execution
		var input string
		var started, stopped int64
		if err := rows.Scan(&x.Name, &x.Machine, &input, &x.Status, &started, &stopped); err != nil {
			return nil, fmt.Errorf("list executions of %s: %w", machine, err)
		}
		x.Input = json.RawMessage(input)
		x.StartedAt = time.Unix(0, started).UTC()
		if stopped != 0 {
			x.StoppedAt = time.Unix(0, stopped).UTC()
		}
		execs = append(execs, x)
	}
	return execs, rows.Err()
}

// Running returns the executions that are running, the latest started
// first. It reads only those, so its cost does not grow with the closed
// executions that the store keeps.
func (e *Engine) Running(ctx context.Context) ([]Execution, error) {
	return e.listWhere(ctx, `WHERE x.status = 'RUNNING' ORDER BY x.started_at DESC, x.name`)
}

// ClosedSince returns the executions that closed at or after since, the
// earliest first. A redriven execution that closed again is returned with
// its latest stop time.
func (e *Engine) ClosedSince(ctx context.Context, since time.Time) ([]Execution, error) {
	return e.listWhere(ctx, `WHERE x.stopped_at >= ? AND x.stopped_at > 0 AND x.status != 'RUNNING'
		ORDER BY x.stopped_at, x.name`, since.UnixNano())
}

// listWhere lists the executions that a WHERE and ORDER BY clause select,
// each with its current top-level state.
func (e *Engine) listWhere(ctx context.Context, clause string, args ...any) ([]Execution, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT `+prefixed("x.", execColumns)+`, COALESCE(c.state, '')
		FROM executions x LEFT JOIN cursors c ON c.execution = x.name AND c.parent = 0 `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	var out []Execution
	for rows.Next() {
		var x execRow
		var output sql.NullString
		var state, input string
		if err := rows.Scan(&x.Name, &x.Machine, &x.DefinitionHash, &input, &x.Status, &output, &x.Error,
			&x.Cause, &x.StartedAt, &x.StoppedAt, &x.RedriveCount, &x.EventCount, &x.Deadline,
			&x.HistoryFull, &x.RedrivenAt, &state); err != nil {
			return nil, fmt.Errorf("list executions: %w", err)
		}
		x.Input = json.RawMessage(input)
		if output.Valid {
			x.Output = json.RawMessage(output.String)
		}
		ex := x.public(nil)
		ex.CurrentState = state
		out = append(out, ex)
	}
	return out, rows.Err()
}

func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// Machines returns the names of the defined state machines in order.
func (e *Engine) Machines(ctx context.Context) ([]string, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT name FROM machines ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list state machines: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list state machines: %w", err)
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// Machine is a defined state machine.
type Machine struct {
	Name string
	// CreatedAt is when the machine was first defined. It is zero for a
	// machine of an older store that no execution or later definition
	// dates.
	CreatedAt time.Time
}

// ListMachines returns the defined state machines in order of name.
func (e *Engine) ListMachines(ctx context.Context) ([]Machine, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT name, created_at FROM machines ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list state machines: %w", err)
	}
	defer rows.Close()
	var machines []Machine
	for rows.Next() {
		var m Machine
		var created int64
		if err := rows.Scan(&m.Name, &created); err != nil {
			return nil, fmt.Errorf("list state machines: %w", err)
		}
		if created != 0 {
			m.CreatedAt = time.Unix(0, created)
		}
		machines = append(machines, m)
	}
	return machines, rows.Err()
}

// History returns the events of an execution in order.
func (e *Engine) History(ctx context.Context, name string) ([]Event, error) {
	if _, err := loadExecution(ctx, e.db, name); err != nil {
		return nil, fmt.Errorf("read history of %q: %w", name, err)
	}
	events, err := e.readHistory(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", name, err)
	}
	return events, nil
}

// Wait blocks until the execution is closed and returns it. It notices
// executions closed by this process at once and those closed by another
// process within the poll interval.
func (e *Engine) Wait(ctx context.Context, name string) (Execution, error) {
	for {
		changed := e.changedChan()
		x, err := e.Describe(ctx, name)
		if err != nil {
			return Execution{}, err
		}
		if x.Status != StatusRunning {
			return x, nil
		}
		timer := e.clock.NewTimer(e.pollInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return x, ctx.Err()
		case <-changed:
		case <-timer.C():
		}
		timer.Stop()
	}
}

// Stop aborts a running execution with an optional error name and cause,
// which ValidateErrorCause checks.
func (e *Engine) Stop(ctx context.Context, name, errName, cause string) (Execution, error) {
	if err := ValidateErrorCause(errName, cause); err != nil {
		return Execution{}, fmt.Errorf("stop execution %q: %w", name, err)
	}
	err := e.transact(ctx, name, func(t *txn) error {
		if t.exec.Status != StatusRunning {
			return fmt.Errorf("%w (status %s)", ErrNotRunning, t.exec.Status)
		}
		if err := t.closeExecution(StatusAborted, errName, cause, nil); err != nil {
			return err
		}
		return t.recordChange(changeStopped)
	})
	if err != nil {
		return Execution{}, fmt.Errorf("stop execution %q: %w", name, err)
	}
	return e.Describe(ctx, name)
}

// Path returns the path of the store file that Open opened.
func (e *Engine) Path() string { return e.path }

// AddedExecution is an execution's name, machine and input, with Seq, the
// position at which the store added it.
type AddedExecution struct {
	Seq     int64
	Name    string
	Machine string
	Input   json.RawMessage
}

// ListAddedAfter returns up to limit executions whose Seq is greater than
// seq, in order of Seq. Every execution that a store adds gets a greater
// Seq than all before it, and an execution's Seq, name, machine and input
// never change. So a caller that keeps the last Seq it read reads only the
// executions added since, from any process.
//
// NOTE: Seq is the SQLite rowid of the executions table. The store never
// deletes executions and never runs VACUUM, which may renumber rowids. A
// caller that must detect a renumbered or replaced store can check that
// the execution it read last still has its Seq.
func (e *Engine) ListAddedAfter(ctx context.Context, seq int64, limit int) ([]AddedExecution, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT rowid, name, machine, input FROM executions
		WHERE rowid > ? ORDER BY rowid LIMIT ?`, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("list executions added after %d: %w", seq, err)
	}
	defer rows.Close()
	var added []AddedExecution
	for rows.Next() {
		var x AddedExecution
		var input string
		if err := rows.Scan(&x.Seq, &x.Name, &x.Machine, &input); err != nil {
			return nil, fmt.Errorf("list executions added after %d: %w", seq, err)
		}
		x.Input = json.RawMessage(input)
		added = append(added, x)
	}
	return added, rows.Err()
}
