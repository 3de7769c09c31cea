package secretref

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxLinks bounds how many symbolic links RealPath follows to targets that
// do not exist. Linux follows at most 40 links in one path lookup.
const maxLinks = 40

// RealPath returns the absolute path of the file that the absolute path
// names, with every symbolic link resolved. When the file does not exist,
// it returns the real path of the deepest existing directory joined with
// the missing elements, so that an allow-list may name a file created
// later. When the first missing element is a symbolic link whose target
// does not exist yet, it returns the real path of that target, where the
// file would have to be created. It fails when a missing part contains
// "..", which the file system cannot resolve either.
func RealPath(path string) (string, error) {
	return followPath(path, 0)
}

// followPath resolves path as RealPath does. links counts the links to
// missing targets that were followed so far.
func followPath(path string, links int) (string, error) {
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("path %q is not absolute", path)
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err == nil {
		return resolved, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}

	var elements []string
	for _, e := range strings.Split(path, "/") {
		if e != "" && e != "." {
			elements = append(elements, e)
		}
	}
	for n := len(elements) - 1; n >= 0; n-- {
		dir, err := filepath.EvalSymlinks("/" + strings.Join(elements[:n], "/"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		missing := elements[n:]
		if slices.Contains(missing, "..") {
			return "", fmt.Errorf("path %q: %w", path, fs.ErrNotExist)
		}
		first := filepath.Join(dir, missing[0])
		info, err := os.Lstat(first)
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(append([]string{dir}, missing...)...), nil
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			// The element appeared after EvalSymlinks failed.
			return "", fmt.Errorf("path %q changed while it was resolved", path)
		}
		if links >= maxLinks {
			return "", fmt.Errorf("path %q: more than %d symbolic links to files that do not exist", path, maxLinks)
		}
		target, err := os.Readlink(first)
		if err != nil {
			return "", err
		}
		// The target is joined as text, not cleaned, because a ".." after
		// a symbolic link in it leads out of the link's target.
		if !filepath.IsAbs(target) {
			target = dir + "/" + target
		}
		for _, e := range missing[1:] {
			target += "/" + e
		}
		return followPath(target, links+1)
	}
	return "", err
}
