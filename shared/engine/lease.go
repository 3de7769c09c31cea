package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
)

// minLeaseTTL is the shortest time a Run loop holds the store without
// renewing. A process that dies holding the lease delays the next Run
// loop by at most this long (or ten poll intervals, if longer). It is a
// variable so that the crash test's child processes can shorten it.
var minLeaseTTL = 5 * time.Second

// lease makes one Run loop per store the runner, so that two processes
// never run the same task at once. The other Run loops wait until the
// lease is released or expires.
type lease struct {
	e       *Engine
	owner   string
	ttl     time.Duration
	held    bool
	renewAt time.Time
	// waitingSince is when this loop found the lease held by another
	// process, or zero while it holds the lease or has not tried yet.
	waitingSince time.Time
	// lockFile holds the flock of runnerLockPath while this loop holds the
	// lease, or is nil.
	lockFile *os.File
}

func (e *Engine) newLease() *lease {
	return &lease{e: e, owner: newUUID(), ttl: max(minLeaseTTL, 10*e.pollInterval)}
}

// hold takes or renews the lease and reports whether this loop holds it.
func (l *lease) hold(ctx context.Context, now time.Time) (bool, error) {
	if l.held && now.Before(l.renewAt) {
		return true, nil
	}
	// The flock is taken before the lease, so that RunnerActive never finds
	// a live holder's lease without it. A loop that then finds the lease
	// held by another process drops the flock again.
	// NOTE: a loop that takes over the expired lease of a live process that
	// stalled gets the flock only at a renewal after that process drops it,
	// and RunnerActive reports no runner until then.
	if l.lockFile == nil {
		l.lockFile = lockRunnerFile(l.e.path)
	}
	res, err := l.e.db.ExecContext(ctx, `INSERT INTO runner (id, owner, expires_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE runner.owner = excluded.owner OR runner.expires_at <= ?`,
		l.owner, now.Add(l.ttl).UnixNano(), now.UnixNano())
	if err != nil {
		l.held = false
		l.unlockFile()
		return false, fmt.Errorf("take runner lease: %w", err)
	}
	l.e.health.Record(nil)
	n, _ := res.RowsAffected()
	switch {
	case n == 1 && !l.held && l.waitingSince.IsZero():
		l.e.log.Info("runner lease taken")
	case n == 1 && !l.held:
		l.e.log.Info("runner lease taken", "waited", now.Sub(l.waitingSince).Round(time.Millisecond).String())
	case n == 0 && l.held:
		l.e.log.Warn("runner lease lost to another process")
	}
	if n == 1 && !l.held {
		l.e.logOpenExecutions(ctx)
	}
	switch {
	case n == 1:
		l.waitingSince = time.Time{}
	case l.waitingSince.IsZero():
		l.waitingSince = now
		l.logWaiting(ctx, now)
	}
	l.held = n == 1
	l.renewAt = now.Add(l.ttl / 3)
	if !l.held {
		l.unlockFile()
	}
	return l.held, nil
}

// unlockFile drops the flock of the runner lock file, if this loop has it.
func (l *lease) unlockFile() {
	if l.lockFile != nil {
		l.lockFile.Close()
		l.lockFile = nil
	}
}

// fresh reports whether this loop holds the lease and need not renew it
// before now.
func (l *lease) fresh(now time.Time) bool {
	return l.held && now.Before(l.renewAt)
}

// logWaiting logs that another process holds the lease, with the time
// until its lease expires: the longest wait when that process has died, as
// after a kill, because a live holder renews the lease before it expires.
func (l *lease) logWaiting(ctx context.Context, now time.Time) {
	const msg = "runner lease held by another process; waiting until it is released or expires"
	expiresAt, found, err := readLeaseExpiry(ctx, l.e.db)
	if err != nil || !found {
		// The row is gone when the holder released the lease after the
		// insert, and the next hold then takes it.
		l.e.log.Info(msg)
		return
	}
	expiresIn := max(expiresAt.Sub(now), 0)
	l.e.log.Info(msg, "expires_in", expiresIn.Round(time.Millisecond).String())
}

// release gives the lease up so that another Run loop can take it at once.
func (l *lease) release(ctx context.Context) {
	if !l.held {
		return
	}
	if _, err := l.e.db.ExecContext(ctx, `DELETE FROM runner WHERE id = 1 AND owner = ?`, l.owner); err != nil && !l.e.health.Record(err) {
		l.e.log.Warn("release runner lease", "error", err)
	}
	l.unlockFile()
	l.held = false
}

// RunnerActive reports whether a live Run loop on this store holds the
// runner lease, which means that a live process runs the store's
// executions. A lease counts while it has not expired and its holder keeps
// the flock of the runner lock file, which the kernel drops when the holder
// exits, so a killed holder stops counting at once. Where the flock cannot
// be read, such as on a platform without flock, a killed holder's lease
// still counts until it expires: at most minLeaseTTL, or ten of its poll
// intervals if longer, after its last renewal.
func (e *Engine) RunnerActive(ctx context.Context) (bool, error) {
	expiresAt, found, err := readLeaseExpiry(ctx, e.db)
	if err != nil || !found {
		return false, err
	}
	if !e.clock.Now().Before(expiresAt) {
		return false, nil
	}
	if locked, known := runnerFileLocked(e.path); known && !locked {
		return false, nil
	}
	return true, nil
}

// checkNoRunner returns an error that matches ErrStoreInUse when another
// process may run the executions of the store at path, which Open would
// convert from format to storeFormat under it. That is so while the
// store's runner lease has not expired at now, or while a process holds
// the flock of the runner lock file. Unlike RunnerActive, it counts an
// unexpired lease whose lock file is free, because a repolink built before
// the lock file keeps only the lease row.
func checkNoRunner(ctx context.Context, db rowQuerier, path string, now time.Time, format int) error {
	expiresAt, found, err := readLeaseExpiry(ctx, db)
	if err != nil {
		return err
	}
	leased := found && now.Before(expiresAt)
	if locked, _ := runnerFileLocked(path); !leased && !locked {
		return nil
	}
	return fmt.Errorf("convert store from format %d to format %d: %w: a repolink up, run, redrive or teardown, "+
		"possibly of an older version that would go on writing format %d, holds its runner lease; "+
		"stop that process first, or wait up to %s if it was killed, then run this command again",
		format, storeFormat, ErrStoreInUse, format, max(minLeaseTTL, expiresAt.Sub(now)).Round(time.Second))
}

// readLeaseExpiry returns when the runner lease of the store expires.
// found is false when no process holds the lease.
func readLeaseExpiry(ctx context.Context, q rowQuerier) (expiresAt time.Time, found bool, err error) {
	var nanos int64
	err = q.QueryRowContext(ctx, `SELECT expires_at FROM runner WHERE id = 1`).Scan(&nanos)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read runner lease: %w", err)
	}
	return time.Unix(0, nanos), true, nil
}
