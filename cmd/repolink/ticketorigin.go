package main

import (
	"context"
	"path/filepath"

	"github.com/repolink/repolink/shared/webhook/sqlitestore"
	"github.com/repolink/repolink/shared/workflow"
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

// ticketSystemsIn returns the notify.Config.TicketSystem of the state
// directory dir, which reads the delivery store of repolink up there.
func ticketSystemsIn(dir string) func(ctx context.Context, execution string) (string, error) {
	return func(ctx context.Context, execution string) (string, error) {
		return ticketSystemOf(ctx, dir, execution)
	}
}

// ticketRerun returns the NextCommands.Rerun of a provision run that a
// delivery of ticket from the ticket system started. The request ID is the
// ticket key and the request comes from the ticket's fields, so a changed
// request starts from the ticket, not from a request file.
func ticketRerun(system, ticket string) string {
	return workflow.RerunByTicket(system, ticket)
}
