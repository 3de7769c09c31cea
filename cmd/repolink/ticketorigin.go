package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/repolink/repolink/shared/sqlitefile"
)

// webhookStoreFile is the delivery store of repolink up in the state
// directory, which shared/webhook/sqlitestore writes.
const webhookStoreFile = "webhook.db"

// ticketSystems are the sources of ticket hook deliveries, as the delivery
// store records them, with the name of each ticket system.
var ticketSystems = map[string]string{"jira": "Jira", "servicenow": "ServiceNow"}

// ticketSystemOf returns the name of the ticket system, such as Jira,
// whose delivery to repolink up started the execution name, or "" when no
// ticket hook started it or dir has no delivery store.
//
// NOTE: it reads the deliveries table of sqlitestore's schema directly,
// so a change to that table must change this query too.
func ticketSystemOf(ctx context.Context, dir, name string) (string, error) {
	path := filepath.Join(dir, webhookStoreFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	db, err := sqlitefile.OpenReader(ctx, path)
	if err != nil {
		return "", fmt.Errorf("open the delivery store %s: %w", path, err)
	}
	defer db.Close()

	var source string
	err = db.QueryRowContext(ctx, `SELECT source FROM deliveries
		WHERE execution = ? AND source IN ('jira', 'servicenow') ORDER BY id LIMIT 1`, name).Scan(&source)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the deliveries of execution %s from %s: %w", name, path, err)
	}
	return ticketSystems[source], nil
}

// ticketRerun returns the NextCommands.Rerun of a provision run that a
// delivery of ticket from the ticket system started. The request ID is the
// ticket key and the request comes from the ticket's fields, so a changed
// request starts from the ticket, not from a request file.
func ticketRerun(system, ticket string) string {
	return fmt.Sprintf("update %s ticket %s with the change, so that %s sends the changed request to repolink up again",
		system, ticket, system)
}
