package sandbox

import (
	"fmt"
	"net"
	"strings"

	"github.com/repolink/repolink/shared/request"
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
	cidr := gcpSubnetCIDR
	if g.Proxy == "none" {
		// The repository's subnet is the /24 around its address.
		_, block, err := net.ParseCIDR(g.TargetAddress + "/24")
		if err != nil {
			return fmt.Errorf("seed subnet for %s: %w", g.TargetAddress, err)
		}
		cidr = block.String()
	}
	if err := sb.GCP.EnsureSubnetwork(g.Project, g.Region, g.Subnet, g.Network, cidr, "PRIVATE"); err != nil {
		return fmt.Errorf("seed subnet %s: %w", g.Subnet, err)
	}
	if g.Proxy == "none" {
		if err := sb.GCP.EnsureInstance(g.Project, g.Zone, "repository", g.Subnet, g.TargetAddress, g.TargetTags); err != nil {
			return fmt.Errorf("seed the repository's VM: %w", err)
		}
	}
	return nil
}

// ensureSecretManagerSecret creates the secret of a gcp-secretmanager:
// reference, projects/<project>/secrets/<secret>[/versions/<version>], when
// the sandbox does not hold it yet.
func (sb *Sandbox) ensureSecretManagerSecret(ref string, generate func() (string, error)) error {
	name := strings.TrimPrefix(ref, "gcp-secretmanager:")
	name, _, _ = strings.Cut(name, "/versions/")
	if sb.GCP.HasSecret(name) {
		return nil
	}
	value, err := generate()
	if err != nil {
		return err
	}
	if err := sb.GCP.PutSecret(name, value); err != nil {
		return fmt.Errorf("seed secret: %w", err)
	}
	return nil
}
