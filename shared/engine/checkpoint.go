package engine

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/sqlitefile"
)

// SQLite copies the pages of the WAL back into the database file in a
// checkpoint. By default the connection that commits runs one when the
// WAL has 1000 frames (PRAGMA wal_autocheckpoint), so the batch that
// crosses that size waits for the copy and, with synchronous=NORMAL, for
// fsyncs of both files. The checkpointer runs checkpoints on a connection
// of its own instead, after commits, so that write batches do not wait
// for them.

// checkpointInterval is the minimum time between two checkpoints of the
// checkpointer, so that each copies the frames of many commits.
const checkpointInterval = 100 * time.Millisecond

// checkpointStartBytes is the WAL file size from which the checkpointer
// runs checkpoints: 1000 frames of 4 KiB pages, where SQLite would run
// its own. A checkpoint copies pages into the database file while the WAL
// keeps its size, so checkpoints of a smaller WAL would only make a small
// store take twice its size on disk.
const checkpointStartBytes = 1000 * (4096 + 24)

// writerCheckpointFrames is the WAL size, in frames, at which the
// connection that commits still runs a checkpoint itself. SQLite starts
// the WAL over only when a checkpoint copied all of it before the next
// write. Under steady writes the WAL file can therefore grow to this size,
// about 16 MiB with 4 KiB pages, until a write starts the WAL over.
const writerCheckpointFrames = 4000

// checkpointer runs passive checkpoints on its own connection.
type checkpointer struct {
	db   *sql.DB
	wal  string // path of the WAL file
	log  *slog.Logger
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
	err  error // the error of closing db
}

// startCheckpointer opens a second connection to the store at path, whose
// own connection is db, and starts the checkpointer on it.
func startCheckpointer(ctx context.Context, db *sql.DB, path string, log *slog.Logger) (*checkpointer, error) {
	conn, err := sqlitefile.Open(path, "", false)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint connection to %s: %w", path, err)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("open checkpoint connection to %s: %w", path, err)
	}
	// When a write starts the WAL over, SQLite truncates the file to
	// journal_size_limit, so that a WAL that grew under load does not keep
	// its size on disk.
	pragmas := fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d; PRAGMA journal_size_limit = %d`,
		writerCheckpointFrames, checkpointStartBytes)
	if _, err := db.ExecContext(ctx, pragmas); err != nil {
		conn.Close()
		return nil, fmt.Errorf("set checkpoint size of %s: %w", path, err)
	}
	c := &checkpointer{db: conn, wal: path + "-wal", log: log, wake: make(chan struct{}, 1), stop: make(chan struct{}),
		done: make(chan struct{})}
	go c.run()
	return c, nil
}

// notify signals the checkpointer that a transaction committed.
func (c *checkpointer) notify() {
	if c == nil {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	// A failing checkpoint is logged once until it succeeds or fails with
	// another error, because it may fail every time, as on a full disk.
	var lastErr string
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		if info, err := os.Stat(c.wal); err == nil && info.Size() >= checkpointStartBytes {
			// PASSIVE copies what it can without waiting for the writer
			// or readers. It returns a busy flag and the frame counts.
			var busy, frames, copied int64
			err := c.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
			switch {
			case err == nil:
				lastErr = ""
			case err.Error() != lastErr:
				lastErr = err.Error()
				c.log.Warn("checkpoint store failed", "wal", c.wal, "error", err)
			}
		}
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointInterval):
		}
	}
}

// close stops the checkpointer and closes its connection. Calls after
// the first return the first call's error.
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		c.err = c.db.Close()
	})
	return c.err
}
