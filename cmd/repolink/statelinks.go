package main

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/repolink/repolink/shared/privatefile"
)

// checkStateLinks returns a usage error naming the first symbolic link in
// the state directory dir or below it. Every command that opens the state
// directory runs it before it changes anything, through prepareStateDir or
// stateDirOf, because a link there could make repolink write, truncate or
// delete a file outside the directory. The files are also opened without
// following links (privatefile.OpenFile), which covers a link created
// after this check.
//
// dir itself may be a symbolic link to a directory, because the operator
// names it, and the check then covers the directory it points to.
func checkStateLinks(dir string) error {
	root := dir
	if info, err := os.Lstat(dir); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		// WalkDir does not descend into a root that is a link, but it
		// follows the link when the root ends in a separator.
		root = dir + string(filepath.Separator)
	}
	return filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable entry is left to the command that opens it.
			return nil
		}
		if entry.Type()&fs.ModeSymlink == 0 || path == root {
			return nil
		}
		if err := privatefile.CheckRegular(path); err != nil {
			return usagef("%v", err)
		}
		return nil
	})
}

// stateDirOf returns the absolute path of the state directory stateDir,
// or a usage error when the directory contains a symbolic link, for a
// command that opens an existing state directory and creates none. A
// missing directory is no error here.
func stateDirOf(stateDir string) (string, error) {
	dir, err := filepath.Abs(stateDir)
	if err != nil {
		return "", usagef("state directory %s: %v", stateDir, err)
	}
	if err := checkStateLinks(dir); err != nil {
		return dir, err
	}
	return dir, nil
}
