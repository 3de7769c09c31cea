//go:build linux || darwin

package storehealth

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/repolink/repolink/shared/sqlitefile"
)

// fileLimitChild is set in the environment of the child process that
// TestClassifyFileSizeLimit starts with a small RLIMIT_FSIZE.
const fileLimitChild = "STOREHEALTH_TEST_FILE_LIMIT_CHILD"

// fileLimitBytes is the RLIMIT_FSIZE of the child process.
const fileLimitBytes = 256 << 10

// TestClassifyFileSizeLimit checks that the I/O error of a SQLite write
// past RLIMIT_FSIZE is classified as a file at the file size limit. The
// limit is set in a child process, so that it does not reach the files
// that the test binary writes.
func TestClassifyFileSizeLimit(t *testing.T) {
	if os.Getenv(fileLimitChild) != "" {
		checkFileSizeLimitChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestClassifyFileSizeLimit$", "-test.v")
	cmd.Env = append(os.Environ(), fileLimitChild+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child test failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestClassifyFileSizeLimit") {
		t.Fatalf("child test did not pass:\n%s", out)
	}
}

func checkFileSizeLimitChild(t *testing.T) {
	limit := syscall.Rlimit{Cur: fileLimitBytes, Max: fileLimitBytes}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatalf("set RLIMIT_FSIZE: %v", err)
	}
	dir := t.TempDir()
	db, err := sqlitefile.Open(filepath.Join(dir, "test.db"), `CREATE TABLE IF NOT EXISTS t (v BLOB)`, false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var writeErr error
	for i := 0; i < 100 && writeErr == nil; i++ {
		_, writeErr = db.Exec(`INSERT INTO t VALUES (randomblob(16384))`)
	}
	if writeErr == nil {
		t.Fatalf("writes of 1.6 MB under a file size limit of %d bytes succeeded", fileLimitBytes)
	}

	var unwritable *UnwritableError
	if !errors.As(Classify(dir, writeErr), &unwritable) {
		t.Fatalf("Classify(%q) is not an *UnwritableError", writeErr)
	}
	if !unwritable.TooLarge {
		t.Errorf("TooLarge is false for %q", writeErr)
	}
	if unwritable.ReadOnly {
		t.Errorf("ReadOnly is true for %q", writeErr)
	}
	msg := unwritable.Error()
	for _, want := range []string{dir, "file too large", "ulimit -f"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if IsUnwritable(writeErr) {
		t.Errorf("IsUnwritable(%q) is true without the directory", writeErr)
	}
}

// TestClassifyEFBIG checks that EFBIG from a plain file write is a file at
// the file size limit, with or without the directory.
func TestClassifyEFBIG(t *testing.T) {
	err := &fs.PathError{Op: "write", Path: "/state/sandbox/world.json", Err: syscall.EFBIG}
	var unwritable *UnwritableError
	if !errors.As(Classify("/state", err), &unwritable) || !unwritable.TooLarge {
		t.Errorf("Classify(%q) = %v, want a file at the file size limit", err, Classify("/state", err))
	}
	if !IsUnwritable(err) {
		t.Errorf("IsUnwritable(%q) is false", err)
	}
}

// TestClassifyPermissionDenied checks that permission denied is a
// read-only store only for a path in the store's directory. The errors
// are made up, because root is not denied by file modes.
func TestClassifyPermissionDenied(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		readOnly bool
	}{
		{name: "lock file in dir", path: "/state/start-locks/33.lock", readOnly: true},
		{name: "dir itself", path: "/state", readOnly: true},
		{name: "file outside dir", path: "/home/user/request.json"},
		{name: "sibling with same prefix", path: "/state-other/engine.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &fs.PathError{Op: "open", Path: tt.path, Err: syscall.EACCES}
			var unwritable *UnwritableError
			got := errors.As(Classify("/state", err), &unwritable)
			if got != tt.readOnly {
				t.Fatalf("Classify of permission denied on %s is unwritable: %v, want %v", tt.path, got, tt.readOnly)
			}
			if got && !unwritable.ReadOnly {
				t.Errorf("ReadOnly is false for permission denied on %s", tt.path)
			}
		})
	}
}
