package sandbox

import (
	"testing"
)

// TestSeedAzureLocation checks that a request whose azure.location the
// subscription does not list seeds no virtual network, and that a seeded
// network follows the location of the next seeded request while no run
// has built in it.
func TestSeedAzureLocation(t *testing.T) {
	sb, secrets := startCorpSandbox(t.Context(), t)
	example := exampleRequest(t, "azure-privatelink.json", "env:CORP_PASSWORD")
	a := example.Azure
	location := func() string {
		return sb.Azure.NetworkLocation(a.SubscriptionID, a.ResourceGroup, a.VNetName)
	}

	misspelt := example
	misspeltAzure := *example.Azure
	misspeltAzure.Location = "westus9"
	misspelt.Azure = &misspeltAzure
	if err := sb.Seed(t.Context(), misspelt, secrets); err != nil {
		t.Fatalf("seed with azure.location westus9: %v", err)
	}
	if got := location(); got != "" {
		t.Errorf("network location after seeding for westus9 = %q, want no network", got)
	}

	if err := sb.Seed(t.Context(), example, secrets); err != nil {
		t.Fatalf("seed the example: %v", err)
	}
	if got := location(); got != "eastus2" {
		t.Errorf("network location after seeding the example = %q, want eastus2", got)
	}

	moved := example
	movedAzure := *example.Azure
	movedAzure.Location = "westus2"
	moved.Azure = &movedAzure
	if err := sb.Seed(t.Context(), moved, secrets); err != nil {
		t.Fatalf("seed with azure.location westus2: %v", err)
	}
	if got := location(); got != "westus2" {
		t.Errorf("network location after seeding for westus2 with nothing built = %q, want westus2", got)
	}
}
