package request

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFileLimitedReadsRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(path, []byte(`{"id": "DATA-1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := ReadFileLimited(path, 64)
	if err != nil {
		t.Fatalf("ReadFileLimited: %v", err)
	}
	if string(data) != `{"id": "DATA-1"}` {
		t.Errorf("ReadFileLimited = %q, want the file's content", data)
	}
}

func TestReadFileLimitedRejectsDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFileLimited(dir, 64)
	var notRegular *NotRegularError
	if !errors.As(err, &notRegular) {
		t.Fatalf("ReadFileLimited error = %v, want *NotRegularError", err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the path", err)
	}
	if !strings.Contains(err.Error(), "a directory") {
		t.Errorf("error %q does not say the path is a directory", err)
	}
}

func TestReadFileLimitedRejectsLargeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "large")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file of 300 MB: reading it whole would take that much
	// memory.
	const size = 300 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()

	_, err = ReadFileLimited(path, 1024)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("ReadFileLimited error = %v, want *TooLargeError", err)
	}
	if tooLarge.Size != size {
		t.Errorf("Size = %d, want %d", tooLarge.Size, size)
	}
	if tooLarge.Limit != 1024 {
		t.Errorf("Limit = %d, want 1024", tooLarge.Limit)
	}
}

func TestReadFileLimitedReportsMissingFile(t *testing.T) {
	_, err := ReadFileLimited(filepath.Join(t.TempDir(), "missing"), 64)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFileLimited error = %v, want fs.ErrNotExist", err)
	}
}
