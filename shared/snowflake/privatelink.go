package snowflake

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ProvisionPrivateLinkEndpoint requests that Snowflake create a private endpoint to
// the cloud service serviceID (AWS endpoint service name, Azure Private Link
// Service resource ID or GCP service attachment) for host. The single
// result column is a status text whose wording varies; do not parse it.
func ProvisionPrivateLinkEndpoint(serviceID, host string) string {
	return "SELECT SYSTEM$PROVISION_PRIVATELINK_ENDPOINT(" + Literal(serviceID) + ", " + Literal(host) + ")"
}

// DeprovisionPrivateLinkEndpoint marks the account's endpoint to serviceID for
// deletion; Snowflake keeps it restorable for 7 days.
func DeprovisionPrivateLinkEndpoint(serviceID string) string {
	return "SELECT SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT(" + Literal(serviceID) + ")"
}

// RestorePrivateLinkEndpoint restores an endpoint marked for deletion.
func RestorePrivateLinkEndpoint(serviceID string) string {
	return "SELECT SYSTEM$RESTORE_PRIVATELINK_ENDPOINT(" + Literal(serviceID) + ")"
}

// GetPrivateLinkConfig returns the account's private connectivity settings as
// one JSON object; parse it with ParsePrivateLinkConfig.
func GetPrivateLinkConfig() string {
	return "SELECT SYSTEM$GET_PRIVATELINK_CONFIG()"
}

// GetPrivateLinkEndpointsInfo returns the account's private endpoints as one
// JSON array; parse it with ParseEndpointsInfo.
func GetPrivateLinkEndpointsInfo() string {
	return "SELECT SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO()"
}

// PrivateLinkConfig holds the keys of SYSTEM$GET_PRIVATELINK_CONFIG that
// repolink reads.
type PrivateLinkConfig struct {
	// AccountPrincipal is the AWS principal ARN to allow on an endpoint
	// service (key privatelink-account-principal, AWS only).
	AccountPrincipal string `json:"privatelink-account-principal"`
	// GCPServiceAttachment is the account's PSC service attachment (GCP only).
	GCPServiceAttachment string `json:"privatelink-gcp-service-attachment"`
	// AzurePLSID is the account's Private Link Service alias (Azure only).
	AzurePLSID string `json:"privatelink-pls-id"`
	// AccountURL is the account's private link URL.
	AccountURL string `json:"privatelink-account-url"`
	// VPCEID is the endpoint service name of the account's inbound
	// PrivateLink, com.amazonaws.vpce.<region>.vpce-svc-<id> (AWS only).
	VPCEID string `json:"privatelink-vpce-id"`
}

// AWSRegion returns the AWS region of the account, read from VPCEID, or ""
// when the key is absent or has another form. An endpoint service name in
// the China partition starts with cn.com.amazonaws.vpce.
func (c PrivateLinkConfig) AWSRegion() string {
	_, rest, found := strings.Cut(c.VPCEID, "amazonaws.vpce.")
	if !found {
		return ""
	}
	region, _, found := strings.Cut(rest, ".")
	if !found {
		return ""
	}
	return region
}

// Cloud returns the cloud of the account, aws, azure or gcp, read from the
// keys that SYSTEM$GET_PRIVATELINK_CONFIG returns on that cloud only:
// privatelink-vpce-id or privatelink-account-principal on AWS,
// privatelink-pls-id on Azure and privatelink-gcp-service-attachment on
// Google Cloud. It returns "" when no such key is set, or keys of more
// than one cloud are.
func (c PrivateLinkConfig) Cloud() string {
	var clouds []string
	if c.VPCEID != "" || c.AccountPrincipal != "" {
		clouds = append(clouds, "aws")
	}
	if c.AzurePLSID != "" {
		clouds = append(clouds, "azure")
	}
	if c.GCPServiceAttachment != "" {
		clouds = append(clouds, "gcp")
	}
	if len(clouds) != 1 {
		return ""
	}
	return clouds[0]
}

// GCPRegion returns the Google Cloud region of the account, read from the
// path projects/<project>/regions/<region>/serviceAttachments/<name> of
// GCPServiceAttachment, or "" when the key is absent or has another form.
func (c PrivateLinkConfig) GCPRegion() string {
	parts := strings.Split(c.GCPServiceAttachment, "/")
	if len(parts) != 6 || parts[0] != "projects" || parts[2] != "regions" || parts[4] != "serviceAttachments" {
		return ""
	}
	return parts[3]
}

// ParsePrivateLinkConfig decodes the JSON object that
// SYSTEM$GET_PRIVATELINK_CONFIG returns.
func ParsePrivateLinkConfig(raw string) (PrivateLinkConfig, error) {
	var cfg PrivateLinkConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return PrivateLinkConfig{}, fmt.Errorf("parse SYSTEM$GET_PRIVATELINK_CONFIG output: %w", err)
	}
	return cfg, nil
}

// EndpointInfo is one entry of SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO. The
// service field depends on the cloud: ProviderServiceName on AWS,
// ProviderResourceID on Azure and GCP.
type EndpointInfo struct {
	ProviderServiceName   string `json:"provider_service_name"`
	ProviderResourceID    string `json:"provider_resource_id"`
	Subresource           string `json:"subresource"`
	SnowflakeEndpointName string `json:"snowflake_endpoint_name"`
	SnowflakeResourceID   string `json:"snowflake_resource_id"`
	Host                  string `json:"host"`
	// EndpointState is Snowflake's side: PENDING_CREATION, CREATED, FAILED,
	// PENDING_DELETION or DELETING.
	EndpointState string `json:"endpoint_state"`
	// Status is the cloud side, for example Pending and Available on AWS,
	// APPROVED on Azure, ACCEPTED on GCP. Its case varies between clouds.
	Status string `json:"status"`
}

// ServiceID returns the cloud service the endpoint connects to.
func (e EndpointInfo) ServiceID() string {
	if e.ProviderServiceName != "" {
		return e.ProviderServiceName
	}
	return e.ProviderResourceID
}

// ParseEndpointsInfo decodes the JSON array that
// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO returns. An empty output reads as no
// endpoints.
func ParseEndpointsInfo(raw string) ([]EndpointInfo, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var infos []EndpointInfo
	if err := json.Unmarshal([]byte(raw), &infos); err != nil {
		return nil, fmt.Errorf("parse SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO output: %w", err)
	}
	return infos, nil
}
