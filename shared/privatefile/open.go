package privatefile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotRegular is the error of OpenFile, ReadFile and CheckRegular for a
// state file that is a symbolic link or another non-regular file. A link
// in the state directory could make repolink truncate or write a file
// outside it, so repolink never follows one.
var ErrNotRegular = errors.New("not a regular file")

// OpenFile opens the file at path with flag, creating it with mode 0600
// when flag contains os.O_CREATE. It returns an error that wraps
// ErrNotRegular when the last element of path is a symbolic link, a
// directory, a FIFO or a device, and it does not open or create the link's
// target then. An existing file that this process's effective user owns
// gets mode 0600, as Restrict sets it.
//
// NOTE: on systems without O_NOFOLLOW, OpenFile checks the path with Lstat
// before it opens it, so a link created between the two steps is followed.
func OpenFile(path string, flag int) (*os.File, error) {
	f, err := openNoFollow(path, flag)
	if err != nil {
		if isLinkError(err) {
			return nil, notRegular(path, "a symbolic link")
		}
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("check %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, typeName(info.Mode()))
	}
	if info.Mode().Perm() != 0o600 && ownedByProcess(info) {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("set mode of %s to 0600: %w", path, err)
		}
	}
	return f, nil
}

// ReadFile returns the content of the regular file at path, which it opens
// with OpenFile.
func ReadFile(path string) ([]byte, error) {
	f, err := OpenFile(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// CheckRegular returns an error that wraps ErrNotRegular when a file exists
// at path and is not a regular file, for a file that another library opens
// by name, such as an SQLite database. A missing file is no error.
func CheckRegular(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	switch {
	case info.Mode()&os.ModeSymlink != 0:
		return notRegular(path, "a symbolic link")
	case !info.Mode().IsRegular():
		return notRegular(path, typeName(info.Mode()))
	}
	return nil
}

// notRegular returns the error for the state file at path that is kind.
// The cause comes first and the advice last.
func notRegular(path, kind string) error {
	return fmt.Errorf("%s is %s, %w: repolink keeps its state only in regular files that it creates itself, "+
		"so remove %s and run the command again, or use another --state-dir", path, kind, ErrNotRegular, path)
}

// typeName returns the kind of a file of mode that is neither regular
// nor a symbolic link, with an article, such as "a directory".
func typeName(mode os.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&os.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&os.ModeSocket != 0:
		return "a socket"
	case mode&os.ModeDevice != 0:
		return "a device"
	}
	return "a " + mode.Type().String() + " file"
}
