package cloud

import "context"

// FirewallTarget names the firewall in front of a repository: an AWS
// security group, an Azure network security group, or a Google Cloud VPC
// network with optional target tags.
type FirewallTarget struct {
	RequestID string
	Port      int

	AWSRegion       string
	SecurityGroupID string

	NetworkSecurityGroupID string

	Project    string
	Network    string
	TargetTags []string
}

// Firewall opens a repository firewall to Snowflake's egress IP ranges. Only
// the rules that repolink created for the request are read or changed.
type Firewall interface {
	// IngressRanges returns the CIDR blocks that repolink's rules for the
	// request allow on the target's port.
	IngressRanges(ctx context.Context, target FirewallTarget) ([]string, error)
	// SetIngressRanges makes repolink's rules allow exactly cidrs on the
	// target's port: missing ranges are added and ranges that are no longer
	// listed are removed. Calling it again with the same ranges changes
	// nothing.
	SetIngressRanges(ctx context.Context, target FirewallTarget, cidrs []string) error
}
