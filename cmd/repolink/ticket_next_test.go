package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/webhook/sqlitestore"
)

// TestTicketRunNextAdvice records a Jira delivery that started execution
// DATA-1 and checks that the next action of DATA-1, once stopped, advises
// updating the ticket instead of running a request file, while a run that no
// ticket started keeps the request file advice.
func TestTicketRunNextAdvice(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlitestore.Open(filepath.Join(dir, webhookStoreFile), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	delivery := webhook.Delivery{
		Source: "jira", Ticket: "DATA-1", Event: "jira:issue_updated",
		DeliveryID: "delivery-1", RequestHash: "hash-1", ReceivedAt: time.Now(),
	}
	start := func(context.Context) (string, error) { return "DATA-1", nil }
	if _, err := store.Deliver(ctx, delivery, start); err != nil {
		t.Fatal(err)
	}
	store.Close()
	eng := provisionStore(t, dir)

	for _, tc := range []struct {
		name, want, unwanted string
	}{
		{"DATA-1", "update Jira ticket DATA-1 with the change", "with the changed request file"},
		{"DATA-2", "with the changed request file", "ticket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, err := startExecution(ctx, eng, exampleRequest(t, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := eng.Stop(ctx, name, "", ""); err != nil {
				t.Fatal(err)
			}
			x, err := eng.Describe(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			next, err := closedAdvice(ctx, eng, dir, x, executionView{RequestID: tc.name}, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(next, tc.want) {
				t.Errorf("next = %q, want it to contain %q", next, tc.want)
			}
			if strings.Contains(next, tc.unwanted) {
				t.Errorf("next = %q, want it without %q", next, tc.unwanted)
			}
		})
	}
}
