package engine

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/storehealth"
)

// TaskFunc runs a Task state's work. An error with an ErrorName() string
// method (found with errors.As) fails the task with that error name and
// err.Error() as the cause. Any other error is States.TaskFailed.
type TaskFunc func(ctx context.Context, input json.RawMessage) (json.RawMessage, error)

// Options configure an Engine.
type Options struct {
	// Clock is the source of time; nil means the wall clock.
	Clock Clock
	// Logger receives execution starts, stops, retries and store errors;
	// nil discards them.
	Logger *slog.Logger
	// OnEvent is called after every history event is committed, in order
	// per execution. It runs on the engine's goroutines and must not block
	// for long.
	OnEvent func(Event)
	// PollInterval is how often Run and Wait read the store for work that
	// another process wrote, in engine-clock time; 0 means 200ms.
	PollInterval time.Duration
	// Region and Account fill the ARNs in the context object; empty means
	// "local" and "000000000000".
	Region  string
	Account string
	// StoreHealth records the outcomes of Run's store writes, so that a
	// full or read-only store is logged as one condition. Nil means a
	// Monitor of the store's directory that logs to Logger.
	StoreHealth *storehealth.Monitor
	// Process names the kind of process, such as "repolink stop", that the
	// store records with each stop and redrive of this engine, for the logs
	// of other processes. Empty means the program name and its first
	// argument unless that is a flag.
	Process string
}

// Execution is one run of a state machine.
type Execution struct {
	Name    string
	Machine string
	// Status is RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
	Status string
	// Input is the input JSON text as Start received it, whitespace and
	// escapes included.
	Input        json.RawMessage
	Output       json.RawMessage
	Error        string
	Cause        string
	StartedAt    time.Time
	StoppedAt    time.Time
	RedriveCount int
	// RedrivenAt is the time of the last redrive, zero if there was none.
	RedrivenAt time.Time
	// HistoryFull is set when the history reached the limit of 25,000
	// events, which fails the execution and rules out a redrive.
	HistoryFull bool
	// CurrentState is the top-level state the execution is in, or the one
	// it stopped in.
	CurrentState string
}

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// Event is one history event. Type uses the Step Functions history event
// type names (ExecutionStarted, TaskStateEntered, TaskScheduled, ...).
// Details holds the event's fields (input, output, error, cause, resource)
// with input and output as JSON values rather than strings.
type Event struct {
	ID        int64
	Execution string
	Type      string
	State     string
	Timestamp time.Time
	Details   json.RawMessage
}

// Engine runs state machines and stores their executions in SQLite.
type Engine struct {
	db    *sql.DB
	path  string
	clock Clock
	// openedAt is when the engine opened its store, on the engine's clock.
	openedAt     time.Time
	log          *slog.Logger
	onEvent      func(Event)
	pollInterval time.Duration
	region       string
	account      string
	maxEvents    int64
	health       *storehealth.Monitor
	// noEventParts is set for a store in format 1 opened by OpenReadOnly,
	// which has no event_parts table, so that readHistory reads only the
	// events table.
	noEventParts bool
	// converted is set when Open converted the store from convertedFrom
	// to storeFormat.
	converted     bool
	convertedFrom int

	writeMu    sync.Mutex
	writeQueue []*writeRequest // requests waiting for the next batch
	writing    bool            // a caller of update is running a batch
	// batchEvents, eventArgs, historyParts and partBuf are buffers that
	// the caller running a batch reuses, so that batches do not allocate
	// them again.
	batchEvents  []Event
	eventArgs    []any
	historyParts []historyPart
	partBuf      []byte
	// checkpoints runs the store's checkpoints, or is nil for a store
	// opened read-only.
	checkpoints *checkpointer
	// commitSeq counts the batches that committed, so that Run can tell
	// whether a read of the store came after a cursor's last write.
	commitSeq atomic.Int64

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared statements by query, nil while queued
	queued []string             // queries to prepare outside a transaction

	mu          sync.Mutex
	tasks       map[string]TaskFunc
	definitions map[[32]byte]*stateMachine
	running     map[int64]context.CancelFunc // task functions in flight, by cursor
	changed     chan struct{}                // closed and replaced when an execution closes
	wake        chan struct{}                // signals Run that new work is due
	started     []startedRoot                // executions that Start hands over to Run
	startedWake chan struct{}                // signals Run that started is not empty

	holdMu sync.Mutex
	held   map[string]bool // executions that Run leaves as they are, by name

	// writer identifies this engine in the execution_changes rows that it
	// writes, and processKind is Options.Process.
	writer      string
	processKind string
	// ownStarts holds the names of the executions that Start added and
	// that Run has not read back yet, guarded by mu. It is nil while no
	// Run loop logs the changes of other engines.
	ownStarts map[string]bool

	// storedDefinitions is the set of hashes of the definitions rows that
	// this engine's transactions committed, guarded by mu. The engine never
	// deletes such a row, so Start skips writing them again.
	storedDefinitions map[[32]byte]bool

	// lastParsed maps each machine name to the definition text that
	// parsedDefinition returned last for it, guarded by mu. Start reads
	// the text of its machine every time, and an equal text skips the
	// SHA-256 hash.
	lastParsed map[string]parsedText
}

// parsedText is a definition text with its parsed form and SHA-256 hash.
type parsedText struct {
	text string
	sm   *stateMachine
	hash [32]byte
}

// maxHistoryEvents is the Step Functions limit on events in one execution.
const maxHistoryEvents = 25000

// Open opens or creates the SQLite store at path. Several processes may
// open the same file: the store uses WAL mode, a busy timeout and short
// transactions. With synchronous=NORMAL a committed transaction survives
// the crash of the process, but SQLite syncs the WAL to disk only at
// checkpoints, so a power loss or operating system crash can undo the
// last transactions, and a task they recorded as completed then runs again.
//
// Open converts a store of an older format that has executions to the
// current format, which older engines reject. It returns an error that
// matches ErrStoreInUse, and converts nothing, while another process may
// run the store's executions (see checkNoRunner). ConvertedFrom reports
// the conversion.
func Open(path string, opts Options) (*Engine, error) {
	db, err := sqlitefile.Open(path, "SELECT 1", true)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	e := newEngine(db, path, opts)
	ctx := context.Background()
	from, convert, err := createSchema(ctx, db, path, e.clock.Now())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := migrate(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	if convert {
		e.converted, e.convertedFrom = true, from
	}
	if e.checkpoints, err = startCheckpointer(context.Background(), db, path, e.log); err != nil {
		db.Close()
		return nil, err
	}
	return e, nil
}

// createSchema creates the tables and indexes that the store lacks, and
// returns the format of the store and whether migrate must convert it. It
// creates nothing, and returns an error that matches ErrStoreInUse, when a
// conversion is due while another process may run the store's executions.
func createSchema(ctx context.Context, db *sql.DB, path string, now time.Time) (from int, convert bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return 0, false, fmt.Errorf("create tables: %w", err)
	}
	from, convert, err = formatToConvert(ctx, tx)
	// NOTE: an older process that opened the store before this check and
	// takes the runner lease after it still runs the converted store.
	if err == nil && convert {
		err = checkNoRunner(ctx, tx, path, now, from)
	}
	if err != nil {
		return 0, false, err
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("create tables: %w", err)
	}
	return from, convert, nil
}

// migrate brings the opened store db at path to the current format and
// schema. Each step commits on its own, and a later call finishes the
// steps that an earlier call did not reach.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	steps := []func(context.Context, *sql.DB) error{
		checkStoreFormat, migrateCursorIDs, migrateRedriveDates, migrateDefinitionHashes, migrateMachineCreationDates,
	}
	for _, step := range steps {
		if err := step(ctx, db); err != nil {
			return fmt.Errorf("open store %s: %w", path, err)
		}
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create schema in %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, storeFormat)); err != nil {
		return fmt.Errorf("set store format of %s: %w", path, err)
	}
	return nil
}

// ConvertedFrom returns the format of the store before Open converted it
// to the current format, and whether Open converted it. Older repolink
// versions cannot open a converted store.
func (e *Engine) ConvertedFrom() (format int, converted bool) { return e.convertedFrom, e.converted }

// OpenReadOnly opens the existing store at path for a caller that only
// reads, such as a command that shows executions. It never migrates the
// file, so an older repolink can still open it afterwards. When the store
// has the current format and schema, or format 1, which lacks only the
// event_parts table, it opens the file with no write at all, so it works
// on a full file system, and the Engine's writes fail. It reads a store in
// any other older format from a copy in memory, as large as the file, that
// it migrates to the current format.
func OpenReadOnly(path string, opts Options) (*Engine, error) {
	ctx := context.Background()
	db, err := sqlitefile.OpenReader(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := checkStoreFormat(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	readable, eventParts, err := readableSchema(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if readable {
		e := newEngine(db, path, opts)
		e.noEventParts = !eventParts
		return e, nil
	}
	db.Close()
	return openMigratedCopy(ctx, path, opts)
}

// openMigratedCopy returns a read-only Engine on a copy of the store at
// path in memory, migrated to the current format.
func openMigratedCopy(ctx context.Context, path string, opts Options) (*Engine, error) {
	db, err := sqlitefile.OpenMemoryCopy(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("read a copy of store %s in memory: %w", path, err)
	}
	if err := migrate(ctx, db, path); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate a copy of store %s in memory: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `PRAGMA query_only = 1`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return newEngine(db, path, opts), nil
}

// newEngine returns an Engine on the opened store db at path.
func newEngine(db *sql.DB, path string, opts Options) *Engine {
	e := &Engine{
		db:           db,
		path:         path,
		clock:        opts.Clock,
		log:          opts.Logger,
		onEvent:      opts.OnEvent,
		writer:       newUUID(),
		processKind:  opts.Process,
		pollInterval: opts.PollInterval,
		region:       opts.Region,
		account:      opts.Account,
		maxEvents:    maxHistoryEvents,
		health:       opts.StoreHealth,
		stmts:        map[string]*sql.Stmt{},
		tasks:        map[string]TaskFunc{},
		definitions:  map[[32]byte]*stateMachine{},
		running:      map[int64]context.CancelFunc{},
		changed:      make(chan struct{}),
		wake:         make(chan struct{}, 1),
		startedWake:  make(chan struct{}, 1),
	}
	if e.clock == nil {
		e.clock = realClock{}
	}
	e.openedAt = e.clock.Now()
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.health == nil {
		e.health = storehealth.New(filepath.Dir(path), storehealth.Options{Logger: e.log})
	}
	if e.processKind == "" {
		e.processKind = defaultProcessKind()
	}
	if e.pollInterval <= 0 {
		e.pollInterval = 200 * time.Millisecond
	}
	if e.region == "" {
		e.region = "local"
	}
	if e.account == "" {
		e.account = "000000000000"
	}
	return e
}

// Close closes the store. Stop Run first.
func (e *Engine) Close() error {
	e.closeStmts()
	if err := e.checkpoints.close(); err != nil {
		e.log.Warn("close checkpoint connection", "error", err)
	}
	if err := e.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Register makes fn the handler of Task resources named name.
func (e *Engine) Register(name string, fn TaskFunc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tasks[name] = fn
}

func (e *Engine) task(name string) (TaskFunc, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fn, ok := e.tasks[name]
	return fn, ok
}

// Define parses and validates an ASL definition and stores it under the
// machine name, replacing an earlier one. Executions already started keep
// the definition they started with. A machine keeps the creation time of
// its first definition. A *DefinitionError lists every problem
// with the state and field it is in.
func (e *Engine) Define(machine string, definition []byte) error {
	if machine == "" {
		return fmt.Errorf("define state machine: the name is empty")
	}
	sm, err := parseDefinition(machine, definition)
	if err != nil {
		return err
	}
	compact, err := compactJSON(definition)
	if err != nil {
		return fmt.Errorf("define state machine %q: %w", machine, err)
	}
	e.mu.Lock()
	e.definitions[sha256.Sum256(compact)] = sm
	e.mu.Unlock()
	// A created_at of 0 is a machine that a store without the column
	// holds and that no execution dates, so this definition dates it.
	_, err = e.db.Exec(`INSERT INTO machines (name, definition, created_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET definition = excluded.definition,
			created_at = CASE WHEN machines.created_at = 0 THEN excluded.created_at ELSE machines.created_at END`,
		machine, string(compact), e.clock.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("store state machine %q: %w", machine, err)
	}
	return nil
}

// parsedDefinition returns the parsed form of a stored definition and the
// SHA-256 hash of its text.
func (e *Engine) parsedDefinition(machine, text string) (*stateMachine, [32]byte, error) {
	e.mu.Lock()
	last, ok := e.lastParsed[machine]
	e.mu.Unlock()
	if ok && last.text == text {
		return last.sm, last.hash, nil
	}
	key := sha256.Sum256([]byte(text))
	sm := e.cachedDefinition(key)
	if sm == nil {
		var err error
		if sm, err = parseDefinition(machine, []byte(text)); err != nil {
			return nil, key, err
		}
	}
	e.mu.Lock()
	e.definitions[key] = sm
	if e.lastParsed == nil {
		e.lastParsed = map[string]parsedText{}
	}
	e.lastParsed[machine] = parsedText{text: text, sm: sm, hash: key}
	e.mu.Unlock()
	return sm, key, nil
}

// definitionStored reports whether a transaction of this engine committed
// the definitions row with the hash key.
func (e *Engine) definitionStored(key [32]byte) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.storedDefinitions[key]
}

// markDefinitionStored records that the definitions row with the hash key
// committed. Call it only after the commit.
func (e *Engine) markDefinitionStored(key [32]byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.storedDefinitions == nil {
		e.storedDefinitions = map[[32]byte]bool{}
	}
	e.storedDefinitions[key] = true
}

// cachedDefinition returns the parsed definition whose text has the
// SHA-256 hash key, or nil when this engine has not parsed it yet.
func (e *Engine) cachedDefinition(key [32]byte) *stateMachine {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.definitions[key]
}

// notifyChanged wakes every Wait call.
func (e *Engine) notifyChanged() {
	e.mu.Lock()
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
}

func (e *Engine) changedChan() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.changed
}

// notifyWork signals Run to look for due work now.
func (e *Engine) notifyWork() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// ExecutionARN returns the ARN of an execution, as the context object and
// the Step Functions API show it.
func (e *Engine) ExecutionARN(machine, name string) string { return e.executionARN(machine, name) }

// StateMachineARN returns the ARN of a state machine.
func (e *Engine) StateMachineARN(machine string) string { return e.machineARN(machine) }

func (e *Engine) executionARN(machine, name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", e.region, e.account, machine, name)
}

func (e *Engine) machineARN(machine string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", e.region, e.account, machine)
}
