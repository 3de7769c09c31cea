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

// Firewall opens a repository firewall to Snowflake's egress IP ranges. It
// reads and changes only the rules that the request relies on. These are
// the rules that repolink created for it, and on a cloud that rejects a
// second rule for the same range, the rules of other requests or
// administrators that it marked as adopted. A rule that another request
// still relies on is never removed.
type Firewall interface {
	// IngressRanges returns the CIDR blocks that the rules the request
	// relies on allow on the target's port.
	IngressRanges(ctx context.Context, target FirewallTarget) ([]string, error)
	// SetIngressRanges makes the rules that the request relies on allow
	// exactly cidrs on the target's port: missing ranges are added or
	// adopted, and the request stops relying on ranges that are no longer
	// listed. Calling it again with the same ranges changes nothing.
	SetIngressRanges(ctx context.Context, target FirewallTarget, cidrs []string) (FirewallChange, error)
}

// FirewallChange is the set of ranges that one SetIngressRanges call added,
// adopted, removed or kept. Each list is sorted.
type FirewallChange struct {
	// Added are the ranges of rules created for the request.
	Added []string
	// Adopted are the ranges of existing rules that the request now relies
	// on too, because another request or an administrator created them.
	Adopted []string
	// Removed are the ranges whose rules were deleted.
	Removed []string
	// Kept are the ranges that the request no longer relies on but whose
	// rules stay, because another request or their owner outside repolink
	// still relies on them.
	Kept []string
	// Updated reports that the call rewrote or deleted at least one rule
	// that the request owns, even when no range was added or removed, for
	// example when only the port or the target tags changed. The Azure and
	// Google Cloud adapters set it. The AWS adapter leaves it unset and
	// reports each rule it revokes through Removed.
	Updated bool
	// OtherRequests are the IDs of the other requests that rely on the
	// adopted or kept rules.
	OtherRequests []string
}
