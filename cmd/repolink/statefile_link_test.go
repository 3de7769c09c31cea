//go:build unix

package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/privatefile"
)

// linkStateFile makes name in the state directory dir a symbolic link to a
// file outside dir, and returns the target's path. With existing set, the
// target exists with the content "ORIGINAL\n" and mode 0644.
func linkStateFile(t *testing.T, dir, name string, existing bool) string {
	t.Helper()
	target := filepath.Join(t.TempDir(), "target")
	if existing {
		if err := os.WriteFile(target, []byte("ORIGINAL\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(target, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	return target
}

// checkTargetUnchanged fails the test when the link target at target is
// no longer as linkStateFile left it.
func checkTargetUnchanged(t *testing.T, target string, existing bool) {
	t.Helper()
	info, err := os.Stat(target)
	if !existing {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the command created the link target %s: Stat returned %v", target, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(target)
	if err != nil {
		t.Fatalf("read the link target: %v", err)
	}
	if string(data) != "ORIGINAL\n" {
		t.Errorf("link target contains %q, want it unchanged", data)
	}
	if info.Mode().Perm() != 0o644 {
		t.Errorf("link target has mode %#o, want 0644", info.Mode().Perm())
	}
}

func TestStateFileLinkRejected(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	request := filepath.Join("..", "..", "examples", "public.json")
	up := func(dir string) []string {
		return []string{"up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", dir}
	}
	plan := func(dir string) []string { return []string{"plan", "--sandbox", "--state-dir", dir, request} }

	tests := []struct {
		name     string
		file     string
		existing bool
		args     func(dir string) []string
	}{
		{name: "up lock to a file", file: lockFile, existing: true, args: up},
		{name: "up lock dangling", file: lockFile, args: up},
		{name: "sandbox lock of up", file: sandboxLockFile, args: up},
		{name: "sandbox lock of plan", file: sandboxLockFile, existing: true, args: plan},
		{name: "mode of up", file: modeFile, existing: true, args: up},
		{name: "clock of up", file: clockFile, existing: true, args: up},
		{name: "engine store of up", file: engineStore, existing: true, args: up},
		{name: "runner lock of up", file: engineStore + "-runner.lock", existing: true, args: up},
		{name: "seal key of up", file: filepath.Join("sandbox", "aws", "seal.key"), args: up},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != modeFile {
				// Without a mode file, an engine store makes dir a
				// directory of the real clouds.
				if err := os.WriteFile(filepath.Join(dir, modeFile), []byte("sandbox\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			target := linkStateFile(t, dir, tt.file, tt.existing)

			code, _, errOut := runCLITimed(t, 20*time.Second, tt.args(dir)...)
			if code != exitInvalid {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			want := filepath.Join(dir, tt.file) + " is a symbolic link"
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr %q does not contain %q", errOut, want)
			}
			checkTargetUnchanged(t, target, tt.existing)
		})
	}
}

func TestStateFilesMadePrivate(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	dir := t.TempDir()
	files := map[string]string{
		lockFile:        "",
		sandboxLockFile: "",
		legacyStartLock: "",
		modeFile:        "sandbox\n",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	service, err := lockStateDir(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer service.release()
	sandboxLock, err := lockSandbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sandboxLock.release()
	unlock, err := lockStarts(t.Context(), dir, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if _, err := readStateMode(dir); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("%s has mode %#o, want 0600", name, got)
		}
	}
}

func TestStartLockLinkRejected(t *testing.T) {
	for _, name := range []string{legacyStartLock, filepath.Join(startLockDir, filepath.Base(startLockPath("", "req-1")))} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target := linkStateFile(t, dir, name, true)

			unlock, err := lockStarts(t.Context(), dir, "req-1")
			if err == nil {
				unlock()
				t.Fatal("lockStarts returned no error")
			}
			if !errors.Is(err, privatefile.ErrNotRegular) {
				t.Errorf("lockStarts error %q does not wrap privatefile.ErrNotRegular", err)
			}
			if code := exitCode(err, io.Discard); code != exitInvalid {
				t.Errorf("exit status for lockStarts error = %d, want %d", code, exitInvalid)
			}
			checkTargetUnchanged(t, target, true)
		})
	}
}
