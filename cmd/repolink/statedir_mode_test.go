//go:build unix

package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateDirFilesPrivate runs the example in a state directory that
// exists with mode 0755. It checks that the owner alone can open each file
// and directory that the run created in it. It also checks that the run
// warned once about the mode of the directory itself.
func TestStateDirFilesPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "../../examples/aws-privatelink.json")
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	warning := "repolink: warning: state directory " + dir + " has mode 0755, so other users can open it; run 'chmod 700 " + shellQuote(dir) + "'\n"
	if n := strings.Count(errOut, warning); n != 1 {
		t.Errorf("stderr has the warning %d times, want once: %q\nstderr:\n%s", n, warning, errOut)
	}
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch mode := info.Mode(); {
		case mode.IsDir() && mode.Perm() != 0o700:
			t.Errorf("directory %s has mode %#o, want 0700", rel, mode.Perm())
		case mode.IsRegular() && mode.Perm() != 0o600:
			t.Errorf("file %s has mode %#o, want 0600", rel, mode.Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPrivateStateDirNoWarning(t *testing.T) {
	var warnings []string
	dir, err := prepareStateDir(filepath.Join(t.TempDir(), "new"), func(msg string) { warnings = append(warnings, msg) })
	if err != nil {
		t.Fatal(err)
	}

	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o700 {
		t.Errorf("new state directory has mode %#o, want 0700", mode)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings for a new state directory: %q", warnings)
	}
}
