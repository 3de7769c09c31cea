package sandbox

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
)

// gcpSubnetCIDR is the range of the VM subnet that the sandbox creates for
// a Google Cloud request with a proxy VM.
const gcpSubnetCIDR = "10.10.0.0/24"

// seedGCP creates what a gcp-privatelink request expects to exist: the VPC
// network and the subnet of the proxy VM and forwarding rule, and with
// proxy none a running VM with target_address and target_tags that stands
// for the repository. The egress-ip route on Google Cloud needs the network of its
// firewall rules.
func (sb *Sandbox) seedGCP(req request.Request) error {
	if e := req.Egress; e != nil && e.Cloud == "gcp" {
		if err := sb.GCP.EnsureNetwork(e.Project, e.Network); err != nil {
			return fmt.Errorf("seed network %s: %w", e.Network, err)
		}
	}
	g := req.GCP
	if g == nil {
		return nil
	}
	if err := sb.GCP.EnsureNetwork(g.Project, g.Network); err != nil {
		return fmt.Errorf("seed network %s: %w", g.Network, err)
	}
	// The gcp_region check rejects a region or zone that Compute Engine
	// lacks. A subnet seeded there would keep its range in the network, so
	// a later request with the region corrected would get another range.
	if !gcpsim.HasZone(g.Region, g.Zone) {
		return nil
	}
	cidr := gcpSubnetCIDR
	if g.Proxy == "none" {
		// The repository's subnet is the /24 around its address.
		_, block, err := net.ParseCIDR(g.TargetAddress + "/24")
		if err != nil {
			return fmt.Errorf("seed subnet for %s: %w", g.TargetAddress, err)
		}
		cidr = block.String()
	}
	// A subnet seeded for an earlier request may hold that range already,
	// such as after the request changed gcp.subnet.
	cidr, err := sb.GCP.FreeSubnetRange(g.Project, g.Network, cidr)
	if err != nil {
		return fmt.Errorf("seed subnet %s: %w", g.Subnet, err)
	}
	if err := sb.GCP.EnsureSubnetwork(g.Project, g.Region, g.Subnet, g.Network, cidr, "PRIVATE"); err != nil {
		return fmt.Errorf("seed subnet %s: %w", g.Subnet, err)
	}
	if g.Proxy == "none" {
		return sb.seedRepositoryVM(g)
	}
	return nil
}

// seedRepositoryVM creates the running VM that represents the repository
// of a request with proxy none, at gcp.target_address in the subnet whose
// range contains it, unless a VM of the zone has that address already.
// The first such VM is named "repository", and later ones, such as after
// the request changed gcp.target_address, get the address in their name.
func (sb *Sandbox) seedRepositoryVM(g *request.GCP) error {
	if sb.GCP.InstanceNameAt(g.Project, g.Zone, g.TargetAddress) != "" {
		return nil
	}
	subnet := sb.GCP.SubnetworkContaining(g.Project, g.Region, g.Network, g.TargetAddress)
	if subnet == "" {
		subnet = g.Subnet
	}
	name := "repository"
	if sb.GCP.HasInstance(g.Project, g.Zone, name) {
		name = "repository-" + strings.ReplaceAll(g.TargetAddress, ".", "-")
	}
	if err := sb.GCP.EnsureInstance(g.Project, g.Zone, name, subnet, g.TargetAddress, g.TargetTags); err != nil {
		return fmt.Errorf("seed the repository's VM: %w", err)
	}
	return nil
}

// ensureSecretManagerSecret creates the secret of a gcp-secretmanager:
// reference, projects/<project>/secrets/<secret>[/versions/<version>], when
// the sandbox does not hold it yet. For a reference to version N it adds
// versions with one new value until the secret has N, so that version N
// exists and earlier versions keep their values.
func (sb *Sandbox) ensureSecretManagerSecret(ref string, generate func() (string, error)) error {
	name := strings.TrimPrefix(ref, "gcp-secretmanager:")
	name, version, _ := strings.Cut(name, "/versions/")
	want := 1
	if n, err := strconv.Atoi(version); err == nil && n > 1 {
		want = n
	}
	have := sb.GCP.SecretVersions(name)
	if have >= want {
		return nil
	}
	value, err := generate()
	if err != nil {
		return err
	}
	for ; have < want; have++ {
		if err := sb.GCP.PutSecret(name, value); err != nil {
			return fmt.Errorf("seed secret: %w", err)
		}
	}
	return nil
}
