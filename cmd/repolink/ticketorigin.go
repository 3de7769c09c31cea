package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/repolink/repolink/shared/webhook/sqlitestore"
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
func ticketSystemOf(ctx context.Context, dir, name string) (string, error) {
	source, err := sqlitestore.TicketSource(ctx, filepath.Join(dir, webhookStoreFile), name)
	if err != nil {
		return "", err
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
