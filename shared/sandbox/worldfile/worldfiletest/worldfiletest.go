// Package worldfiletest contains test helpers for the simulators that save
// secret values in their world files.
package worldfiletest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// AssertNoFileContains fails the test when a file under dir contains value.
// The failure names the file but not the value.
func AssertNoFileContains(t testing.TB, dir, value string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(value)) {
			t.Errorf("%s contains the secret value", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// RewriteWorld replaces each match of pattern in the world file at path
// with replacement, to make the file read as one that an earlier version
// saved. It fails the test when the result does not contain want, a part
// of replacement, because then pattern matched nothing. It names description,
// such as "value in clear", in that failure and never want itself.
func RewriteWorld(t testing.TB, path, pattern, replacement, want, description string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	earlier := regexp.MustCompile(pattern).ReplaceAll(data, []byte(replacement))
	if !bytes.Contains(earlier, []byte(want)) {
		t.Fatalf("the test did not write the %s", description)
	}
	if err := os.WriteFile(path, earlier, 0o600); err != nil {
		t.Fatal(err)
	}
}
