// Package jsonrecords keeps records as JSON in one table of a SQLite file,
// keyed by a text column and listed in the order of a time column.
package jsonrecords

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/sqlitefile"
)

// Layout describes the table of one kind of record. Its columns are, in
// order, the Key column (TEXT PRIMARY KEY), each of Columns (TEXT NOT NULL),
// body (TEXT NOT NULL, the record as JSON) and the Order column (INTEGER
// NOT NULL, Unix seconds).
type Layout[T any] struct {
	Table   string
	Key     string
	Columns []string
	Order   string
	// Row returns the values of the key, Columns and Order columns of a
	// record.
	Row func(T) Row
	// Replace makes Put replace the record with the same key. Without it,
	// Put keeps the record stored first.
	Replace bool

	// Noun names one record in error messages, such as "wait".
	Noun string
	// Describe names a record in the error of a failed Put, such as
	// "execution DATA-1". It must not return a secret.
	Describe func(T) string
	// SecretKey keeps keys, such as task tokens, out of error messages.
	SecretKey bool
}

// Row is the column values of one record besides its JSON body.
type Row struct {
	Key string
	// Columns holds one value for each of Layout.Columns, in that order.
	Columns []string
	Order   time.Time
}

// Table is an open table of records of type T. It is safe for concurrent
// use.
type Table[T any] struct {
	db     *sql.DB
	layout Layout[T]
	insert string
	list   string
	delete string
}

var identifier = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Open opens or creates the SQLite file at path with the table of layout.
// On a file that has the table already, Open leaves its schema as it is.
func Open[T any](path string, layout Layout[T]) (*Table[T], error) {
	names := append([]string{layout.Table, layout.Key, layout.Order}, layout.Columns...)
	for _, name := range names {
		if !identifier.MatchString(name) {
			return nil, fmt.Errorf("open %s store %s: invalid table or column name %q", layout.Noun, path, name)
		}
	}
	db, err := sqlitefile.Open(path, layout.schema(), false)
	if err != nil {
		return nil, fmt.Errorf("open %s store %s: %w", layout.Noun, path, err)
	}
	return &Table[T]{db: db, layout: layout, insert: layout.insertSQL(),
		list:   fmt.Sprintf(`SELECT body FROM %s ORDER BY %s, %s`, layout.Table, layout.Order, layout.Key),
		delete: fmt.Sprintf(`DELETE FROM %s WHERE %s = ?`, layout.Table, layout.Key),
	}, nil
}

func (l Layout[T]) schema() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n\t%s TEXT PRIMARY KEY,\n", l.Table, l.Key)
	for _, c := range l.Columns {
		fmt.Fprintf(&b, "\t%s TEXT NOT NULL,\n", c)
	}
	fmt.Fprintf(&b, "\tbody TEXT NOT NULL,\n\t%s INTEGER NOT NULL\n)", l.Order)
	return b.String()
}

func (l Layout[T]) insertSQL() string {
	columns := append(append([]string{l.Key}, l.Columns...), "body", l.Order)
	marks := strings.Repeat(", ?", len(columns)-1)
	conflict := "DO NOTHING"
	if l.Replace {
		var sets []string
		for _, c := range columns[1:] {
			sets = append(sets, c+" = excluded."+c)
		}
		conflict = "DO UPDATE SET " + strings.Join(sets, ", ")
	}
	return fmt.Sprintf(`INSERT INTO %s (%s) VALUES (?%s) ON CONFLICT(%s) %s`,
		l.Table, strings.Join(columns, ", "), marks, l.Key, conflict)
}

// Close closes the database.
func (t *Table[T]) Close() error { return t.db.Close() }

// Put stores a record. For a key that is stored already, it replaces the
// record when the layout sets Replace and keeps the stored one otherwise.
func (t *Table[T]) Put(ctx context.Context, record T) error {
	body, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("encode %s: %w", t.layout.Noun, err)
	}
	row := t.layout.Row(record)
	if len(row.Columns) != len(t.layout.Columns) {
		return fmt.Errorf("store %s of %s: %d column values for %d columns",
			t.layout.Noun, t.layout.Describe(record), len(row.Columns), len(t.layout.Columns))
	}
	args := []any{row.Key}
	for _, v := range row.Columns {
		args = append(args, v)
	}
	args = append(args, string(body), row.Order.Unix())
	if _, err := t.db.ExecContext(ctx, t.insert, args...); err != nil {
		return fmt.Errorf("store %s of %s: %w", t.layout.Noun, t.layout.Describe(record), err)
	}
	return nil
}

// List returns every record, the earliest Order first and then by key.
func (t *Table[T]) List(ctx context.Context) ([]T, error) {
	rows, err := t.db.QueryContext(ctx, t.list)
	if err != nil {
		return nil, fmt.Errorf("list %s records: %w", t.layout.Noun, err)
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("read %s: %w", t.layout.Noun, err)
		}
		var record T
		if err := json.Unmarshal([]byte(body), &record); err != nil {
			return nil, fmt.Errorf("decode %s: %w", t.layout.Noun, err)
		}
		list = append(list, record)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s records: %w", t.layout.Noun, err)
	}
	return list, nil
}

// Delete removes the record with key. Deleting a missing record is not an
// error.
func (t *Table[T]) Delete(ctx context.Context, key string) error {
	if _, err := t.db.ExecContext(ctx, t.delete, key); err != nil {
		if t.layout.SecretKey {
			return fmt.Errorf("delete %s: %w", t.layout.Noun, err)
		}
		return fmt.Errorf("delete %s %s: %w", t.layout.Noun, key, err)
	}
	return nil
}

// updateAttempts bounds how often Update reads a record again after other
// writers changed it.
const updateAttempts = 10

// ErrContended is the error of Update when other writers changed the
// record on every attempt.
var ErrContended = errors.New("the record changed on every attempt to update it")

// Update changes the record with key as one atomic step. It passes the
// stored record, or nil, to change, and stores what change returns, or
// deletes the record when change returns nil. The write names the body that
// was read, so that a concurrent writer makes Update read again and call
// change again. An error from change is returned, and nothing is written.
func (t *Table[T]) Update(ctx context.Context, key string, change func(stored *T) (*T, error)) error {
	for range updateAttempts {
		done, err := t.updateOnce(ctx, key, change)
		if err != nil || done {
			return err
		}
	}
	return fmt.Errorf("update %s: %w", t.describe(key), ErrContended)
}

// updateOnce runs one attempt of Update and returns false when another
// writer changed the record after it was read.
func (t *Table[T]) updateOnce(ctx context.Context, key string, change func(stored *T) (*T, error)) (bool, error) {
	var body string
	err := t.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT body FROM %s WHERE %s = ?`, t.layout.Table, t.layout.Key), key).Scan(&body)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("read %s: %w", t.describe(key), err)
	}
	var stored *T
	if found {
		stored = new(T)
		if err := json.Unmarshal([]byte(body), stored); err != nil {
			return false, fmt.Errorf("decode %s: %w", t.layout.Noun, err)
		}
	}
	next, err := change(stored)
	if err != nil {
		return false, err
	}

	var result sql.Result
	switch {
	case next == nil && !found:
		return true, nil
	case next == nil:
		result, err = t.db.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE %s = ? AND body = ?`, t.layout.Table, t.layout.Key), key, body)
	default:
		result, err = t.writeIf(ctx, key, *next, found, body)
	}
	if err != nil {
		return false, fmt.Errorf("update %s: %w", t.describe(key), err)
	}
	n, err := result.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update %s: %w", t.describe(key), err)
	}
	return n == 1, nil
}

// writeIf inserts record when found is false and no row has key, or
// replaces the row of key while its body is still old.
func (t *Table[T]) writeIf(ctx context.Context, key string, record T, found bool, old string) (sql.Result, error) {
	encoded, err := json.Marshal(record)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", t.layout.Noun, err)
	}
	row := t.layout.Row(record)
	if row.Key != key {
		return nil, t.keyMismatch(row.Key, key)
	}
	if len(row.Columns) != len(t.layout.Columns) {
		return nil, fmt.Errorf("the changed record has %d column values, want %d",
			len(row.Columns), len(t.layout.Columns))
	}
	if !found {
		args := []any{row.Key}
		for _, v := range row.Columns {
			args = append(args, v)
		}
		args = append(args, string(encoded), row.Order.Unix())
		insert := t.layout
		insert.Replace = false
		return t.db.ExecContext(ctx, insert.insertSQL(), args...)
	}
	sets := []string{"body = ?", t.layout.Order + " = ?"}
	args := []any{string(encoded), row.Order.Unix()}
	for i, c := range t.layout.Columns {
		sets = append(sets, c+" = ?")
		args = append(args, row.Columns[i])
	}
	args = append(args, key, old)
	return t.db.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s WHERE %s = ? AND body = ?`,
		t.layout.Table, strings.Join(sets, ", "), t.layout.Key), args...)
}

// keyMismatch returns the error of a changed record whose key got differs
// from the key want that Update was called with. For a layout whose keys are
// secret, the message names neither key.
func (t *Table[T]) keyMismatch(got, want string) error {
	switch {
	case !t.layout.SecretKey:
		return fmt.Errorf("the changed record has key %q, want %q", got, want)
	case got == "":
		return errors.New("the changed record has an empty key, want the key of the updated record")
	default:
		return errors.New("the changed record has a different key than the updated record")
	}
}

// describe names the record of key in messages: the noun alone for a layout
// whose keys are secret, and the noun with the quoted key otherwise.
func (t *Table[T]) describe(key string) string {
	if t.layout.SecretKey {
		return t.layout.Noun
	}
	return fmt.Sprintf("%s %q", t.layout.Noun, key)
}
