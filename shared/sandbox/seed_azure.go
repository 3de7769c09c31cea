package sandbox

import (
	"fmt"

	"github.com/repolink/repolink/shared/request"
)

// Address prefixes of the subnets that the sandbox creates for an Azure
// request.
const (
	azureSubnetPrefix    = "10.0.1.0/24"
	azurePLSSubnetPrefix = "10.0.2.0/24"
)

// seedAzure creates what an azure-privatelink request expects to exist: the
// virtual network with the proxy subnet and the Private Link Service's NAT
// subnet (its network policies still enabled, as Azure creates them), and
// with proxy none a network interface that holds target_address and stands
// for the repository's VM.
func (sb *Sandbox) seedAzure(req request.Request) error {
	a := req.Azure
	if a == nil {
		return nil
	}
	subnetID, err := sb.Azure.EnsureSubnet(a.SubscriptionID, a.ResourceGroup, a.Location, a.VNetName, a.SubnetName, azureSubnetPrefix)
	if err != nil {
		return fmt.Errorf("seed subnet %s: %w", a.SubnetName, err)
	}
	if _, err := sb.Azure.EnsureSubnet(a.SubscriptionID, a.ResourceGroup, a.Location, a.VNetName, a.PLSSubnetName, azurePLSSubnetPrefix); err != nil {
		return fmt.Errorf("seed subnet %s: %w", a.PLSSubnetName, err)
	}
	if a.Proxy == "none" {
		if _, err := sb.Azure.EnsureNetworkInterface(subnetID, "repository-nic", a.TargetAddress); err != nil {
			return fmt.Errorf("seed the repository's network interface: %w", err)
		}
	}
	return nil
}
