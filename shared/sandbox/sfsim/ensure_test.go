package sfsim

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestEnsureSavesOnlyChanges checks that an Ensure call that finds
// everything in place leaves the state file and journal alone, and that one
// that creates or changes something writes one of them.
func TestEnsureSavesOnlyChanges(t *testing.T) {
	dir := t.TempDir()
	server, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })

	const account = "ACME-TEST"
	seed := func() error {
		for _, err := range []error{
			server.EnsureAccount(account),
			server.EnsureDatabase(account, "PACKAGES"),
			server.EnsureSchema(account, "PACKAGES", "PYPI"),
			server.EnsureRole(account, "REPOLINK_ROLE"),
			server.EnsureUser(account, "repolink_svc", nil, "first password"),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := seed(); err != nil {
		t.Fatalf("first seed: %v", err)
	}
	// The files are dated in the past, and each save writes the journal,
	// the state file or both with the current time.
	paths := []string{filepath.Join(dir, stateFile), filepath.Join(dir, journalFile)}
	past := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	backdate := func() {
		t.Helper()
		for _, path := range paths {
			if err := os.Chtimes(path, past, past); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
		}
	}
	saved := func() bool {
		t.Helper()
		for _, path := range paths {
			info, err := os.Stat(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if !info.ModTime().Equal(past) {
				return true
			}
		}
		return false
	}

	backdate()
	if err := seed(); err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if saved() {
		t.Error("a seed that changed nothing wrote the state file or journal")
	}

	if err := server.EnsureUser(account, "repolink_svc", nil, "second password"); err != nil {
		t.Fatalf("EnsureUser with a new password: %v", err)
	}
	if !saved() {
		t.Error("a new password left the state file and journal unchanged")
	}

	backdate()
	if err := server.EnsureRole(account, "OTHER_ROLE"); err != nil {
		t.Fatalf("EnsureRole of a new role: %v", err)
	}
	if !saved() {
		t.Error("a new role left the state file and journal unchanged")
	}

	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	reopened, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reopened.Close() })
	snapshot, err := reopened.Snapshot(account)
	if err != nil {
		t.Fatal(err)
	}
	if snapshot.Roles["OTHER_ROLE"] == nil {
		t.Error("role OTHER_ROLE is missing after a restart")
	}
	user := snapshot.Users["REPOLINK_SVC"]
	if user == nil {
		t.Fatal("user REPOLINK_SVC is missing after a restart")
	}
	if user.PasswordDigest != reopened.sealer.Digest("second password") {
		t.Error("user REPOLINK_SVC lost its second password after a restart")
	}
}
