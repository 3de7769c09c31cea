package sfsim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/worldfile/worldfiletest"
	"github.com/repolink/repolink/shared/snowflake"
)

// TestSecretValueNotSaved checks that no file of the saved world contains
// the password of a SECRET, and that a restarted sandbox still reads it.
func TestSecretValueNotSaved(t *testing.T) {
	dir := t.TempDir()
	const password = "Distinct-Pa55word-7f3e"
	first := startSandbox(t, dir)
	client := first.connect(t)
	mustExec(t, client, snowflake.CreateSecretPassword(testDB, testSchema, "kept", "svc-user", password))
	// The journal has the secret now, and Close folds it into the state file.
	worldfiletest.AssertNoFileContains(t, dir, password)
	client.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	worldfiletest.AssertNoFileContains(t, dir, password)
	second := startSandbox(t, dir)
	account, err := second.Snapshot(testAccount)
	if err != nil {
		t.Fatal(err)
	}
	if got := second.openPassword(t, account.Databases[testDB].Schemas[testSchema].Secrets["KEPT"]); got != password {
		t.Errorf("password after restart = %q, want the one created", got)
	}
}

// TestClearSecretOfEarlierVersion loads a world that an earlier version
// saved with a SECRET's password in clear, and checks that Start seals it.
func TestClearSecretOfEarlierVersion(t *testing.T) {
	dir := t.TempDir()
	const password = "Earlier-Clear-9c1d"
	first := startSandbox(t, dir)
	client := first.connect(t)
	mustExec(t, client, snowflake.CreateSecretPassword(testDB, testSchema, "old", "svc-user", "placeholder"))
	client.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	worldfiletest.RewriteWorld(t, filepath.Join(dir, stateFile), `"password_sealed": "[^"]*"`,
		`"password": "`+password+`"`, password, "password in clear")

	second := startSandbox(t, dir)

	worldfiletest.AssertNoFileContains(t, dir, password)
	account, err := second.Snapshot(testAccount)
	if err != nil {
		t.Fatal(err)
	}
	if got := second.openPassword(t, account.Databases[testDB].Schemas[testSchema].Secrets["OLD"]); got != password {
		t.Errorf("password after loading the earlier world = %q, want the clear one", got)
	}
}

// TestUserPasswordKeyedDigest checks that the saved world keeps a user's
// password as a keyed digest, not as its plain SHA-256 hash, and that the
// password logs in after a restart.
func TestUserPasswordKeyedDigest(t *testing.T) {
	dir := t.TempDir()
	first := startSandbox(t, dir)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(hashPassword(testPassword))) {
		t.Error("the saved world contains the unkeyed SHA-256 of the password")
	}
	if !bytes.Contains(data, []byte(`"password_hmac_sha256"`)) {
		t.Error("the saved world lacks the password digest")
	}
	assertPasswordLogin(t, startSandbox(t, dir), testPassword)
}

// TestUserPasswordHashOfEarlierVersion checks that a user whose password an
// earlier version saved as an unkeyed SHA-256 still logs in.
func TestUserPasswordHashOfEarlierVersion(t *testing.T) {
	dir := t.TempDir()
	first := startSandbox(t, dir)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	hash := hashPassword(testPassword)
	worldfiletest.RewriteWorld(t, filepath.Join(dir, stateFile), `"password_hmac_sha256": "[^"]*"`,
		`"password_sha256": "`+hash+`"`, hash, "unkeyed hash")

	// Start without startSandbox, whose EnsureUser would set the password
	// again.
	server, err := Start(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	assertPasswordLogin(t, &sandbox{Server: server}, testPassword)
}

func assertPasswordLogin(t *testing.T, sb *sandbox, password string) {
	t.Helper()
	cfg := sb.config()
	cfg.PrivateKey, cfg.Password = nil, password
	client, err := snowflake.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open with password: %v", err)
	}
	defer client.Close()
	if got := mustScalar(t, client, "SELECT 1"); got != "1" {
		t.Errorf("SELECT 1 = %q", got)
	}
}
