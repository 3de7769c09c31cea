// Package privatefile restricts the files in which repolink keeps state to
// their owner.
package privatefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Restrict sets the mode of the regular file at path to 0600 when this
// process's effective user owns it and its mode differs.
// Older repolink versions created state files with mode 0644 less the
// umask, and those files keep their mode until something changes it.
//
// A missing file, a symbolic link and another user's file are left as they
// are. Restrict does nothing on systems without Unix file modes.
func Restrict(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check mode of %s: %w", path, err)
	}
	if !info.Mode().IsRegular() || info.Mode().Perm() == 0o600 || !ownedByProcess(info) {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("set mode of %s to 0600: %w", path, err)
	}
	return nil
}
