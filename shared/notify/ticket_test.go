package notify

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// TestTicketRunNextAdvice checks that the next field of a run that a Jira
// delivery started advises updating the ticket and names no request file,
// while a run without a ticket keeps the request file advice.
func TestTicketRunNextAdvice(t *testing.T) {
	x := closed("DATA-6", engine.StatusFailed, "http://127.0.0.1:1/hook", 0)
	x.Machine = MachineProvision
	x.CurrentState = workflow.PreflightState
	x.Error = workflow.ErrInvalidRequest
	x.Cause = "preflight: snowflake.role: role MISSING_ROLE does not exist"
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		t.Fatal(err)
	}

	ticket := Build(x, doc, nil, " --sandbox", "Jira").Next
	if want := "update Jira ticket DATA-6 with the change"; !strings.Contains(ticket, want) {
		t.Errorf("next of the ticket run lacks %q: %s", want, ticket)
	}
	for _, unwanted := range []string{"REQUEST", "request file"} {
		if strings.Contains(ticket, unwanted) {
			t.Errorf("next of the ticket run names %q: %s", unwanted, ticket)
		}
	}

	plain := Build(x, doc, nil, " --sandbox", "").Next
	if want := "'repolink run --sandbox REQUEST' with the changed request file"; !strings.Contains(plain, want) {
		t.Errorf("next of a run without a ticket lacks %q: %s", want, plain)
	}
}

// TestNotifierAsksTicketSystem checks that a notifier records the next
// field with the ticket system that Config.TicketSystem returns for the
// execution.
func TestNotifierAsksTicketSystem(t *testing.T) {
	ctx := context.Background()
	store, err := OpenStore(filepath.Join(t.TempDir(), "notify.db"), startTime)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	x := closed("DATA-7", engine.StatusFailed, "http://127.0.0.1:1/hook", 0)
	x.Machine = MachineProvision
	x.Error = workflow.ErrInvalidRequest
	var asked []string
	n, err := New(Config{Store: store, Executions: &fakeExecutions{}, Secret: []byte("secret"), Sandbox: true,
		TicketSystem: func(_ context.Context, execution string) (string, error) {
			asked = append(asked, execution)
			return "Jira", nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.record(ctx, x, startTime); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0] != "DATA-7" {
		t.Errorf("ticket system asked for %v, want [DATA-7]", asked)
	}
	rec, err := store.Get(ctx, "DATA-7", 0)
	if err != nil {
		t.Fatal(err)
	}
	var note Notification
	if err := json.Unmarshal(rec.Body, &note); err != nil {
		t.Fatal(err)
	}
	if want := "update Jira ticket DATA-7 with the change"; !strings.Contains(note.Next, want) {
		t.Errorf("recorded next lacks %q: %s", want, note.Next)
	}
}
