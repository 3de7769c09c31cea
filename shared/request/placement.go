package request

import "strings"

// placementField is a request field that decides where a run builds its
// resources.
type placementField struct {
	path  string
	value string
}

// placementFields returns the route, the Snowflake account, the cloud
// account and region fields and the egress firewall group of r, with ""
// for an absent block. A run opens its egress rules in the named group or
// network, so a change of it leaves the earlier rules open just as a move
// to another region leaves the earlier resources.
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
		{"route", string(r.Route)},
		{"snowflake.account", strings.ToLower(r.Snowflake.Account)},
		{"aws.region", aws.Region},
		{"azure.subscription_id", strings.ToLower(azure.SubscriptionID)},
		{"azure.resource_group", strings.ToLower(azure.ResourceGroup)},
		{"azure.location", azure.Location},
		{"gcp.project", gcp.Project},
		{"gcp.region", gcp.Region},
		{"egress.cloud", egress.Cloud},
		{"egress.region", egress.Region},
		{"egress.project", egress.Project},
		{"egress.security_group_id", egress.SecurityGroupID},
		{"egress.network_security_group_id", strings.ToLower(egress.NetworkSecurityGroupID)},
		{"egress.network", egress.Network},
	}
}

// ChangedPlacement returns the paths of the fields that decide where a run
// builds, such as route and snowflake.account, whose values differ between
// earlier and later. A teardown removes what the latest run of a request
// built, so a run that changes one of them leaves the earlier run's
// resources behind.
func ChangedPlacement(earlier, later Request) []string {
	before := earlier.placementFields()
	var changed []string
	for i, field := range later.placementFields() {
		if field.value != before[i].value {
			changed = append(changed, field.path)
		}
	}
	return changed
}
