package sfnapi

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// TestPageTokenAfterRestart lists a page through one handler and the next
// page through a second handler that loads the same key file, as repolink
// up does after a restart on the same state directory.
func TestPageTokenAfterRestart(t *testing.T) {
	keyPath := filepath.Join(t.TempDir(), TokenKeyFile)
	key, err := LoadTokenKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	f := newFixtureWith(t, map[string]string{"m": echoMachine}, map[string]engine.TaskFunc{"echo": echo},
		Options{TokenKey: key, Now: func() time.Time { return now }})
	for _, name := range []string{"a", "b"} {
		f.startAndWait(t, "m", name)
	}
	body := map[string]any{"stateMachineArn": machineARN("m"), "maxResults": 1}
	status, out := f.post(t, "ListExecutions", body)
	token, _ := out["nextToken"].(string)
	if status != http.StatusOK || token == "" {
		t.Fatalf("ListExecutions = %d %v, want 200 with a nextToken", status, out)
	}

	reloaded, err := LoadTokenKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	later := now
	restarted := httptest.NewServer(New(f.e, Options{TokenKey: reloaded, Now: func() time.Time { return later }}))
	t.Cleanup(restarted.Close)
	second := &fixture{e: f.e, url: restarted.URL}
	body["nextToken"] = token
	status, out = second.post(t, "ListExecutions", body)
	if status != http.StatusOK {
		t.Fatalf("ListExecutions after the restart = %d %v, want 200", status, out)
	}
	if items, _ := out["executions"].([]any); len(items) != 1 {
		t.Errorf("second page has %d executions, want 1", len(items))
	}

	later = now.Add(tokenLifetime + time.Minute)
	status, out = second.post(t, "ListExecutions", body)
	if status != http.StatusBadRequest {
		t.Errorf("status of a token older than %s = %d, want 400", tokenLifetime, status)
	}
	if out["__type"] != "InvalidToken" {
		t.Errorf("__type = %v, want InvalidToken", out["__type"])
	}
	if message, _ := out["message"].(string); !strings.Contains(message, "expired") {
		t.Errorf("message %q does not say that the token expired", message)
	}
}

func TestLoadTokenKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, TokenKeyFile)
	key, err := LoadTokenKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != tokenKeyBytes {
		t.Errorf("key has %d bytes, want %d", len(key), tokenKeyBytes)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %o, want 600", mode)
	}
	again, err := LoadTokenKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(key) {
		t.Error("the second load returned another key")
	}

	t.Run("symbolic link", func(t *testing.T) {
		link := filepath.Join(dir, "linked.key")
		if err := os.Symlink(path, link); err != nil {
			t.Skipf("create symbolic link: %v", err)
		}
		if _, err := LoadTokenKey(link); err == nil {
			t.Error("LoadTokenKey followed a symbolic link")
		}
	})
	t.Run("wrong length", func(t *testing.T) {
		short := filepath.Join(dir, "short.key")
		if err := os.WriteFile(short, []byte("short"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadTokenKey(short)
		if err == nil {
			t.Fatal("LoadTokenKey accepted a 5-byte key")
		}
		if !strings.Contains(err.Error(), "delete it") {
			t.Errorf("error %q does not say to delete the file", err)
		}
	})
}
