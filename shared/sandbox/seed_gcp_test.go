package sandbox

import (
	"testing"
)

// TestSeedGCPChangedSubnetAndAddress seeds the Google Cloud example, then
// the same request with another gcp.subnet, and then with another subnet
// and gcp.target_address. The /24 around the first address belongs to the
// first subnet, so the second subnet gets a free range, and the new
// address gets a repository VM of its own.
func TestSeedGCPChangedSubnetAndAddress(t *testing.T) {
	sb, secrets := startCorpSandbox(t.Context(), t)
	first := exampleRequest(t, "gcp-privatelink-no-proxy.json", "env:CORP_PASSWORD")
	if err := sb.Seed(t.Context(), first, secrets); err != nil {
		t.Fatalf("seed the example: %v", err)
	}

	otherSubnet := first
	gcp := *first.GCP
	gcp.Subnet = "other-subnet"
	otherSubnet.GCP = &gcp
	if err := sb.Seed(t.Context(), otherSubnet, secrets); err != nil {
		t.Errorf("seed with gcp.subnet other-subnet: %v", err)
	}
	if got := sb.GCP.InstanceNameAt(gcp.Project, gcp.Zone, gcp.TargetAddress); got != "repository" {
		t.Errorf("VM at %s = %q, want the first seeded VM, repository", gcp.TargetAddress, got)
	}

	otherAddress := first
	moved := gcp
	moved.Subnet = "third-subnet"
	moved.TargetAddress = "10.30.0.25"
	otherAddress.GCP = &moved
	if err := sb.Seed(t.Context(), otherAddress, secrets); err != nil {
		t.Errorf("seed with gcp.target_address 10.30.0.25: %v", err)
	}
	if got := sb.GCP.InstanceNameAt(moved.Project, moved.Zone, "10.30.0.25"); got == "" {
		t.Errorf("no VM in zone %s has the address 10.30.0.25", moved.Zone)
	}
	if got := sb.GCP.SubnetworkContaining(moved.Project, moved.Region, moved.Network, "10.30.0.25"); got != "third-subnet" {
		t.Errorf("subnet containing 10.30.0.25 = %q, want third-subnet", got)
	}
}
