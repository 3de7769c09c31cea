package storehealth

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/sqlitefile"
)

// TestClassifySQLiteErrors checks Classify on the errors that SQLite
// returns for a full database and for a read-only one.
func TestClassifySQLiteErrors(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlitefile.Open(filepath.Join(dir, "test.db"), `CREATE TABLE IF NOT EXISTS t (v TEXT)`, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// max_page_count caps the file at its current size, so an insert that
	// needs a new page fails with SQLITE_FULL.
	if _, err := db.Exec(`PRAGMA max_page_count = 1`); err != nil {
		t.Fatal(err)
	}
	_, fullErr := db.Exec(`INSERT INTO t VALUES (?)`, strings.Repeat("x", 100_000))
	if _, err := db.Exec(`PRAGMA max_page_count = 1000000; PRAGMA query_only = 1`); err != nil {
		t.Fatal(err)
	}
	_, readOnlyErr := db.Exec(`INSERT INTO t VALUES ('x')`)

	tests := []struct {
		name         string
		err          error
		wantReadOnly bool
		wantText     string
	}{
		{"full", fullErr, false, "free space"},
		{"read-only", readOnlyErr, true, "make the directory"},
		{"wrapped full", fmt.Errorf("commit transaction: %w", fullErr), false, "free space"},
		{"no space", fmt.Errorf("write: %w", syscall.ENOSPC), false, "free space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("the write did not fail")
			}
			var unwritable *UnwritableError
			if !errors.As(Classify(dir, tt.err), &unwritable) {
				t.Fatalf("Classify(%v) is not an *UnwritableError", tt.err)
			}
			if unwritable.ReadOnly != tt.wantReadOnly {
				t.Errorf("ReadOnly = %v, want %v", unwritable.ReadOnly, tt.wantReadOnly)
			}
			if msg := unwritable.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, tt.wantText) {
				t.Errorf("message %q does not contain %s and %q", msg, dir, tt.wantText)
			}
			if !errors.Is(unwritable, tt.err) {
				t.Error("the *UnwritableError does not wrap the cause")
			}
		})
	}
}

// TestClassifyOtherErrors checks that Classify leaves other errors as they
// are.
func TestClassifyOtherErrors(t *testing.T) {
	for _, err := range []error{errors.New("no such table: t"), fmt.Errorf("read: %w", syscall.EIO)} {
		if got := Classify("/state", err); got != err {
			t.Errorf("Classify(%v) = %v, want it unchanged", err, got)
		}
		if IsUnwritable(err) {
			t.Errorf("IsUnwritable(%v) = true", err)
		}
	}
	if Classify("/state", nil) != nil {
		t.Error("Classify(nil) is not nil")
	}
}

// codedError is an error with a SQLite result code, as the driver returns.
type codedError int

func (e codedError) Error() string { return fmt.Sprintf("sqlite error (%d)", int(e)) }
func (e codedError) Code() int     { return int(e) }

// TestClassifyShmGrowthWithSpace checks that Classify does not call a store
// full after a failure to grow its -shm file when the file system has space
// left or the directory is not known.
func TestClassifyShmGrowthWithSpace(t *testing.T) {
	err := fmt.Errorf("open store: %w", codedError(sqliteIOErrShmSize))
	for _, dir := range []string{t.TempDir(), ""} {
		if got := Classify(dir, err); got != err {
			t.Errorf("Classify(%q, %v) = %v, want it unchanged", dir, err, got)
		}
	}
}

// TestMonitorLogsRepeatsAtInterval checks that a Monitor logs the start of
// the condition once, repeats at RepeatInterval with a count, and reports
// the stores writable again only after writes have succeeded for a while.
func TestMonitorLogsRepeatsAtInterval(t *testing.T) {
	var logs bytes.Buffer
	now := time.Unix(1_800_000_000, 0)
	var started []error
	m := New("/state", Options{
		Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
		Now:          func() time.Time { return now },
		OnUnwritable: func(err error) { started = append(started, err) },
	})
	full := fmt.Errorf("commit: %w", syscall.ENOSPC)

	if m.Record(nil) || m.Err() != nil {
		t.Fatal("a successful write on a healthy store changed its state")
	}
	// Five failed writes a second for 90 s.
	for range 450 {
		if !m.Record(full) {
			t.Fatal("Record(full disk) = false, want true")
		}
		now = now.Add(200 * time.Millisecond)
	}
	if len(started) != 1 {
		t.Errorf("OnUnwritable called %d times, want 1", len(started))
	}
	if got := strings.Count(logs.String(), "state store cannot take writes"); got != 1 {
		t.Errorf("%d start records, want 1:\n%s", got, logs.String())
	}
	if got := strings.Count(logs.String(), "state store still cannot take writes"); got != 1 {
		t.Errorf("%d repeat records in 90 s, want 1:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "failed_writes=300") {
		t.Errorf("the repeat record lacks the count of 300 failed writes:\n%s", logs.String())
	}
	if m.Record(errors.New("syntax error")) {
		t.Error("Record(other error) = true, want false")
	}

	// A success right after a failure, as a small write that fits, leaves
	// the condition in place.
	m.Record(nil)
	if m.Err() == nil {
		t.Error("Err() = nil right after the last failed write")
	}
	now = now.Add(settleTime - time.Second)
	if m.Err() == nil {
		t.Errorf("Err() = nil %s after the last failed write", settleTime-time.Second)
	}
	now = now.Add(time.Second)
	if err := m.Err(); err != nil {
		t.Errorf("Err() = %v after writes succeeded for %s", err, settleTime)
	}
	if got := strings.Count(logs.String(), "state store takes writes again"); got != 1 {
		t.Errorf("%d end records, want 1:\n%s", got, logs.String())
	}

	m.Record(full)
	if len(started) != 2 {
		t.Errorf("OnUnwritable called %d times after a new condition, want 2", len(started))
	}
}

// TestNilMonitor checks that a nil Monitor records nothing.
func TestNilMonitor(t *testing.T) {
	var m *Monitor
	if m.Record(syscall.ENOSPC) {
		t.Error("nil Monitor Record = true")
	}
	if m.Err() != nil {
		t.Error("nil Monitor Err is not nil")
	}
}

// TestMonitorNeedsSuccessToRecover checks that the condition lasts while no
// write succeeds, however long ago the last one failed.
func TestMonitorNeedsSuccessToRecover(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := New("/state", Options{Now: func() time.Time { return now }})
	m.Record(syscall.EROFS)
	now = now.Add(time.Hour)
	var unwritable *UnwritableError
	if !errors.As(m.Err(), &unwritable) {
		t.Fatalf("Err() = %v an hour after a failed write and no success, want an *UnwritableError", m.Err())
	}
	if !unwritable.ReadOnly {
		t.Error("ReadOnly = false for EROFS")
	}
}
