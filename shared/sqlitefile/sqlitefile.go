// Package sqlitefile opens the SQLite files in which repolink's stores keep
// their state, all with the same settings.
package sqlitefile

import (
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Open opens or creates the database at path and runs schema on it. The
// file uses write-ahead logging with synchronous=NORMAL, so a committed
// transaction survives a crash of the process, and other processes wait up
// to 10 s for a lock. The handle has one connection, so this process's
// transactions queue in Go instead of in SQLite's busy handler. With
// immediate, every transaction takes the write lock when it begins, so two
// read-then-write transactions cannot both read the old state.
func Open(path, schema string, immediate bool) (*sql.DB, error) {
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
