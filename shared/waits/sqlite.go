// Package waits stores the registered long waits in SQLite, for the embedded
// engine and the poller on one machine.
package waits

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/workflow"
)

// Store keeps waits in a SQLite database file.
type Store struct {
	db *sql.DB
}

var _ workflow.WaitRegistry = (*Store)(nil)

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	const schema = `CREATE TABLE IF NOT EXISTS waits (
		token TEXT PRIMARY KEY,
		execution TEXT NOT NULL,
		body TEXT NOT NULL,
		deadline INTEGER NOT NULL
	)`
	db, err := sqlitefile.Open(path, schema, false)
	if err != nil {
		return nil, fmt.Errorf("open wait store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Put stores a wait; storing the same token again keeps the first.
func (s *Store) Put(ctx context.Context, w workflow.Wait) error {
	body, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode wait: %w", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO waits (token, execution, body, deadline) VALUES (?, ?, ?, ?) ON CONFLICT(token) DO NOTHING`,
		w.Token, w.Execution, string(body), w.Deadline.Unix())
	if err != nil {
		return fmt.Errorf("store wait of %s: %w", w.Execution, err)
	}
	return nil
}

// List returns every open wait, oldest deadline first.
func (s *Store) List(ctx context.Context) ([]workflow.Wait, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM waits ORDER BY deadline, token`)
	if err != nil {
		return nil, fmt.Errorf("list waits: %w", err)
	}
	defer rows.Close()
	var list []workflow.Wait
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("read wait: %w", err)
		}
		var w workflow.Wait
		if err := json.Unmarshal([]byte(body), &w); err != nil {
			return nil, fmt.Errorf("decode wait: %w", err)
		}
		list = append(list, w)
	}
	return list, rows.Err()
}

// Delete removes a wait; deleting a missing one is not an error.
func (s *Store) Delete(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM waits WHERE token = ?`, token); err != nil {
		return fmt.Errorf("delete wait: %w", err)
	}
	return nil
}
