package storehealth

import (
	"errors"
	"log/slog"
	"sync"
	"time"
)

// DefaultRepeatInterval is how often a Monitor logs again while the stores
// stay unwritable.
const DefaultRepeatInterval = time.Minute

// settleTime is how long a Monitor must see no unwritable error, and at
// least one successful write, before it reports the stores writable again.
// A small write, such as a lease renewal, can fit in space that a larger
// write failed to get, so one success alone does not end the condition.
const settleTime = 10 * time.Second

// Options are the settings of a Monitor.
type Options struct {
	// Logger is the destination of the log records about the condition.
	// Nil discards them.
	Logger *slog.Logger
	// RepeatInterval is how often the Monitor logs again, with a count of
	// the failed writes, while the stores stay unwritable. Zero means
	// DefaultRepeatInterval.
	RepeatInterval time.Duration
	// Now is the source of time. Nil means time.Now.
	Now func() time.Time
	// OnUnwritable, when set, is called with the *UnwritableError each time
	// the stores become unwritable, after the Monitor has logged it.
	OnUnwritable func(error)
}

// Monitor is the write state of the SQLite stores in one directory. Every
// loop that retries store writes (the engine's lease and steps, the poller,
// the notifier and intake) records its outcomes in the same Monitor. So a
// full or read-only store is one condition. It is logged once when it
// starts, then with a count at most once per RepeatInterval while writes
// keep failing, and once when it ends. The methods of a nil *Monitor do
// nothing.
type Monitor struct {
	dir  string
	opts Options

	mu          sync.Mutex
	err         *UnwritableError // the current condition, or nil
	since       time.Time        // when the current condition started
	lastFailure time.Time
	lastSuccess time.Time
	lastLog     time.Time
	failures    int // unwritable errors of the current condition
	unlogged    int // unwritable errors since the last log record
}

// New returns a Monitor for the stores in dir.
func New(dir string, opts Options) *Monitor {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RepeatInterval <= 0 {
		opts.RepeatInterval = DefaultRepeatInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Monitor{dir: dir, opts: opts}
}

// Record records the outcome of a write to a store in the Monitor's
// directory, where a nil err is a successful write. It returns true when
// err is the error of a full or read-only store, which Record has logged
// or counted, so that the caller logs only other errors.
func (m *Monitor) Record(err error) bool {
	if m == nil {
		return false
	}
	if err == nil {
		m.recordSuccess()
		return false
	}
	var unwritable *UnwritableError
	if !errors.As(Classify(m.dir, err), &unwritable) {
		return false
	}
	if m.recordFailure(unwritable) && m.opts.OnUnwritable != nil {
		m.opts.OnUnwritable(unwritable)
	}
	return true
}

// recordFailure records an unwritable error and reports whether it starts
// a new condition.
func (m *Monitor) recordFailure(err *UnwritableError) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opts.Now()
	m.lastFailure = now
	if m.err == nil {
		m.err, m.since, m.failures, m.unlogged = err, now, 1, 0
		m.lastLog = now
		m.opts.Logger.Error("state store cannot take writes", "error", err,
			"repeats_logged_every", m.opts.RepeatInterval.String())
		return true
	}
	m.err = err
	m.failures++
	m.unlogged++
	if now.Sub(m.lastLog) >= m.opts.RepeatInterval {
		m.opts.Logger.Error("state store still cannot take writes", "error", err,
			"failed_writes", m.unlogged, "since", m.since.UTC().Format(time.RFC3339))
		m.lastLog = now
		m.unlogged = 0
	}
	return false
}

func (m *Monitor) recordSuccess() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastSuccess = m.opts.Now()
	m.settle(m.lastSuccess)
}

// settle ends the current condition when a write succeeded after the last
// unwritable error and settleTime has passed since that error.
func (m *Monitor) settle(now time.Time) {
	if m.err == nil || !m.lastSuccess.After(m.lastFailure) || now.Sub(m.lastFailure) < settleTime {
		return
	}
	m.opts.Logger.Info("state store takes writes again", "dir", m.dir,
		"unwritable_for", m.lastFailure.Sub(m.since).Round(time.Second).String(), "failed_writes", m.failures)
	m.err = nil
}

// Classify returns Classify of err for the Monitor's directory. A nil
// Monitor classifies err without a directory.
func (m *Monitor) Classify(err error) error {
	if m == nil {
		return Classify("", err)
	}
	return Classify(m.dir, err)
}

// Err returns the *UnwritableError of the current condition, or nil while
// the stores take writes.
func (m *Monitor) Err() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settle(m.opts.Now())
	if m.err == nil {
		return nil
	}
	return m.err
}
