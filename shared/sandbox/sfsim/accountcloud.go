package sfsim

import "strings"

// Clouds that an account can be on, as request.RouteCloud names them.
const (
	cloudAWS   = "aws"
	cloudAzure = "azure"
	cloudGCP   = "gcp"
)

// AzurePLSID is the privatelink-pls-id, the alias of the account's inbound
// Private Link Service, that SYSTEM$GET_PRIVATELINK_CONFIG returns for an
// account on Azure. repolink does not read it, so every account has the
// same one, in eastus2.
const AzurePLSID = "sf-pvlinksvc-eastus2.5a1d2c3b-0000-4000-8000-00000000a2a5.eastus2.azure.privatelinkservice"

// serviceCloud returns the cloud of a provider service ID that
// SYSTEM$PROVISION_PRIVATELINK_ENDPOINT takes: an AWS endpoint service
// name, an Azure Private Link Service resource ID or a Google Cloud service
// attachment path. It returns "" for another form.
func serviceCloud(serviceName string) string {
	switch {
	case strings.Contains(serviceName, "com.amazonaws.vpce."):
		return cloudAWS
	case strings.HasPrefix(strings.ToLower(serviceName), "/subscriptions/"):
		return cloudAzure
	case strings.HasPrefix(serviceName, "projects/"):
		return cloudGCP
	}
	return ""
}

// cloud returns the cloud that the account is on: the fixed one, or else
// the pending one. It returns "" for an account that no private-link
// request has been seeded for.
func (a *Account) cloud() string {
	return orDefault(a.fixedCloud(), a.PendingCloud)
}

// fixedCloud returns the account's fixed cloud, or else the cloud of its
// first endpoint, as in a world saved before accounts had a cloud.
func (a *Account) fixedCloud() string {
	if a.Cloud != "" {
		return a.Cloud
	}
	for _, ep := range a.Endpoints {
		if cloud := serviceCloud(ep.ServiceName); cloud != "" {
			return cloud
		}
	}
	return ""
}

// fixAccountCloud fixes the account's cloud as the cloud of serviceName,
// the service of its first private endpoint, and reports whether it
// changed the account. A Snowflake account stays on one cloud.
func fixAccountCloud(a *Account, serviceName string) bool {
	if a.Cloud != "" {
		return false
	}
	cloud := orDefault(a.cloud(), serviceCloud(serviceName))
	if cloud == "" {
		return false
	}
	a.Cloud, a.PendingCloud = cloud, ""
	return true
}

// ProposeAccountCloud sets the pending cloud of the account, aws, azure or
// gcp, replacing an earlier pending one, while the account's cloud is not
// fixed. The first private endpoint provisioned for the account fixes it,
// and after that a proposal changes nothing, as a Snowflake account stays
// on its cloud. An empty cloud changes nothing.
func (s *Server) ProposeAccountCloud(account, cloud string) error {
	return s.change(account, func() bool {
		a, created := s.ensureAccount(account)
		if a.fixedCloud() != "" || cloud == "" || a.PendingCloud == cloud {
			return created
		}
		a.PendingCloud = cloud
		return true
	})
}

// SetAccountCloud fixes the cloud of the account, such as for a test that
// needs an account on a given cloud, unless it is fixed already.
func (s *Server) SetAccountCloud(account, cloud string) error {
	return s.change(account, func() bool {
		a, created := s.ensureAccount(account)
		if a.Cloud != "" || cloud == "" {
			return created
		}
		a.Cloud, a.PendingCloud = cloud, ""
		return true
	})
}
