package provisionendpoint

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

const azureService = "/subscriptions/0000/resourceGroups/corp-rg/providers/Microsoft.Network/privateLinkServices/corp-pls"

// restoreAccount is a Snowflake account that lists infos and records the
// provision and restore statements it receives.
type restoreAccount struct {
	infos      []EndpointInfo
	provisions int
	restores   int
}

func (a *restoreAccount) Exec(context.Context, string) error { return fmt.Errorf("unexpected Exec") }

func (a *restoreAccount) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	switch {
	case stmt == snowflake.GetPrivateLinkEndpointsInfo():
		data, err := json.Marshal(a.infos)
		return []snowflake.Row{{"SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO()": string(data)}}, err
	case strings.HasPrefix(stmt, "SELECT SYSTEM$PROVISION_PRIVATELINK_ENDPOINT("):
		a.provisions++
		return []snowflake.Row{{"status": "provisioned successfully"}}, nil
	case strings.HasPrefix(stmt, "SELECT SYSTEM$RESTORE_PRIVATELINK_ENDPOINT("):
		a.restores++
		return []snowflake.Row{{"status": "restored successfully"}}, nil
	}
	return nil, fmt.Errorf("unexpected query %q", stmt)
}

// runWithDeprovisioned runs the endpoint step for a service that the
// endpoint_service step reported with action, on an account that lists
// the request's endpoint to the same service ID as deprovisioned in state.
func runWithDeprovisioned(t *testing.T, action, state string) (*restoreAccount, Output) {
	t.Helper()
	account := &restoreAccount{infos: []EndpointInfo{{
		ProviderResourceID: azureService, Host: "pypi.corp.example.com", EndpointState: state, Status: "Deleting",
	}}}
	env := &workflow.Env{Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return account, nil }}
	doc := endpointDocument("DATA-1", azureService)
	doc.Resources.EndpointService.Action = action

	out, err := Run(t.Context(), env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return account, out
}

// A recreated Azure or Google Cloud service has the ID of the deleted one,
// and the deprovisioned endpoint still names it.
func TestRunProvisionsForRecreatedService(t *testing.T) {
	for _, state := range []string{"PENDING_DELETION", "DELETING"} {
		t.Run(state, func(t *testing.T) {
			account, out := runWithDeprovisioned(t, workflow.Created, state)
			if account.restores != 0 {
				t.Errorf("restore calls = %d, want 0", account.restores)
			}
			if account.provisions != 1 {
				t.Errorf("provision calls = %d, want 1", account.provisions)
			}
			if out.Result.Action != workflow.Created {
				t.Errorf("action = %q, want %q", out.Result.Action, workflow.Created)
			}
			if out.Status != "Pending" {
				t.Errorf("status = %q, want Pending", out.Status)
			}
		})
	}
}

func TestRunRestoresForKeptService(t *testing.T) {
	account, out := runWithDeprovisioned(t, workflow.Adopted, "PENDING_DELETION")
	if account.restores != 1 {
		t.Errorf("restore calls = %d, want 1", account.restores)
	}
	if account.provisions != 0 {
		t.Errorf("provision calls = %d, want 0", account.provisions)
	}
	if out.Result.Action != workflow.Updated {
		t.Errorf("action = %q, want %q", out.Result.Action, workflow.Updated)
	}
	// The restored endpoint connects again before it is live, so the
	// status listed for the deprovisioned endpoint is not recorded.
	if out.Status != "Pending" {
		t.Errorf("status = %q, want Pending", out.Status)
	}
}

func TestRunAdoptsNewerOverDeprovisioned(t *testing.T) {
	account := &restoreAccount{infos: []EndpointInfo{
		{ProviderResourceID: azureService, Host: "pypi.corp.example.com", EndpointState: "PENDING_DELETION", Status: "Deleting"},
		{ProviderResourceID: azureService, Host: "pypi.corp.example.com", EndpointState: "CREATED", Status: "APPROVED"},
	}}
	env := &workflow.Env{Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return account, nil }}
	doc := endpointDocument("DATA-1", azureService)
	doc.Resources.EndpointService.Action = workflow.Created

	out, err := Run(t.Context(), env, doc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Result.Action != workflow.Adopted {
		t.Errorf("action = %q, want %q", out.Result.Action, workflow.Adopted)
	}
	if out.Status != "APPROVED" {
		t.Errorf("status = %q, want APPROVED", out.Status)
	}
}

func TestIsCapacityCause(t *testing.T) {
	full := CheckCapacity("acme-prod", endpointsFor("a", "b", "c", "d", "e"), nil)
	reserved := reservationConflict(request.Request{Snowflake: request.Snowflake{Account: "acme-prod"}},
		endpointsFor("a", "b", "c", "d"), workflow.ReservationResult{Holders: []string{"DATA-2"}})
	tests := []struct {
		name  string
		cause string
		want  bool
	}{
		{"full account", full.Error(), true},
		{"reserved places", reserved.Error(), true},
		{"after provision error", fmt.Sprintf("Conflict: %v (Snowflake returned: limit)", full), true},
		{"other conflict", "host pypi.corp.example.com already has the private endpoint x", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workflow.IsCapacityCause(tt.cause); got != tt.want {
				t.Errorf("workflow.IsCapacityCause(%q) = %v, want %v", tt.cause, got, tt.want)
			}
		})
	}
}
