package request

import (
	"fmt"
	"regexp"
	"strings"
)

// Defaults of the Azure and Google Cloud routes.
const (
	DefaultAzureVMSize    = "Standard_B1s"
	DefaultAzureImage     = "Canonical:ubuntu-24_04-lts:server:latest"
	DefaultAzureAdmin     = "repolink"
	DefaultGCPMachineType = "e2-small"
	DefaultGCPImage       = "projects/debian-cloud/global/images/family/debian-12"
	DefaultPSCSubnetCIDR  = "192.168.255.0/28"
	DefaultEgressPort     = 443
)

var (
	guidPattern          = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	resourceGroupPattern = regexp.MustCompile(`^[-\w._()]{1,89}[-\w_()]$`)
	azureLocationPattern = regexp.MustCompile(`^[a-z][a-z0-9]{2,30}$`)
	azureNamePattern     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$`)
	nsgIDPattern         = regexp.MustCompile(`^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w._()]+/providers/Microsoft\.Network/networkSecurityGroups/[A-Za-z0-9_.-]+$`)
	gcpProjectPattern    = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	gcpRegionPattern     = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)
	gcpZonePattern       = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+-[a-z][a-z0-9]*$`)
	gcpNamePattern       = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
)

// applyCloudDefaults fills the optional fields of the Azure, Google Cloud
// and egress blocks.
func (r *Request) applyCloudDefaults() {
	if a := r.Azure; a != nil {
		// Azure takes location names in any case and returns them in
		// lower case, so the lower-case form is the one compared and sent.
		a.Location = strings.ToLower(a.Location)
		a.Proxy = orDefault(a.Proxy, "nginx")
		a.VMSize = orDefault(a.VMSize, DefaultAzureVMSize)
		a.Image = orDefault(a.Image, DefaultAzureImage)
		a.AdminUsername = orDefault(a.AdminUsername, DefaultAzureAdmin)
	}
	if g := r.GCP; g != nil {
		g.Proxy = orDefault(g.Proxy, "nginx")
		g.MachineType = orDefault(g.MachineType, DefaultGCPMachineType)
		g.Image = orDefault(g.Image, DefaultGCPImage)
		g.PSCSubnetCIDR = orDefault(g.PSCSubnetCIDR, DefaultPSCSubnetCIDR)
	}
	// egress.port is the port that Snowflake reaches the index on, so an
	// absent one is the index URL's port.
	if e := r.Egress; e != nil && e.Port == 0 {
		e.Port = DefaultEgressPortFor(r.Repository.IndexURL)
	}
}

// zeroEgressPort reports an egress.port written as 0 in the decoded
// document. ApplyDefaults sets the default port when the field is 0, so
// after decoding an explicit 0 looks like an absent port.
func zeroEgressPort(doc any) []FieldError {
	top, _ := doc.(map[string]any)
	egress, _ := top["egress"].(map[string]any)
	if port, ok := egress["port"].(float64); ok && port == 0 {
		return []FieldError{{Path: "$.egress.port", Message: "is 0; set the port of $.repository.index_url, from 1 to 65535, or remove the field to use that port"}}
	}
	return nil
}

func orDefault(value, def string) string {
	if value == "" {
		return def
	}
	return value
}

// RouteCloud returns the cloud whose network a route builds on, or "" for
// the public route.
func (r *Request) RouteCloud() string {
	switch r.Route {
	case RouteAWSPrivateLink:
		return "aws"
	case RouteAzurePrivateLink:
		return "azure"
	case RouteGCPPrivateLink:
		return "gcp"
	case RouteEgressIP:
		if r.Egress != nil {
			return r.Egress.Cloud
		}
	}
	return ""
}

// AccountCloud returns the cloud of the Snowflake account that an account
// locator names, or "" when the identifier does not name one, as an
// organization-account identifier (myorg-analytics, myorg_analytics) does
// not. A locator names its cloud in every form that accountForm accepts:
//
//   - xy12345 alone is an account in AWS US West (Oregon), so on aws.
//   - xy12345.us-east-1, a locator with a region and no cloud, is on aws,
//     because only AWS locators leave out the cloud.
//   - xy12345.east-us-2.azure and xy12345.us-central1.gcp end in their
//     cloud, which Azure and Google Cloud locators always do.
func AccountCloud(account string) string {
	name, suffix, dotted := strings.Cut(strings.ToLower(strings.TrimSpace(account)), ".")
	if name == "" || !locatorPattern.MatchString(name) {
		return ""
	}
	if !dotted {
		return "aws"
	}
	_, cloud, hasCloud := strings.Cut(suffix, ".")
	if !hasCloud {
		return "aws"
	}
	switch cloud {
	case "aws", "azure", "gcp":
		return cloud
	}
	return ""
}

// routeBlocks checks that exactly the block of the route is present.
func (v *validator) routeBlocks(r *Request) {
	blocks := map[string]bool{"aws": r.AWS != nil, "azure": r.Azure != nil, "gcp": r.GCP != nil, "egress": r.Egress != nil}
	want := map[Route]string{
		RouteAWSPrivateLink:   "aws",
		RouteAzurePrivateLink: "azure",
		RouteGCPPrivateLink:   "gcp",
		RouteEgressIP:         "egress",
	}[r.Route]
	for _, name := range []string{"aws", "azure", "gcp", "egress"} {
		switch {
		case name == want && !blocks[name]:
			v.add("$."+name, fmt.Sprintf("missing; the %s route needs it", r.Route))
		case name != want && blocks[name]:
			field := FieldError{Path: "$." + name, Message: fmt.Sprintf("does not belong to the %s route; remove it or change route", r.Route)}
			v.add(field.Path, field.Message)
			v.misplaced = append(v.misplaced, field)
		}
	}
	// The egress-ip route opens a firewall to Snowflake's public egress
	// ranges, which reach an index on any cloud, so only the private-link
	// routes need the account on their own cloud.
	cloud := r.RouteCloud()
	if r.Route == RouteEgressIP {
		cloud = ""
	}
	if account := AccountCloud(r.Snowflake.Account); account != "" && cloud != "" && account != cloud {
		v.add("$.snowflake.account", fmt.Sprintf("%q names a Snowflake account on %s, but the route builds on %s; private connectivity works only within one cloud, "+
			"and a locator without .azure or .gcp at its end is on aws; give an account on %s, by its organization-account identifier such as myorg-analytics "+
			"or by a locator that ends in .%s",
			r.Snowflake.Account, account, cloud, cloud, cloud))
	}
}

// proxyMode checks path.proxy and the path.target_address that proxy none
// needs. It checks no target address when the shape checks already
// reported path.proxy, because the field then contains its default, not
// the value written.
func (v *validator) proxyMode(path, proxy, target string, privateOnly bool) {
	if v.invalid(path + ".proxy") {
		return
	}
	switch proxy {
	case "nginx":
		if target != "" {
			v.add(path+".target_address", "is only used with proxy none; remove it")
		}
	case "none":
		v.targetAddress(path+".target_address", target, privateOnly)
	default:
		v.add(path+".proxy", fmt.Sprintf("unknown proxy %q; use nginx or none", proxy))
	}
}

// validProxy reports whether block.proxy is nginx or none and was not
// reported invalid. Checks of the fields that depend on the proxy value
// skip an invalid one, so only the proxy error shows.
func validProxy(v *validator, block, proxy string) bool {
	return (proxy == "nginx" || proxy == "none") && !v.invalid(block+".proxy")
}

func (v *validator) azure(a *Azure) {
	if v.require("$.azure.subscription_id", a.SubscriptionID, "set the subscription ID") && !guidPattern.MatchString(a.SubscriptionID) {
		v.add("$.azure.subscription_id", "must be a GUID such as 00000000-0000-0000-0000-000000000000")
	}
	if v.require("$.azure.resource_group", a.ResourceGroup, "set the resource group") && !resourceGroupPattern.MatchString(a.ResourceGroup) {
		v.add("$.azure.resource_group", "must be 1 to 90 letters, digits, '-', '_', '.', '(' or ')' and must not end with '.'")
	}
	if v.require("$.azure.location", a.Location, "set the location, such as eastus2") && !azureLocationPattern.MatchString(a.Location) {
		v.add("$.azure.location", fmt.Sprintf("%q is not an Azure location name; use the short form such as eastus2", a.Location))
	}
	for path, name := range map[string]string{"$.azure.vnet_name": a.VNetName, "$.azure.subnet_name": a.SubnetName, "$.azure.pls_subnet_name": a.PLSSubnetName} {
		if v.require(path, name, "set the name") && !azureNamePattern.MatchString(name) {
			v.add(path, "must be 1 to 80 letters, digits, '_', '.' or '-', starting with a letter or digit")
		}
	}
	// Azure resource names are case-insensitive, so SNET-PROXY and
	// snet-proxy name the same subnet.
	if a.SubnetName != "" && strings.EqualFold(a.SubnetName, a.PLSSubnetName) {
		v.add("$.azure.pls_subnet_name", fmt.Sprintf("%q names the same subnet as $.azure.subnet_name %q (Azure compares names without case); "+
			"set a different subnet, because the Private Link Service turns off the network policies of its subnet", a.PLSSubnetName, a.SubnetName))
	}
	v.proxyMode("$.azure", a.Proxy, a.TargetAddress, false)
	v.upstream("$.azure", a.Upstream, a.Proxy)
	if v.printable("$.azure.vm_size", a.VMSize, "remove it") {
		v.azureVMSize(a.VMSize)
	}
	if v.printable("$.azure.image", a.Image, "remove it") {
		v.azureImage(a.Image)
	}
	v.azureAdminUsername(a.AdminUsername)
	if a.SSHPublicKey != "" {
		if err := CheckAzureSSHPublicKey(a.SSHPublicKey); err != nil {
			v.add("$.azure.ssh_public_key", err.Error())
		}
	}
}

func (v *validator) gcp(g *GCP) {
	if v.require("$.gcp.project", g.Project, "set the project ID") && !gcpProjectPattern.MatchString(g.Project) {
		v.add("$.gcp.project", fmt.Sprintf("%q is not a project ID; use 6 to 30 lower-case letters, digits and hyphens", g.Project))
	}
	if v.require("$.gcp.region", g.Region, "set the region, such as us-central1") && !gcpRegionPattern.MatchString(g.Region) {
		v.add("$.gcp.region", fmt.Sprintf("%q is not a region; use a name such as us-central1", g.Region))
	}
	// Only the form of the zone is checked here. Whether gcp.zone is in
	// gcp.region is left to the gcp_region check against the project's
	// region list, because a zone outside the region can mean either a
	// misspelt zone or a misspelt region, and only the list shows which.
	if v.require("$.gcp.zone", g.Zone, "set the zone, such as us-central1-a") && !gcpZonePattern.MatchString(g.Zone) {
		v.add("$.gcp.zone", fmt.Sprintf("%q is not a zone name; use a region name and a zone letter, such as us-central1-a", g.Zone))
	}
	for path, name := range map[string]string{"$.gcp.network": g.Network, "$.gcp.subnet": g.Subnet, "$.gcp.psc_subnet": g.PSCSubnet} {
		if v.require(path, name, "set the name") && !gcpNamePattern.MatchString(name) {
			v.add(path, "must be a resource name: lower-case letters, digits and hyphens, starting with a letter")
		}
	}
	if g.Subnet != "" && g.Subnet == g.PSCSubnet {
		v.add("$.gcp.psc_subnet", "must differ from subnet, because a Private Service Connect subnet serves no VMs")
	}
	v.pscSubnetCIDR(g.PSCSubnetCIDR)
	v.proxyMode("$.gcp", g.Proxy, g.TargetAddress, false)
	v.upstream("$.gcp", g.Upstream, g.Proxy)
	v.gcpTargetTags(g)
	if v.printable("$.gcp.machine_type", g.MachineType, "remove it") {
		zone := g.Zone
		if v.invalid("$.gcp.zone") {
			zone = ""
		}
		v.gcpMachineType(g.MachineType, zone)
	}
	if v.printable("$.gcp.image", g.Image, "remove it") {
		v.gcpImage(g.Image)
	}
}

// gcpTargetTags checks gcp.target_tags, which proxy none needs because a
// VPC firewall rule without target tags applies to every VM in the network.
// With the proxy VM the rules target the tag that repolink gives that VM.
func (v *validator) gcpTargetTags(g *GCP) {
	if !validProxy(v, "$.gcp", g.Proxy) {
		v.networkTags("$.gcp.target_tags", g.TargetTags)
		return
	}
	switch g.Proxy {
	case "none":
		if len(g.TargetTags) == 0 {
			v.add("$.gcp.target_tags", `missing; with proxy none set the network tags of the repository's VM, such as ["pypi"], because a firewall rule without target tags opens port 443 on every VM in the network`)
		}
		v.networkTags("$.gcp.target_tags", g.TargetTags)
	case "nginx":
		if len(g.TargetTags) > 0 {
			v.add("$.gcp.target_tags", "is only used with proxy none, because the firewall rules target the proxy VM's own tag; remove it")
		}
	}
}

// networkTags checks each tag against the resource name rules of network
// tags: 1 to 63 lower-case letters, digits and hyphens, starting with a
// letter.
func (v *validator) networkTags(path string, tags []string) {
	for i, tag := range tags {
		if !gcpNamePattern.MatchString(tag) {
			v.add(fmt.Sprintf("%s[%d]", path, i), fmt.Sprintf("%q is not a network tag; use 1 to 63 lower-case letters, digits and hyphens, starting with a letter", tag))
		}
	}
}

func (v *validator) egress(e *Egress) {
	v.egressLocation(e)
	if e.Cloud == "gcp" {
		// A VPC firewall rule without target tags applies to every VM in
		// the network, so the rule must name the repository's VMs.
		if len(e.TargetTags) == 0 {
			v.add("$.egress.target_tags", `missing; set the network tags of the repository's VMs, such as ["pypi"], because a firewall rule without target tags opens the port on every VM in the network`)
		}
		v.networkTags("$.egress.target_tags", e.TargetTags)
	}
	if e.Port < 1 || e.Port > 65535 {
		v.add("$.egress.port", "must be from 1 to 65535")
	}
}

// egressLocation checks the cloud and the fields that locate the
// repository's firewall, which the teardown check needs too.
func (v *validator) egressLocation(e *Egress) {
	switch e.Cloud {
	case "aws":
		if v.require("$.egress.region", e.Region, "set the region of the security group") && !isAWSRegion(e.Region) {
			v.add("$.egress.region", fmt.Sprintf("%q is not an AWS region; use a name such as us-west-2", e.Region))
		}
		if v.require("$.egress.security_group_id", e.SecurityGroupID, "set the repository's security group") && !securityGroupPat.MatchString(e.SecurityGroupID) {
			v.add("$.egress.security_group_id", "must be sg- followed by hex digits")
		}
	case "azure":
		if v.require("$.egress.network_security_group_id", e.NetworkSecurityGroupID, "set the resource ID of the repository's NSG") && !nsgIDPattern.MatchString(e.NetworkSecurityGroupID) {
			v.add("$.egress.network_security_group_id", "must be /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/networkSecurityGroups/<name>")
		}
	case "gcp":
		if v.require("$.egress.project", e.Project, "set the project of the firewall") && !gcpProjectPattern.MatchString(e.Project) {
			v.add("$.egress.project", fmt.Sprintf("%q is not a project ID", e.Project))
		}
		if v.require("$.egress.network", e.Network, "set the VPC network") && !gcpNamePattern.MatchString(e.Network) {
			v.add("$.egress.network", "must be a resource name")
		}
	case "":
		v.add("$.egress.cloud", "missing; set aws, azure or gcp")
	default:
		v.add("$.egress.cloud", fmt.Sprintf("unknown cloud %q; use aws, azure or gcp", e.Cloud))
	}
}
