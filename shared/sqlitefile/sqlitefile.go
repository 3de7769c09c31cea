// Package sqlitefile opens the SQLite files in which repolink's stores keep
// their state, all with the same settings.
package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"

	"github.com/repolink/repolink/shared/privatefile"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Open opens or creates the database at path and runs schema on it. The
// file uses write-ahead logging with synchronous=NORMAL, so a committed
// transaction survives a crash of the process, and other processes wait up
// to 10 s for a lock. The handle has one connection, so this process's
// transactions queue in Go instead of in SQLite's busy handler. With
// immediate, every transaction takes the write lock when it begins, so two
// read-then-write transactions cannot both read the old state.
//
// A new file is readable and writable by its owner only, and SQLite gives
// the -wal and -shm files that it creates beside it the same mode. Open
// sets an existing database, -wal or -shm file that this process's user
// owns to mode 0600 too, and leaves other users' files as they are. When
// one of those files is a symbolic link or another non-regular file, Open
// returns an error that wraps privatefile.ErrNotRegular and opens nothing.
//
// NOTE: SQLite opens the files by name after that check, so a link created
// in between is followed.
func Open(path, schema string, immediate bool) (*sql.DB, error) {
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := privatefile.CheckRegular(name); err != nil {
			return nil, err
		}
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := privatefile.Restrict(name); err != nil {
			return nil, err
		}
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	if immediate {
		dsn += "&_txlock=immediate"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create tables: %w", err)
	}
	return db, nil
}

// OpenReader opens the existing database at path for a caller that only
// reads. It runs no schema and sets query_only, so a write through the
// handle fails. It reads the database once, so that an error in opening it
// is returned here and not at the caller's first query.
//
// A WAL database that no process has open needs a new -shm file before the
// first read, and growing it fails on a full file system. OpenReader then
// opens the database in exclusive locking mode, in which SQLite keeps the
// WAL index in heap memory. That connection keeps an exclusive lock until
// it closes, so another process that opens the database waits for it, up
// to its busy timeout.
func OpenReader(ctx context.Context, path string) (*sql.DB, error) {
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := privatefile.CheckRegular(name); err != nil {
			return nil, err
		}
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?mode=rw&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	db, err := openAndRead(ctx, dsn)
	var coded interface{ Code() int }
	if !errors.As(err, &coded) || coded.Code() != sqlite3.SQLITE_IOERR_SHMSIZE {
		return db, err
	}
	// locking_mode must be set before the first read, because that read
	// decides where the WAL index lives.
	return openAndRead(ctx, dsn+"&_pragma=locking_mode(EXCLUSIVE)")
}

// openAndRead opens the database that dsn names with one connection and
// reads its schema.
func openAndRead(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&tables); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// createPrivate creates an empty file at path with mode 0600 when none
// exists. SQLite would create it with mode 0644 less the umask, which lets
// other users read the stored request inputs and task tokens.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	// The umask may have cleared the owner's bits of 0600 too, and SQLite
	// needs both to write the file.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("set mode of %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}

// OpenMemoryCopy reads the existing database at path as OpenReader does and
// returns a handle on a copy of it in this process's memory. Writes through
// the handle change the copy only, so a caller can migrate the copy of a
// database whose file system is full. The copy lives as long as the
// handle's one connection, and it takes as much memory as the database
// file.
func OpenMemoryCopy(ctx context.Context, path string) (*sql.DB, error) {
	reader, err := OpenReader(ctx, path)
	if err != nil {
		return nil, err
	}
	content, err := serialize(ctx, reader)
	reader.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	// SQLite opens no in-memory database marked for WAL mode, which is
	// bytes 18 and 19 of the header, so the copy uses the rollback
	// journal.
	if len(content) < 20 {
		return nil, fmt.Errorf("read %s: %d bytes is too short for an SQLite database", path, len(content))
	}
	content[18], content[19] = 1, 1

	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return nil, err
	}
	// The copy belongs to one connection, which the pool must keep.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := deserialize(ctx, db, content); err != nil {
		db.Close()
		return nil, fmt.Errorf("copy %s into memory: %w", path, err)
	}
	return db, nil
}

// serialize returns the content of the main database of db, with the
// transactions in its write-ahead log applied.
func serialize(ctx context.Context, db *sql.DB) ([]byte, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var content []byte
	err = conn.Raw(func(driverConn any) error {
		s, ok := driverConn.(interface{ Serialize() ([]byte, error) })
		if !ok {
			return errors.New("the SQLite driver cannot serialize a database")
		}
		content, err = s.Serialize()
		return err
	})
	return content, err
}

// deserialize replaces the main database of db's one connection with
// content.
func deserialize(ctx context.Context, db *sql.DB, content []byte) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		d, ok := driverConn.(interface{ Deserialize([]byte) error })
		if !ok {
			return errors.New("the SQLite driver cannot deserialize a database")
		}
		return d.Deserialize(content)
	})
}
