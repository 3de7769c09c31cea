package azuresim

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a log destination that the server's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestFailedSaveLoggedOnce removes the state directory of a running server
// and checks that the failed save of a secret is logged once as an error.
func TestFailedSaveLoggedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Start(context.Background(), Options{Dir: dir, CA: testCA(t), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}

	if err := s.PutSecret("kv", "index-password", "value"); err == nil {
		t.Fatal("PutSecret into a removed state directory succeeded")
	}

	var errorRecords []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `"level":"ERROR"`) {
			errorRecords = append(errorRecords, line)
		}
	}
	if len(errorRecords) != 1 {
		t.Fatalf("logged %d error records, want 1:\n%s", len(errorRecords), logs.String())
	}
	if !strings.Contains(errorRecords[0], "save failed") {
		t.Errorf("error record %s does not name the failed save", errorRecords[0])
	}
}
