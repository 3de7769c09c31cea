package main

import (
	"io/fs"
	"path/filepath"

	"github.com/repolink/repolink/shared/privatefile"
)

// checkStateLinks returns a usage error naming the first symbolic link in
// the state directory dir or below it. prepareStateDir runs it before a
// command builds anything, because a link there could make repolink write
// or truncate a file outside the directory. The files are also opened
// without following links (privatefile.OpenFile), which covers a link
// created after this check.
func checkStateLinks(dir string) error {
	return filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable entry is left to the command that opens it.
			return nil
		}
		if entry.Type()&fs.ModeSymlink == 0 || path == dir {
			return nil
		}
		if err := privatefile.CheckRegular(path); err != nil {
			return usagef("%v", err)
		}
		return nil
	})
}
