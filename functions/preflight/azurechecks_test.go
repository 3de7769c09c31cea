package preflight

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/repolink/repolink/shared/cloud"
	azureadapter "github.com/repolink/repolink/shared/cloud/azure"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/azuresim"
	"github.com/repolink/repolink/shared/sandbox/pyindex"
	"github.com/repolink/repolink/shared/workflow"
)

// sandboxToken is a fixed bearer token, which the sandbox accepts.
type sandboxToken struct{}

func (sandboxToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "sandbox-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// startAzure starts the sandbox Azure front end and returns an environment
// whose Azure adapter reaches it.
func startAzure(t *testing.T) *workflow.Env {
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

func TestCheckAzureLocation(t *testing.T) {
	env := startAzure(t)
	req := request.Request{ID: "DATA-1", Route: request.RouteAzurePrivateLink,
		Azure: &request.Azure{SubscriptionID: "00000000-0000-0000-0000-000000000001", Location: "eastus2"}}
	if err := checkAzureLocation(t.Context(), env, req); err != nil {
		t.Fatalf("checkAzureLocation of eastus2 = %v, want nil", err)
	}

	req.Azure.Location = "eastus5"
	err := checkAzureLocation(t.Context(), env, req)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("checkAzureLocation = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.azure.location eastus5", "00000000-0000-0000-0000-000000000001", "such as eastus, eastus2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestCheckAzureLocationIgnoresCase(t *testing.T) {
	env := startAzure(t)
	req := request.Request{ID: "DATA-1", Route: request.RouteAzurePrivateLink,
		Azure: &request.Azure{SubscriptionID: "00000000-0000-0000-0000-000000000001", Location: "EastUS2"}}
	if err := checkAzureLocation(t.Context(), env, req); err != nil {
		t.Errorf("checkAzureLocation of EastUS2 = %v, want nil", err)
	}
}

func TestCheckAzureVMSize(t *testing.T) {
	env := startAzure(t)
	req := request.Request{ID: "DATA-1", Route: request.RouteAzurePrivateLink,
		Azure: &request.Azure{SubscriptionID: "00000000-0000-0000-0000-000000000001", Location: "eastus2", VMSize: "standard_b1s"}}
	if err := checkAzureVMSize(t.Context(), env, req); err != nil {
		t.Fatalf("checkAzureVMSize of standard_b1s = %v, want nil", err)
	}

	req.Azure.VMSize = "Standard_B1z"
	err := checkAzureVMSize(t.Context(), env, req)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("checkAzureVMSize = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.azure.vm_size Standard_B1z is not a VM size of $.azure.location eastus2", "such as Standard_B1s, Standard_B1ls, Standard_B1ms"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestCheckAzureVMSizeSkipsUnknownLocation(t *testing.T) {
	env := startAzure(t)
	req := request.Request{ID: "DATA-1", Route: request.RouteAzurePrivateLink,
		Azure: &request.Azure{SubscriptionID: "00000000-0000-0000-0000-000000000001", Location: "eastus5", VMSize: "Standard_B1z"}}
	err := checkAzureVMSize(t.Context(), env, req)
	reason, skipped := SkipReason(err)
	if !skipped {
		t.Fatalf("checkAzureVMSize in eastus5 = %v, want a skip, because azure_location reports the location", err)
	}
	if !strings.Contains(reason, "$.azure.location eastus5") || !strings.Contains(reason, "azure_location") {
		t.Errorf("skip reason = %q, want it to name $.azure.location eastus5 and the azure_location check", reason)
	}
}

func TestCheckAzureVMSizeRestrictedLocation(t *testing.T) {
	env := startAzure(t)
	req := request.Request{ID: "DATA-1", Route: request.RouteAzurePrivateLink,
		Azure: &request.Azure{SubscriptionID: "00000000-0000-0000-0000-000000000001", Location: "germanynorth", VMSize: "Standard_B1s"}}
	err := checkAzureVMSize(t.Context(), env, req)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("checkAzureVMSize in germanynorth = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.azure.location germanynorth", "set $.azure.location to a region that the subscription may use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}
