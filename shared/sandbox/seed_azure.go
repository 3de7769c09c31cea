package sandbox

import (
	"fmt"
	"strings"

	azureadapter "github.com/repolink/repolink/shared/cloud/azure"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/azuresim"
)

// Address prefixes of the subnets that the sandbox creates for an Azure
// request.
const (
	azureSubnetPrefix    = "10.0.1.0/24"
	azurePLSSubnetPrefix = "10.0.2.0/24"
)

// seedAzure creates what an azure-privatelink request expects to exist: the
// virtual network in azure.location with the proxy subnet and the Private
// Link Service's NAT subnet, whose network policies stay enabled as Azure
// creates them. With proxy none it also creates a network interface with
// target_address in the network's location, which stands for the
// repository's VM.
func (sb *Sandbox) seedAzure(req request.Request) error {
	if e := req.Egress; e != nil && e.Cloud == "azure" && e.NetworkSecurityGroupID != "" {
		if err := sb.seedSecurityGroup(e.NetworkSecurityGroupID); err != nil {
			return err
		}
	}
	a := req.Azure
	if a == nil {
		return nil
	}
	// The azure_location check rejects a location that the subscription
	// does not list. A network seeded there would stay in the state
	// directory, and a later request with the location corrected would
	// build in it.
	if !azuresim.HasLocation(a.Location) {
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

// KeyVaultURL maps the vault URL of an azure-keyvault: reference, such as
// https://corp-kv.vault.azure.net, to the sandbox vault of the same name.
func (sb *Sandbox) KeyVaultURL(vaultURL string) string {
	return sb.Azure.VaultURL(keyVaultName(vaultURL))
}

// keyVaultName returns the vault name, the first label of the vault host.
func keyVaultName(vaultURL string) string {
	host := strings.TrimPrefix(vaultURL, "https://")
	host, _, _ = strings.Cut(host, "/")
	name, _, _ := strings.Cut(host, ".")
	return name
}

// ensureKeyVaultSecret creates the secret of an azure-keyvault: reference
// in the sandbox vault when it does not hold it yet, in the version that
// the reference names, if any. The sandbox vault keeps one version per
// secret, so a reference to another version of a secret that it contains
// fails with advice.
func (sb *Sandbox) ensureKeyVaultSecret(ref string, generate func() (string, error)) error {
	vaultURL, name, version, err := azureadapter.ParseKeyVaultRef(ref)
	if err != nil {
		return err
	}
	vault := keyVaultName(vaultURL)
	if current, ok := sb.Azure.SecretVersion(vault, name); ok {
		if version != "" && !strings.EqualFold(version, current) {
			return &RequestError{Message: fmt.Sprintf("the sandbox vault %s contains secret %s in version %s only, not %s, "+
				"because it keeps one version per secret: name version %s or no version in this state directory's requests",
				vault, name, current, version, current)}
		}
		return nil
	}
	value, err := generate()
	if err != nil {
		return err
	}
	if version == "" {
		err = sb.Azure.PutSecret(vault, name, value)
	} else {
		err = sb.Azure.PutSecretVersion(vault, name, version, value)
	}
	if err != nil {
		return fmt.Errorf("seed Key Vault secret %s: %w", name, err)
	}
	return nil
}

// seedSecurityGroup creates the network security group that an egress-ip
// request on Azure changes the rules of.
func (sb *Sandbox) seedSecurityGroup(id string) error {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	if len(parts) != 8 || !strings.EqualFold(parts[0], "subscriptions") || !strings.EqualFold(parts[2], "resourceGroups") {
		return fmt.Errorf("seed network security group: %q is not a network security group ID", id)
	}
	if _, err := sb.Azure.EnsureNetworkSecurityGroup(parts[1], parts[3], "eastus", parts[7]); err != nil {
		return fmt.Errorf("seed network security group %s: %w", id, err)
	}
	return nil
}
