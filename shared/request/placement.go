package request

import (
	"fmt"
	"strings"
)

// placementField is a request field that decides where a run builds its
// resources.
type placementField struct {
	path  string
	value string
}

// placementFields returns the route, the Snowflake account, the cloud
// account and region fields, the egress firewall group and the proxy
// choice of r, with "" for an absent block. A run opens its egress rules in
// the named group or network, and it builds a proxy VM only with proxy
// nginx. So a change of either leaves the earlier rules or resources
// behind, as a move to another region does.
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
		{"aws.proxy", proxyChoice(r.AWS != nil, aws.Proxy)},
		{"azure.proxy", proxyChoice(r.Azure != nil, azure.Proxy)},
		{"gcp.proxy", proxyChoice(r.GCP != nil, gcp.Proxy)},
		{"repository.auth.type", SecretType(r.Repository.Auth.Type)},
	}
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

// ChangeConsequence returns the clause of a rejection's reason that
// describes what a run of later would do to what the execution named
// execution built with earlier, given changed, the fields that differ.
//
// A change of the auth type between token and password needs a SECRET of
// another TYPE, and ALTER SECRET sets only the properties of the secret's
// own TYPE. Such a run is rejected instead of replacing the SECRET with
// CREATE OR REPLACE, because the API INTEGRATION lists the SECRET in
// ALLOWED_AUTHENTICATION_SECRETS and the ARTIFACT REPOSITORY names it.
// NOTE: whether those two keep working after CREATE OR REPLACE SECRET is
// not documented, so a run does not replace the SECRET.
func ChangeConsequence(earlier, later Request, changed []string, execution string) string {
	if len(changed) == 1 && changed[0] == "repository.auth.type" {
		return fmt.Sprintf("a run with the change would fail in its secret step, because the SECRET that %s created "+
			"has TYPE = %s, auth type %s needs TYPE = %s, and ALTER SECRET cannot change the TYPE of a secret",
			execution, SecretType(earlier.Repository.Auth.Type), later.Repository.Auth.Type, SecretType(later.Repository.Auth.Type))
	}
	return fmt.Sprintf("a run with the change would build new resources and leave those of %s behind, "+
		"because a teardown removes only what the latest run built", execution)
}

// ChangedPlacement returns the paths of the fields that decide where a run
// builds, such as route and snowflake.account, or what it builds there,
// such as aws.proxy or the TYPE of the SECRET that repository.auth.type
// chooses, whose values differ between earlier and later. A
// teardown removes what the latest run of a request built, so a run that
// changes one of them leaves the earlier run's resources behind.
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
