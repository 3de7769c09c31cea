package provisionendpoint

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Azure resource IDs ignore case, and Snowflake may list the Private Link
// service of an endpoint in another case than the run recorded it.
func TestRunAdoptsServiceInOtherCase(t *testing.T) {
	const recorded = "/subscriptions/0000/resourceGroups/corp-rg/providers/Microsoft.Network/privateLinkServices/corp-pls"
	const listed = "/subscriptions/0000/resourcegroups/corp-rg/providers/microsoft.network/privatelinkservices/corp-pls"

	// The account is full, and one of its endpoints is the request's own.
	account := newLimitAccount(MaxEndpoints-1, 0)
	account.infos = append(account.infos, EndpointInfo{ProviderResourceID: listed, Host: "pypi.corp.example.com", Status: "Approved"})
	store, err := reservations.Open(filepath.Join(t.TempDir(), "reservations.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	env := &workflow.Env{
		Snowflake:            func(context.Context, request.Snowflake) (snowflake.Conn, error) { return account, nil },
		EndpointReservations: store,
		Now:                  time.Now,
	}

	out, err := Run(t.Context(), env, endpointDocument("DATA-1", recorded))
	if err != nil {
		t.Fatalf("Run with the request's endpoint listed: %v", err)
	}
	if out.Result.Action != workflow.Adopted {
		t.Errorf("action = %q, want %q", out.Result.Action, workflow.Adopted)
	}
	if account.provisions != 0 {
		t.Errorf("provision calls = %d, want 0", account.provisions)
	}
}
