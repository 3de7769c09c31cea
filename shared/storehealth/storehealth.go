// Package storehealth classifies the errors of SQLite stores that cannot
// take writes, because their file system is full, a file reached the file
// size limit of the process, or the files are read-only. It tracks that
// condition for the loops that retry writes.
//
// It imports no SQLite driver, so packages that also build for Lambda or
// Cloud Functions can classify store errors without one.
package storehealth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// SQLite primary result codes, from https://www.sqlite.org/rescode.html.
// An extended result code keeps the primary code in its low byte.
const (
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	// sqliteIOErrShmSize (SQLITE_IOERR_SHMSIZE) is a failure to grow the
	// -shm file of a WAL database. A full file system is one cause, so
	// Classify checks the free space before it calls the store full.
	sqliteIOErrShmSize = 4874
)

// shmRegionSize is the size of one region of a -shm file, the step in
// which SQLite grows it.
const shmRegionSize = 32 << 10

// writeMargin is an estimate of the max size of one SQLite write. SQLite
// writes one page at a time, of at most 64 KiB plus a 24-byte WAL frame
// header (https://www.sqlite.org/fileformat.html), so 1 MiB leaves room.
const writeMargin = 1 << 20

// UnwritableError is the error of a write to a store whose file system is
// full, whose file is at the file size limit or whose files are read-only.
// Its message names the store's directory and the change that fixes it.
type UnwritableError struct {
	// Dir is the directory of the store file, or empty when it is not known.
	Dir string
	// ReadOnly is set when the directory or its files deny writes, such as
	// on a read-only file system or with permission denied.
	ReadOnly bool
	// TooLarge is set when a file reached the file size limit of the
	// process (RLIMIT_FSIZE, set by ulimit -f), which fails writes with
	// EFBIG while the file system still has room.
	TooLarge bool
	Err      error
}

func (e *UnwritableError) Error() string {
	where := "the state store"
	if e.Dir != "" {
		where = "the state store in " + e.Dir
	}
	switch {
	case e.ReadOnly:
		return fmt.Sprintf("%s is read-only (%v); make the directory and the files in it writable by this user", where, e.Err)
	case e.TooLarge:
		return fmt.Sprintf("%s has a file at the file size limit of this process (file too large: %v); "+
			"raise the limit (ulimit -f) or run without it", where, e.Err)
	}
	return fmt.Sprintf("%s is full (%v); free space on its file system", where, e.Err)
}

// Cause returns the condition without the directory, for messages that
// must not name it: "full", "read-only" or "at the file size limit".
func (e *UnwritableError) Cause() string {
	switch {
	case e.ReadOnly:
		return "read-only"
	case e.TooLarge:
		return "at the file size limit"
	}
	return "full"
}

func (e *UnwritableError) Unwrap() error { return e.Err }

// Classify returns err as an *UnwritableError for the store in dir when
// err is the error of a full file system, a file at the file size limit or
// a read-only store, and returns err unchanged otherwise. These causes need
// dir, because their error alone does not show that the store cannot take
// writes:
//   - A failure to grow a -shm file counts as a full file system only when
//     the file system of dir has no room for one more -shm region.
//   - A SQLite I/O error counts as a full file system when the file system
//     of dir has less than writeMargin free. It counts as a file at the
//     file size limit when a file in dir is within writeMargin of that limit.
//   - Permission denied counts as a read-only store only for a path in dir.
//
// An err that already is an *UnwritableError keeps its directory.
func Classify(dir string, err error) error {
	if err == nil {
		return nil
	}
	var unwritable *UnwritableError
	if errors.As(err, &unwritable) {
		return err
	}
	c, ok := unwritableCause(err)
	if !ok {
		c, ok = causeInDir(dir, err)
	}
	if !ok {
		return err
	}
	return &UnwritableError{Dir: dir, ReadOnly: c == causeReadOnly, TooLarge: c == causeTooLarge, Err: err}
}

// causeInDir returns the cause of err, a store error in dir, that
// Classify finds only by looking at dir.
func causeInDir(dir string, err error) (cause, bool) {
	if dir == "" {
		return 0, false
	}
	if shmGrowthFailedForSpace(dir, err) {
		return causeFull, true
	}
	if permissionDeniedIn(dir, err) {
		return causeReadOnly, true
	}
	var coded interface{ Code() int }
	if !errors.As(err, &coded) || coded.Code()&0xff != sqliteIOErr {
		return 0, false
	}
	// SQLite reports a failed write(2) as SQLITE_IOERR_WRITE without the
	// errno, so the state of dir shows whether ENOSPC or EFBIG was likely.
	// The Go runtime catches SIGXFSZ and takes no action (os/signal package
	// documentation), so a write past RLIMIT_FSIZE fails with EFBIG instead
	// of ending the process.
	if free, ok := freeBytes(dir); ok && free < writeMargin {
		return causeFull, true
	}
	if limit, ok := fileSizeLimit(); ok && largestFile(dir)+writeMargin >= limit {
		return causeTooLarge, true
	}
	return 0, false
}

// permissionDeniedIn reports whether err is permission denied on a path
// in dir or on dir itself.
func permissionDeniedIn(dir string, err error) bool {
	var pathErr *fs.PathError
	if !errors.As(err, &pathErr) || !errors.Is(err, fs.ErrPermission) {
		return false
	}
	rel, relErr := filepath.Rel(dir, pathErr.Path)
	return relErr == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// largestFile returns the size of the largest regular file in dir,
// without descending into subdirectories, where the SQLite stores are.
func largestFile(dir string) uint64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var largest uint64
	for _, entry := range entries {
		info, err := entry.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		largest = max(largest, uint64(info.Size()))
	}
	return largest
}

// shmGrowthFailedForSpace reports whether err is SQLite's failure to grow
// a -shm file in dir and the file system of dir has less than one -shm
// region free. The error itself does not say why the file did not grow.
func shmGrowthFailedForSpace(dir string, err error) bool {
	var coded interface{ Code() int }
	if dir == "" || !errors.As(err, &coded) || coded.Code() != sqliteIOErrShmSize {
		return false
	}
	free, ok := freeBytes(dir)
	return ok && free < shmRegionSize
}

// IsUnwritable reports whether err is the error of a full file system, a
// file at the file size limit or a read-only store, whether or not
// Classify wrapped it. Without the directory it misses the causes that
// Classify finds only by looking at the directory.
func IsUnwritable(err error) bool {
	var unwritable *UnwritableError
	if errors.As(err, &unwritable) {
		return true
	}
	_, ok := unwritableCause(err)
	return ok
}

// cause is the reason that a store cannot take writes.
type cause int

const (
	causeFull cause = iota
	causeReadOnly
	causeTooLarge
)

// unwritableCause returns the cause of err when its error alone shows that
// a store cannot take writes. SQLite drivers report result codes through a
// Code method, as modernc.org/sqlite's *Error does.
func unwritableCause(err error) (cause, bool) {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case sqliteFull:
			return causeFull, true
		case sqliteReadOnly:
			return causeReadOnly, true
		}
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return causeFull, true
	case errors.Is(err, syscall.EFBIG):
		return causeTooLarge, true
	case errors.Is(err, syscall.EROFS):
		return causeReadOnly, true
	}
	return 0, false
}
