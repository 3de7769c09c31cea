package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// removeDB removes a SQLite database with its write-ahead log files.
func removeDB(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", p, err)
		}
	}
	return nil
}
