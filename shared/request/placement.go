package request

import (
	"fmt"
	"slices"
	"strings"
)

// placementField is a request field that decides where a run builds its
// resources.
type placementField struct {
	path  string
	value string
	// grows marks a list, joined with commas in value, that a later run may
	// extend. Such a field changes only when the later list drops an
	// element of the earlier one or, with keepFirst, starts with another.
	grows     bool
	keepFirst bool
	// list marks a value of comma-joined elements, which DescribeChanges
	// prints as a list.
	list bool
	// display, when set, is the value that DescribeChanges prints in place
	// of value, such as the auth type where value is the SECRET TYPE that
	// it creates.
	display string
}

// placementFields returns the route, the Snowflake account, the cloud
// account, region and network fields, the egress firewall group and the
// proxy choice of r, with "" for an absent block. A run opens its egress
// rules in the named group or network, and it builds a proxy VM only with
// proxy nginx. So a change of either leaves the earlier rules or resources
// behind, as a move to another region does. A run does not move a VM, load
// balancer or Private Link Service to another network, subnet or security
// group either, so the network fields count too.
func (r Request) placementFields() []placementField {
	var aws AWS
	if r.AWS != nil {
		aws = *r.AWS
	}
	var azure Azure
	if r.Azure != nil {
		azure = *r.Azure
	}
	var gcp GCP
	if r.GCP != nil {
		gcp = *r.GCP
	}
	var egress Egress
	if r.Egress != nil {
		egress = *r.Egress
	}
	return []placementField{
		{path: "$.route", value: string(r.Route)},
		{path: "$.snowflake.account", value: AccountKey(r.Snowflake.Account)},
		{path: "$.aws.region", value: aws.Region},
		{path: "$.aws.vpc_id", value: aws.VPCID},
		awsSubnets(r.AWS != nil, aws),
		{path: "$.aws.security_group_ids", value: sortedList(aws.SecurityGroupIDs), list: true},
		{path: "$.azure.subscription_id", value: strings.ToLower(azure.SubscriptionID)},
		{path: "$.azure.resource_group", value: strings.ToLower(azure.ResourceGroup)},
		{path: "$.azure.location", value: strings.ToLower(azure.Location)},
		{path: "$.azure.vnet_name", value: strings.ToLower(azure.VNetName)},
		{path: "$.azure.subnet_name", value: strings.ToLower(azure.SubnetName)},
		{path: "$.azure.pls_subnet_name", value: strings.ToLower(azure.PLSSubnetName)},
		{path: "$.gcp.project", value: gcp.Project},
		{path: "$.gcp.region", value: gcp.Region},
		{path: "$.gcp.zone", value: gcp.Zone},
		{path: "$.gcp.network", value: gcp.Network},
		{path: "$.gcp.subnet", value: gcp.Subnet},
		{path: "$.gcp.psc_subnet", value: gcp.PSCSubnet},
		{path: "$.gcp.psc_subnet_cidr", value: pscSubnetCIDR(r.GCP != nil, gcp.PSCSubnetCIDR)},
		{path: "$.egress.cloud", value: egress.Cloud},
		{path: "$.egress.region", value: egress.Region},
		{path: "$.egress.project", value: egress.Project},
		{path: "$.egress.security_group_id", value: egress.SecurityGroupID},
		{path: "$.egress.network_security_group_id", value: strings.ToLower(egress.NetworkSecurityGroupID)},
		{path: "$.egress.network", value: egress.Network},
		{path: "$.aws.proxy", value: proxyChoice(r.AWS != nil, aws.Proxy)},
		{path: "$.azure.proxy", value: proxyChoice(r.Azure != nil, azure.Proxy)},
		{path: "$.gcp.proxy", value: proxyChoice(r.GCP != nil, gcp.Proxy)},
		{path: "$.repository.auth.type", value: SecretType(r.Repository.Auth.Type), display: r.Repository.Auth.Type},
	}
}

// awsSubnets returns the aws.subnet_ids field of a. A later run may add
// subnets, because the load_balancer step enables the load balancer in
// their zones, but it cannot remove a subnet from the load balancer. With
// proxy nginx the proxy VM sits in the first subnet, so that one must stay
// first.
func awsSubnets(present bool, a AWS) placementField {
	return placementField{
		path:      "$.aws.subnet_ids",
		value:     strings.Join(a.SubnetIDs, ","),
		grows:     true,
		keepFirst: proxyChoice(present, a.Proxy) == "nginx",
		list:      true,
	}
}

// sortedList returns the elements of list in sorted order joined with
// commas, for a list whose order does not matter.
func sortedList(list []string) string {
	return strings.Join(slices.Sorted(slices.Values(list)), ",")
}

// pscSubnetCIDR returns the psc_subnet_cidr of a Google Cloud block that is
// present, with the default for an empty one, as proxyChoice does for the
// proxy.
func pscSubnetCIDR(present bool, cidr string) string {
	if !present || cidr != "" {
		return cidr
	}
	return DefaultPSCSubnetCIDR
}

// SecretType returns the TYPE of the SECRET that the auth type authType
// creates: GENERIC_STRING for token, PASSWORD for password and
// codeartifact.
func SecretType(authType string) string {
	if authType == "token" {
		return "GENERIC_STRING"
	}
	return "PASSWORD"
}

// proxyChoice returns the proxy of a cloud block that is present, with the
// default nginx for an empty one, so that a request recorded before
// validation filled the default compares equal to one recorded after.
func proxyChoice(present bool, proxy string) string {
	if !present || proxy != "" {
		return proxy
	}
	return "nginx"
}

// ChangeConsequence returns the clause of a rejection reason that describes
// what a run of later would do to the resources that the execution named
// execution built from earlier. changed contains the paths of the fields
// that differ, as ChangedPlacement returns them.
//
// A change of the auth type between token and password needs a SECRET of
// another TYPE, and ALTER SECRET sets only the properties of the secret's
// own TYPE. Such a run is rejected instead of replacing the SECRET with
// CREATE OR REPLACE, because the API INTEGRATION lists the SECRET in
// ALLOWED_AUTHENTICATION_SECRETS and the ARTIFACT REPOSITORY names it.
// NOTE: whether those two keep working after CREATE OR REPLACE SECRET is
// not documented, so a run does not replace the SECRET.
func ChangeConsequence(earlier, later Request, changed []string, execution string) string {
	if len(changed) == 1 && changed[0] == "$.repository.auth.type" {
		return fmt.Sprintf("a run with the change would fail in its secret step, because the SECRET that %s created "+
			"has TYPE = %s, auth type %s needs TYPE = %s, and ALTER SECRET cannot change the TYPE of a secret",
			execution, SecretType(earlier.Repository.Auth.Type), later.Repository.Auth.Type, SecretType(later.Repository.Auth.Type))
	}
	if !slices.ContainsFunc(changed, func(path string) bool { return !slices.Contains(networkFields, path) }) {
		return fmt.Sprintf("a run with the change would find the resources that %s built by name and keep them "+
			"where they are, because a run does not move a VM, load balancer, Private Link Service or service "+
			"attachment to another network, subnet or security group", execution)
	}
	return fmt.Sprintf("a run with the change would build new resources and leave those of %s behind, "+
		"because a teardown removes only what the latest run built", execution)
}

// networkFields are the placement fields of a network, subnet or security
// group inside one cloud region. A run that changes only these finds its
// earlier resources under the same names instead of building new ones.
var networkFields = []string{
	"$.aws.vpc_id", "$.aws.subnet_ids", "$.aws.security_group_ids",
	"$.azure.vnet_name", "$.azure.subnet_name", "$.azure.pls_subnet_name",
	"$.gcp.network", "$.gcp.subnet", "$.gcp.psc_subnet", "$.gcp.psc_subnet_cidr",
}

// ChangedPlacement returns the paths of the placement fields whose values
// differ between earlier and later. These fields decide where a run builds,
// such as $.route and $.snowflake.account, or what it builds there, such as
// $.aws.proxy or the TYPE of the SECRET that $.repository.auth.type chooses.
// A teardown removes only what the latest run of a request built, so most
// such changes leave the earlier run's resources behind. ChangeConsequence
// describes what a run with a given change would do.
func ChangedPlacement(earlier, later Request) []string {
	before := earlier.placementFields()
	var changed []string
	for i, field := range later.placementFields() {
		if field.changedFrom(before[i]) {
			changed = append(changed, field.path)
		}
	}
	return changed
}

// changedFrom reports whether f, the field of a later request, differs from
// earlier, the same field of an earlier one.
func (f placementField) changedFrom(earlier placementField) bool {
	if !f.grows || earlier.value == "" {
		return f.value != earlier.value
	}
	before := strings.Split(earlier.value, ",")
	after := strings.Split(f.value, ",")
	if f.keepFirst && after[0] != before[0] {
		return true
	}
	for _, element := range before {
		if !slices.Contains(after, element) {
			return true
		}
	}
	return false
}
