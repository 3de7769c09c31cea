// Package worldfile stores the state of a sandbox simulator as one JSON
// file, so that a later sandbox run on the same directory starts from it.
package worldfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/repolink/repolink/shared/privatefile"
)

// staleAfter is the age after which Load treats a temporary file of Save as
// left by a killed process. Save renames its file well within a second.
const staleAfter = time.Minute

// Load decodes the JSON file at path into v. A missing file is not an
// error and leaves v as it is. Load also removes the temporary files of
// path that a process killed during Save left behind, because they contain
// the same state, secret values included. For the same reason it sets a
// file of this process's user that older versions left readable by others
// to mode 0600. A path that is a symbolic link or another non-regular file
// is an error that wraps privatefile.ErrNotRegular.
func Load(path string, v any) error {
	removeStale(path, time.Now())
	data, err := privatefile.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state file: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parse state file %s: %w", path, err)
	}
	return nil
}

// Save writes v to path as indented JSON. It writes a temporary file in the
// same directory and renames it over path, so a reader sees either the old
// or the new state, never a partial file. The file has mode 0600, the mode
// os.CreateTemp gives, because some simulators store secret values.
func Save(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(tempPattern(path)))
	if err != nil {
		return fmt.Errorf("write state file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())

	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write state file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write state file %s: %w", path, err)
	}
	return nil
}

// tempPattern matches the temporary files that Save makes for path.
func tempPattern(path string) string { return path + ".*.tmp" }

// removeStale removes the temporary files of path that are older than
// staleAfter. A younger one may belong to a Save still running.
func removeStale(path string, now time.Time) {
	names, _ := filepath.Glob(tempPattern(path))
	for _, name := range names {
		info, err := os.Lstat(name)
		if err == nil && info.Mode().IsRegular() && now.Sub(info.ModTime()) > staleAfter {
			os.Remove(name)
		}
	}
}

// LoadDir reads the file name in dir into a new T and returns it. fill sets
// the fields that a usable T needs, such as empty maps. LoadDir calls it
// before decoding and again after, because the file may set a map to null.
// An empty dir, which keeps the world in memory only, or a missing file
// gives the filled zero T.
func LoadDir[T any](dir, name string, fill func(*T)) (*T, error) {
	v := new(T)
	fill(v)
	if dir == "" {
		return v, nil
	}
	if err := Load(filepath.Join(dir, name), v); err != nil {
		return nil, err
	}
	fill(v)
	return v, nil
}

// FillMap sets *m to an empty map when it is nil, as a fill function of
// LoadDir does for each map of a world.
func FillMap[K comparable, V any](m *map[K]V) {
	if *m == nil {
		*m = map[K]V{}
	}
}

// SaveDir writes v to the file name in dir with Save. An empty dir keeps
// the world in memory only, so SaveDir writes nothing.
func SaveDir(dir, name string, v any) error {
	if dir == "" {
		return nil
	}
	return Save(filepath.Join(dir, name), v)
}
