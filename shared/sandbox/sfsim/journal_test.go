package sfsim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/snowflake"
)

// TestStatementLeavesStateFile checks that a changing statement appends to
// the journal in place of rewriting the whole state file, and that a
// sandbox started on the directory afterwards has the statement's object.
func TestStatementLeavesStateFile(t *testing.T) {
	dir := t.TempDir()
	seeded := startSandbox(t, dir)
	if err := seeded.Close(); err != nil {
		t.Fatal(err)
	}
	first := startSandbox(t, dir)
	client := first.connect(t)

	path := filepath.Join(dir, stateFile)
	past := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
	mustExec(t, client, snowflake.CreateSecretPassword(testDB, testSchema, "after_seed", "svc-user", "s3cret"))

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(past) {
		t.Error("a CREATE SECRET rewrote the state file")
	}

	second := startSandbox(t, dir)
	account, err := second.Snapshot(testAccount)
	if err != nil {
		t.Fatal(err)
	}
	if account.Databases[testDB].Schemas[testSchema].Secrets["AFTER_SEED"] == nil {
		t.Error("secret AFTER_SEED is missing in a sandbox started after the statement")
	}
}

// kill makes server stop saving the way a killed process would: its
// journal stays as it is, with no compaction.
func kill(t *testing.T, server *Server) {
	t.Helper()
	server.mu.Lock()
	defer server.mu.Unlock()
	if err := server.journal.Close(); err != nil {
		t.Fatal(err)
	}
	server.journal = nil
	server.opts.Dir = ""
}

func TestReadWorldAppliesJournal(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, dir)
	client := sb.connect(t)
	createObjects(t, client, "kept_secret", "kept_int", "kept_repo", false)
	kill(t, sb.Server)

	world, err := ReadWorld(dir)
	if err != nil {
		t.Fatalf("ReadWorld: %v", err)
	}
	account := world.Accounts[accountKey(testAccount)]
	if account == nil {
		t.Fatalf("account %s is missing", testAccount)
	}
	if account.Integrations["KEPT_INT"] == nil {
		t.Error("integration KEPT_INT is missing")
	}
	if account.Databases[testDB].Schemas[testSchema].Repositories["KEPT_REPO"] == nil {
		t.Error("repository KEPT_REPO is missing")
	}
}

func TestReadWorldEmptyDir(t *testing.T) {
	world, err := ReadWorld(t.TempDir())
	if err != nil {
		t.Fatalf("ReadWorld: %v", err)
	}
	if len(world.Accounts) != 0 {
		t.Errorf("accounts = %v, want none", world.Accounts)
	}
}

// TestJournalSkipsCutRecord appends part of a record, as a process killed
// while writing it leaves, and checks that Start skips it, folds the
// journal into the state file, and journals later statements after it.
func TestJournalSkipsCutRecord(t *testing.T) {
	dir := t.TempDir()
	first := startSandbox(t, dir)
	createObjects(t, first.connect(t), "kept_secret", "kept_int", "kept_repo", false)
	kill(t, first.Server)
	journal := filepath.Join(dir, journalFile)
	appendFile(t, journal, `{"account":"CUT","state":{"name":"CUT","users":`)

	second := startSandbox(t, dir)
	if info, err := os.Stat(journal); err != nil || info.Size() != 0 {
		t.Fatalf("journal after Start: %v, %v; want an empty file", info, err)
	}
	mustExec(t, second.connect(t), snowflake.CreateSecretPassword(testDB, testSchema, "later", "svc-user", "s3cret"))
	kill(t, second.Server)

	world, err := ReadWorld(dir)
	if err != nil {
		t.Fatalf("ReadWorld: %v", err)
	}
	if world.Accounts["CUT"] != nil {
		t.Error("the cut record created account CUT")
	}
	account := world.Accounts[accountKey(testAccount)]
	if account.Integrations["KEPT_INT"] == nil {
		t.Error("integration KEPT_INT from before the cut record is missing")
	}
	if account.Databases[testDB].Schemas[testSchema].Secrets["LATER"] == nil {
		t.Error("secret LATER from after the restart is missing")
	}
}

func TestJournalRejectsCorruptLine(t *testing.T) {
	dir := t.TempDir()
	first := startSandbox(t, dir)
	kill(t, first.Server)
	appendFile(t, filepath.Join(dir, journalFile), "not json\n"+`{"account":"X","state":null}`+"\n")

	_, err := Start(context.Background(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), journalFile+" line") {
		t.Errorf("Start error = %v, want one that names the line of the journal", err)
	}
	if _, err := ReadWorld(dir); err == nil {
		t.Error("ReadWorld accepted a journal with a line that is not JSON")
	}
}

// TestJournalCompacts saves one account until the journal passes its
// limit, and checks that the state file then holds the account and the
// journal is empty.
func TestJournalCompacts(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, dir)
	s := sb.Server
	key := accountKey(testAccount)

	s.mu.Lock()
	saves := 0
	for s.journalSize < journalMinCompact {
		s.world.Accounts[key].Parameters["SAVES"] = strings.Repeat("x", saves)
		if err := s.save(key); err != nil {
			s.mu.Unlock()
			t.Fatalf("save %d: %v", saves, err)
		}
		saves++
		if s.journalSize == 0 {
			break
		}
	}
	journalSize := s.journalSize
	s.mu.Unlock()

	if journalSize != 0 {
		t.Fatalf("journal size after %d saves = %d, want 0 after a compaction", saves, journalSize)
	}
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), strings.Repeat("x", saves-1)) {
		t.Error("the state file lacks the last saved parameter value")
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReadWorldDuringCompaction compacts the journal of a running sandbox
// after ReadWorld has read the state file and before it reads the journal,
// and checks that the world read still has the journaled objects.
func TestReadWorldDuringCompaction(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, dir)
	createObjects(t, sb.connect(t), "kept_secret", "kept_int", "kept_repo", false)

	compactions := 0
	world, err := readWorld(dir, func() {
		if compactions > 0 {
			return
		}
		compactions++
		sb.mu.Lock()
		defer sb.mu.Unlock()
		if err := sb.compact(); err != nil {
			t.Fatalf("compact: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("readWorld: %v", err)
	}
	if compactions != 1 {
		t.Fatalf("compactions = %d, want 1", compactions)
	}
	account := world.Accounts[accountKey(testAccount)]
	if account == nil {
		t.Fatalf("account %s is missing", testAccount)
	}
	if account.Integrations["KEPT_INT"] == nil {
		t.Error("integration KEPT_INT is missing")
	}
	if account.Databases[testDB].Schemas[testSchema].Secrets["KEPT_SECRET"] == nil {
		t.Error("secret KEPT_SECRET is missing")
	}
}
