// Package storehealth classifies the errors of SQLite stores that cannot
// take writes, because their file system is full or their file is
// read-only, and tracks that condition for the loops that retry writes.
//
// It imports no SQLite driver, so packages that also build for Lambda or
// Cloud Functions can classify store errors without one.
package storehealth

import (
	"errors"
	"fmt"
	"syscall"
)

// SQLite primary result codes, from https://www.sqlite.org/rescode.html.
// An extended result code keeps the primary code in its low byte.
const (
	sqliteReadOnly = 8
	sqliteFull     = 13
	// sqliteIOErrShmSize (SQLITE_IOERR_SHMSIZE) is a failure to grow the
	// -shm file of a WAL database. A full file system is one cause, so
	// Classify checks the free space before it calls the store full.
	sqliteIOErrShmSize = 4874
)

// shmRegionSize is the size of one region of a -shm file, the step in
// which SQLite grows it.
const shmRegionSize = 32 << 10

// UnwritableError is the error of a write to a store whose file system is
// full or whose file is read-only. Its message names the store's directory
// and the change that fixes it.
type UnwritableError struct {
	// Dir is the directory of the store file, or empty when it is not known.
	Dir      string
	ReadOnly bool
	Err      error
}

func (e *UnwritableError) Error() string {
	where := "the state store"
	if e.Dir != "" {
		where = "the state store in " + e.Dir
	}
	if e.ReadOnly {
		return fmt.Sprintf("%s is read-only (%v); make the directory and its .db files writable by this user", where, e.Err)
	}
	return fmt.Sprintf("%s is full (%v); free space on its file system", where, e.Err)
}

func (e *UnwritableError) Unwrap() error { return e.Err }

// Classify returns err as an *UnwritableError for the store in dir when
// err is the error of a full file system or a read-only store, and returns
// err unchanged otherwise. A failure to grow a -shm file counts as a full
// file system only when dir is given and its file system has no room for
// one more -shm region. An err that already is an *UnwritableError keeps
// its directory.
func Classify(dir string, err error) error {
	if err == nil {
		return nil
	}
	var unwritable *UnwritableError
	if errors.As(err, &unwritable) {
		return err
	}
	readOnly, ok := unwritableCause(err)
	if !ok && !shmGrowthFailedForSpace(dir, err) {
		return err
	}
	return &UnwritableError{Dir: dir, ReadOnly: readOnly, Err: err}
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

// IsUnwritable reports whether err is the error of a full file system or a
// read-only store, whether or not Classify wrapped it.
func IsUnwritable(err error) bool {
	var unwritable *UnwritableError
	if errors.As(err, &unwritable) {
		return true
	}
	_, ok := unwritableCause(err)
	return ok
}

// unwritableCause reports whether err comes from a full file system or a
// read-only store, and which of the two. SQLite drivers report result
// codes through a Code method, as modernc.org/sqlite's *Error does.
func unwritableCause(err error) (readOnly, ok bool) {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case sqliteFull:
			return false, true
		case sqliteReadOnly:
			return true, true
		}
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return false, true
	case errors.Is(err, syscall.EROFS):
		return true, true
	}
	return false, false
}
