package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/repolink/repolink/shared/sqlitefile"
)

// TicketSource returns the source, such as "jira", of the first delivery
// from a ticket adapter that named execution in the store at path, or ""
// when none did or path does not exist. Deliveries of POST /v1/requests,
// whose source is "request", do not count. It opens the file read-only, so
// a command that only reads state neither creates nor migrates the store.
func TicketSource(ctx context.Context, path, execution string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	db, err := sqlitefile.OpenReader(ctx, path)
	if err != nil {
		return "", fmt.Errorf("open delivery store %s: %w", path, err)
	}
	defer db.Close()

	var source string
	err = db.QueryRowContext(ctx, `SELECT source FROM deliveries
		WHERE execution = ? AND source <> 'request' ORDER BY id LIMIT 1`, execution).Scan(&source)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the deliveries of execution %s from %s: %w", execution, path, err)
	}
	return source, nil
}
