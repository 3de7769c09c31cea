// Package expiries stores, in SQLite, when the index credential in each
// run's SECRET expires, for the poller of repolink up. The records hold
// requests and times, never a credential.
package expiries

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/repolink/repolink/shared/sqlitefile"
	"github.com/repolink/repolink/shared/workflow"
)

// Store keeps credential expiry records in a SQLite database file.
type Store struct {
	db *sql.DB
}

var _ workflow.CredentialRegistry = (*Store)(nil)

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	const schema = `CREATE TABLE IF NOT EXISTS credential_expiries (
		key TEXT PRIMARY KEY,
		body TEXT NOT NULL,
		expires_at INTEGER NOT NULL
	)`
	db, err := sqlitefile.Open(path, schema, false)
	if err != nil {
		return nil, fmt.Errorf("open credential expiry store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Put stores a record, replacing the one with the same key.
func (s *Store) Put(ctx context.Context, c workflow.CredentialExpiry) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode credential expiry: %w", err)
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO credential_expiries (key, body, expires_at) VALUES (?, ?, ?)
		 ON CONFLICT(key) DO UPDATE SET body = excluded.body, expires_at = excluded.expires_at`,
		c.Key(), string(body), c.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("store credential expiry of secret %s: %w", c.Secret, err)
	}
	return nil
}

// List returns every record, the earliest expiry first.
func (s *Store) List(ctx context.Context) ([]workflow.CredentialExpiry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM credential_expiries ORDER BY expires_at, key`)
	if err != nil {
		return nil, fmt.Errorf("list credential expiries: %w", err)
	}
	defer rows.Close()
	var list []workflow.CredentialExpiry
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("read credential expiry: %w", err)
		}
		var c workflow.CredentialExpiry
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return nil, fmt.Errorf("decode credential expiry: %w", err)
		}
		list = append(list, c)
	}
	return list, rows.Err()
}

// Delete removes a record; deleting a missing one is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM credential_expiries WHERE key = ?`, key); err != nil {
		return fmt.Errorf("delete credential expiry %s: %w", key, err)
	}
	return nil
}
