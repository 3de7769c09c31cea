package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A commit that takes the WAL past checkpointStartBytes leaves the
// checkpoint to the checkpointer, which copies the WAL into the database
// file soon after, well below the WAL size at which the committing
// connection would run one itself.
func TestCheckpointerCopiesCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	e := openEngine(t, path, "", nil, Options{PollInterval: testPoll})
	var frames int
	if err := e.db.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&frames); err != nil {
		t.Fatal(err)
	}
	if frames != writerCheckpointFrames {
		t.Errorf("wal_autocheckpoint of the store connection %d, want %d", frames, writerCheckpointFrames)
	}
	before := fileSize(t, path)

	// About 1100 pages, more than the checkpointer's start size and far
	// fewer than the writer's checkpoint size.
	text := strings.Repeat("x", 4_500_000)
	insertDefinitionText(t, e, text)
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(t, path) < before+int64(len(text)) {
		if time.Now().After(deadline) {
			t.Fatalf("database file has %d bytes 10 s after the commit, want at least %d",
				fileSize(t, path), before+int64(len(text)))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A write after a checkpoint that copied the whole WAL starts the WAL
// over and truncates it to checkpointStartBytes. The test runs that
// checkpoint itself, because the write must come after the checkpoint
// finished, which the checkpointer does not report.
func TestStoreTruncatesWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	e := openEngine(t, path, "", nil, Options{PollInterval: testPoll})

	insertDefinitionText(t, e, strings.Repeat("x", 4_500_000))
	if size := fileSize(t, path+"-wal"); size <= checkpointStartBytes {
		t.Fatalf("WAL has %d bytes after the large commit, want more than %d", size, checkpointStartBytes)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var busy, frames, copied int
		if err := e.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
			t.Fatal(err)
		}
		if busy == 0 && copied == frames {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint copied %d of %d frames after 10 s", copied, frames)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := e.Define("m", []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)); err != nil {
		t.Fatal(err)
	}
	if size := fileSize(t, path+"-wal"); size > checkpointStartBytes {
		t.Errorf("WAL has %d bytes after the next write, want at most %d", size, checkpointStartBytes)
	}
}

// A store whose WAL is below checkpointStartBytes is not checkpointed, so
// that its pages are not on disk twice, in the WAL and the database file.
func TestCheckpointerLeavesSmallWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	e := openEngine(t, path, "", nil, Options{PollInterval: testPoll})
	before := fileSize(t, path)

	// About 100 pages.
	insertDefinitionText(t, e, strings.Repeat("x", 400_000))
	// Further commits wake the checkpointer after its interval.
	for i := range 3 {
		time.Sleep(2 * checkpointInterval)
		if err := e.Define(fmt.Sprintf("m%d", i), []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * checkpointInterval)
	if after := fileSize(t, path); after != before {
		t.Errorf("database file grew from %d to %d bytes with a WAL below the checkpoint size", before, after)
	}
}

// insertDefinitionText commits a definitions row with text.
func insertDefinitionText(t *testing.T, e *Engine, text string) {
	t.Helper()
	err := e.update(func(tx *storeTx) (func(), error) {
		_, err := tx.ExecContext(context.Background(), `INSERT INTO definitions (hash, text) VALUES (x'01', ?)`, text)
		return nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Close stops the checkpointer before it closes the store connection, so
// that the last connection to close checkpoints and removes the WAL.
func TestCloseRemovesWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	e, err := Open(path, Options{PollInterval: testPoll})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Define("m", []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WAL file after Close: %v, want it removed", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}
