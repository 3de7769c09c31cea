package worldfile

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/storehealth"
)

// reportFixture is a health monitor and a logger that both write JSON log
// records to one buffer, so a test counts every record of a save.
type reportFixture struct {
	buf         bytes.Buffer
	log         *slog.Logger
	health      *storehealth.Monitor
	unwritables int
}

// newReportFixture returns a fixture for the stores in dir. The monitor's
// clock advances by its repeat interval on every reading, so each recorded
// unwritable error adds a log record and a second Record is visible.
func newReportFixture(dir string) *reportFixture {
	f := &reportFixture{}
	f.log = slog.New(slog.NewJSONHandler(&f.buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.health = storehealth.New(dir, storehealth.Options{
		Logger:         f.log,
		RepeatInterval: time.Minute,
		Now: func() time.Time {
			now = now.Add(time.Minute)
			return now
		},
		OnUnwritable: func(error) { f.unwritables++ },
	})
	return f
}

func (f *reportFixture) records() []string {
	var out []string
	for line := range strings.Lines(f.buf.String()) {
		out = append(out, line)
	}
	return out
}

func TestReportUnwritableOnce(t *testing.T) {
	dir := t.TempDir()
	f := newReportFixture(dir)
	saveErr := &fs.PathError{Op: "write", Path: filepath.Join(dir, "world.json"), Err: syscall.ENOSPC}

	err := Report(dir, saveErr, f.health, f.log)

	if !errors.Is(err, saveErr) {
		t.Errorf("Report returned %v, want the save error %v", err, saveErr)
	}
	if f.unwritables != 1 {
		t.Errorf("monitor reported the stores unwritable %d times, want 1", f.unwritables)
	}
	if f.health.Err() == nil {
		t.Error("monitor reports the stores writable after a save failed for lack of space")
	}
	if got := f.records(); len(got) != 1 {
		t.Errorf("logged %d records, want 1:\n%s", len(got), f.buf.String())
	}
}

func TestSaveReportedFailureLoggedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "removed")
	f := newReportFixture(dir)

	err := SaveReported(dir, "world.json", state{Name: "sandbox"}, f.health, f.log)

	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SaveReported into a missing directory returned %v, want a not-exist error", err)
	}
	if f.unwritables != 0 {
		t.Errorf("monitor reported the stores unwritable %d times for a missing directory, want 0", f.unwritables)
	}
	got := f.records()
	if len(got) != 1 {
		t.Fatalf("logged %d records, want 1:\n%s", len(got), f.buf.String())
	}
	if !strings.Contains(got[0], "sandbox world save failed") {
		t.Errorf("log record %s lacks the save failure message", got[0])
	}
	if !strings.Contains(got[0], dir) {
		t.Errorf("log record %s lacks the directory %s", got[0], dir)
	}
}

func TestSaveReportedSuccessLogsNothing(t *testing.T) {
	dir := t.TempDir()
	f := newReportFixture(dir)

	if err := SaveReported(dir, "world.json", state{Name: "sandbox"}, f.health, f.log); err != nil {
		t.Fatalf("SaveReported: %v", err)
	}
	if f.buf.Len() != 0 {
		t.Errorf("a successful save logged:\n%s", f.buf.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "world.json")); err != nil {
		t.Errorf("saved file: %v", err)
	}
}

func TestReportNilMonitorLogsUnwritable(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	saveErr := &fs.PathError{Op: "write", Path: "/state/world.json", Err: syscall.ENOSPC}

	if err := Report("/state", saveErr, nil, log); !errors.Is(err, saveErr) {
		t.Errorf("Report returned %v, want the save error %v", err, saveErr)
	}
	if got := strings.Count(buf.String(), "\n"); got != 1 {
		t.Errorf("logged %d records without a monitor, want 1:\n%s", got, buf.String())
	}
}
