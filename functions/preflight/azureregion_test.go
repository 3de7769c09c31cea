package preflight

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	azureadapter "github.com/repolink/repolink/shared/cloud/azure"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/azuresim"
	"github.com/repolink/repolink/shared/sandbox/pyindex"
	"github.com/repolink/repolink/shared/workflow"
)

const regionSubscription = "00000000-0000-0000-0000-000000000001"

// startAzureNetwork starts the sandbox Azure front end with the virtual
// network vnet-packages of rg-packages in eastus2, and returns an
// environment whose Azure adapter reaches it.
func startAzureNetwork(t *testing.T) *workflow.Env {
	t.Helper()
	ca, err := pyindex.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sim, err := azuresim.Start(t.Context(), azuresim.Options{CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	if _, err := sim.EnsureSubnet(regionSubscription, "rg-packages", "eastus2", "vnet-packages", "snet-proxy", "10.0.1.0/24"); err != nil {
		t.Fatal(err)
	}
	return &workflow.Env{Azure: func(_ context.Context, subscription string) (cloud.AzureNetwork, error) {
		return azureadapter.New(azureadapter.Options{
			SubscriptionID: subscription,
			Endpoint:       sim.URL(),
			Credential:     sandboxToken{},
			Transport:      &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}},
			MaxRetries:     -1,
		})
	}}
}

func networkRequest(location, vnet string) request.Request {
	return request.Request{ID: "DATA-1", Route: request.RouteAzurePrivateLink, Azure: &request.Azure{
		SubscriptionID: regionSubscription, ResourceGroup: "rg-packages", Location: location, VNetName: vnet}}
}

// TestCheckAzureLocationNetworkRegion checks that azure_location rejects
// a request whose virtual network is in another region than
// $.azure.location, naming the field and the network's region, and that
// it passes the network's own region in any case and a network that does
// not exist yet.
func TestCheckAzureLocationNetworkRegion(t *testing.T) {
	env := startAzureNetwork(t)

	err := checkAzureLocation(t.Context(), env, networkRequest("westus2", "vnet-packages"))
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("checkAzureLocation of westus2 with the network in eastus2 = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.azure.location westus2", "vnet-packages", "which is in eastus2", "set $.azure.location to eastus2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	if err := checkAzureLocation(t.Context(), env, networkRequest("EastUS2", "vnet-packages")); err != nil {
		t.Errorf("checkAzureLocation of EastUS2 with the network in eastus2 = %v, want nil", err)
	}
	if err := checkAzureLocation(t.Context(), env, networkRequest("westus2", "vnet-missing")); err != nil {
		t.Errorf("checkAzureLocation with a network that does not exist = %v, want nil", err)
	}
}

// TestStartChecksRejectNetworkRegion checks that CheckStart rejects the
// request with a field error on $.azure.location, so that no execution
// starts for it.
func TestStartChecksRejectNetworkRegion(t *testing.T) {
	env := startAzureNetwork(t)

	err := CheckStart(t.Context(), env, networkRequest("westus2", "vnet-packages"))
	var start *StartError
	if !errors.As(err, &start) {
		t.Fatalf("CheckStart = %v, want a *StartError", err)
	}
	if start.Check != "azure_location" {
		t.Errorf("check = %q, want azure_location", start.Check)
	}
	if start.Path != "$.azure.location" {
		t.Errorf("path = %q, want $.azure.location", start.Path)
	}
}
