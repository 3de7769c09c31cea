package cloud

import "context"

// Compute Engine values that the gcp-privatelink route sets and checks.
const (
	// GCPConnectionAcceptManual makes a service attachment hold every new
	// connection as PENDING until the producer accepts it. With
	// ACCEPT_AUTOMATIC the consumer accept list is ignored and any project
	// can connect.
	GCPConnectionAcceptManual = "ACCEPT_MANUAL"
	// GCPPurposePSC is the purpose of a subnet that a service attachment
	// takes its NAT addresses from.
	GCPPurposePSC = "PRIVATE_SERVICE_CONNECT"
	// GCPSchemeInternal is the load-balancing scheme of an internal
	// passthrough network load balancer.
	GCPSchemeInternal = "INTERNAL"
)

// GCPHealthCheckRanges are the source ranges of Google Cloud's health
// checks for internal passthrough network load balancers. A firewall rule
// must allow them on the backend port, or no backend ever turns HEALTHY.
var GCPHealthCheckRanges = []string{"35.191.0.0/16", "130.211.0.0/22"}

// GCPInstance is a Compute Engine VM. Path and references such as Network
// and Subnetwork are resource paths (projects/p/global/networks/n), whatever
// form the API returned.
type GCPInstance struct {
	Name string
	Path string
	Zone string
	// Status is PROVISIONING, STAGING, RUNNING, STOPPING, STOPPED,
	// SUSPENDING, SUSPENDED, REPAIRING or TERMINATED.
	Status     string
	NetworkIP  string
	Network    string
	Subnetwork string
	// NetworkTags are the instance's network tags, which firewall rules
	// select with target tags.
	NetworkTags []string
	Tags        map[string]string
}

// GCPInstanceSpec describes the proxy VM to create.
type GCPInstanceSpec struct {
	Name        string
	RequestID   string
	Zone        string
	MachineType string
	// Image is a source image such as
	// projects/debian-cloud/global/images/family/debian-12.
	Image      string
	Network    string
	Subnetwork string
	// StartupScript is the startup-script metadata value in plain text.
	StartupScript string
	NetworkTags   []string
	// ClientToken makes a retried insert create nothing more.
	ClientToken string
	// Tags are added to the repolink:request tag.
	Tags map[string]string
}

// GCPInstanceGroup is an unmanaged instance group.
type GCPInstanceGroup struct {
	Name    string
	Path    string
	Zone    string
	Network string
	// Instances are the paths of the member instances.
	Instances []string
	Tags      map[string]string
}

// GCPInstanceGroupSpec describes an unmanaged instance group.
type GCPInstanceGroupSpec struct {
	Name      string
	RequestID string
	Zone      string
	Network   string
	Tags      map[string]string
}

// GCPHealthCheck is a regional health check.
type GCPHealthCheck struct {
	Name   string
	Path   string
	Region string
	// Type is TCP, HTTP, HTTPS, HTTP2, SSL or GRPC.
	Type string
	Port int
	Tags map[string]string
}

// GCPHealthCheckSpec describes a regional TCP health check.
type GCPHealthCheckSpec struct {
	Name      string
	RequestID string
	Region    string
	Port      int
	Tags      map[string]string
}

// GCPFirewallRule is a VPC firewall rule.
type GCPFirewallRule struct {
	Name    string
	Path    string
	Network string
	// Direction is INGRESS or EGRESS.
	Direction    string
	Disabled     bool
	SourceRanges []string
	// TCPPorts are the TCP ports and ranges that the rule allows, such as
	// "443" or "8000-8100". An allow entry for TCP without ports reads as
	// "0-65535".
	TCPPorts   []string
	TargetTags []string
	Tags       map[string]string
}

// GCPFirewallRuleSpec describes an ingress rule that allows TCP ports from
// source ranges.
type GCPFirewallRuleSpec struct {
	Name         string
	RequestID    string
	Network      string
	TCPPorts     []string
	SourceRanges []string
	// TargetTags limit the rule to instances with one of these network
	// tags; empty means every instance in the network.
	TargetTags []string
	Tags       map[string]string
}

// GCPBackendService is a regional backend service.
type GCPBackendService struct {
	Name                string
	Path                string
	Region              string
	LoadBalancingScheme string
	Protocol            string
	HealthChecks        []string
	// Groups are the paths of the backend instance groups.
	Groups []string
	Tags   map[string]string
}

// GCPBackendServiceSpec describes an internal TCP backend service with one
// instance group backend.
type GCPBackendServiceSpec struct {
	Name        string
	RequestID   string
	Region      string
	Network     string
	HealthCheck string
	Group       string
	Tags        map[string]string
}

// GCPBackendHealth is the health of one instance behind a backend service.
type GCPBackendHealth struct {
	Instance  string
	IPAddress string
	// State is HEALTHY or UNHEALTHY (or, for endpoint groups, DRAINING,
	// TIMEOUT or UNKNOWN).
	State string
}

// GCPForwardingRule is a regional forwarding rule.
type GCPForwardingRule struct {
	Name                string
	Path                string
	Region              string
	IPAddress           string
	IPProtocol          string
	LoadBalancingScheme string
	Ports               []string
	AllPorts            bool
	BackendService      string
	Network             string
	Subnetwork          string
	Tags                map[string]string
}

// GCPForwardingRuleSpec describes an internal TCP forwarding rule to a
// backend service.
type GCPForwardingRuleSpec struct {
	Name           string
	RequestID      string
	Region         string
	BackendService string
	Network        string
	Subnetwork     string
	Port           int
	Tags           map[string]string
}

// GCPSubnetwork is a VPC subnet.
type GCPSubnetwork struct {
	Name        string
	Path        string
	Region      string
	Network     string
	IPCIDRRange string
	// Purpose is PRIVATE (a subnet for VMs, also reported as empty),
	// PRIVATE_SERVICE_CONNECT, REGIONAL_MANAGED_PROXY and others.
	Purpose string
	Tags    map[string]string
}

// GCPSubnetworkSpec describes a subnet to create.
type GCPSubnetworkSpec struct {
	Name        string
	RequestID   string
	Region      string
	Network     string
	IPCIDRRange string
	Purpose     string
	Tags        map[string]string
}

// GCPConsumerAcceptList is one entry of a service attachment's consumer
// accept list. Exactly one of ProjectIDOrNum, NetworkURL and EndpointURL
// is set.
type GCPConsumerAcceptList struct {
	ProjectIDOrNum string
	NetworkURL     string
	// EndpointURL accepts one Private Service Connect endpoint; its
	// connection limit must be at most 1.
	EndpointURL     string
	ConnectionLimit int
}

// GCPConnectedEndpoint is a consumer endpoint connected to a service
// attachment.
type GCPConnectedEndpoint struct {
	// Endpoint is the path of the consumer's forwarding rule.
	Endpoint        string
	ConsumerNetwork string
	PSCConnectionID uint64
	// Status is PENDING, ACCEPTED, REJECTED, CLOSED, NEEDS_ATTENTION or
	// STATUS_UNSPECIFIED.
	Status string
}

// GCPServiceAttachment is a Private Service Connect service attachment.
type GCPServiceAttachment struct {
	Name   string
	Path   string
	Region string
	// ConnectionPreference is ACCEPT_MANUAL or ACCEPT_AUTOMATIC.
	ConnectionPreference string
	TargetService        string
	NATSubnets           []string
	EnableProxyProtocol  bool
	ConsumerAcceptLists  []GCPConsumerAcceptList
	ConnectedEndpoints   []GCPConnectedEndpoint
	Tags                 map[string]string
}

// GCPServiceAttachmentSpec describes a service attachment that accepts
// connections manually and passes TCP through without PROXY protocol.
type GCPServiceAttachmentSpec struct {
	Name          string
	RequestID     string
	Region        string
	TargetService string
	NATSubnets    []string
	// ConsumerAcceptLists are accepted from the start; empty holds every
	// connection as PENDING.
	ConsumerAcceptLists []GCPConsumerAcceptList
	Tags                map[string]string
}

// GCPRegion is a Compute Engine region with the names of its zones.
type GCPRegion struct {
	Name string
	// Status is UP or DOWN.
	Status string
	Zones  []string
}

// GCPNetwork is the Google Cloud side of the gcp-privatelink route, for one
// project. Create methods return once the Compute Engine operation is done.
type GCPNetwork interface {
	// ListRegions returns every Compute Engine region that the project
	// lists, each with the names of its zones.
	ListRegions(ctx context.Context) ([]GCPRegion, error)
	// MachineTypeExists reports whether zone offers the machine type
	// called name, which may be a custom type such as n2-custom-2-4096.
	MachineTypeExists(ctx context.Context, zone, name string) (bool, error)
	// ListMachineTypes returns the names of the predefined machine types
	// of zone. Compute Engine lists no custom types.
	ListMachineTypes(ctx context.Context, zone string) ([]string, error)

	FindInstance(ctx context.Context, zone, name string) (*GCPInstance, error)
	// FindInstanceByIP returns the instance in zone whose primary network
	// interface has the internal address ip.
	FindInstanceByIP(ctx context.Context, zone, ip string) (*GCPInstance, error)
	CreateInstance(ctx context.Context, spec GCPInstanceSpec) (GCPInstance, error)

	// FindInstanceGroup returns the group with its member instances.
	FindInstanceGroup(ctx context.Context, zone, name string) (*GCPInstanceGroup, error)
	CreateInstanceGroup(ctx context.Context, spec GCPInstanceGroupSpec) (GCPInstanceGroup, error)
	// ListInstanceGroups returns every unmanaged instance group in zone
	// with its members, also those that repolink did not create.
	ListInstanceGroups(ctx context.Context, zone string) ([]GCPInstanceGroup, error)
	// AddInstanceToGroup adds one instance; adding a member again is a
	// no-op.
	AddInstanceToGroup(ctx context.Context, zone, group, instance string) error

	FindHealthCheck(ctx context.Context, region, name string) (*GCPHealthCheck, error)
	CreateHealthCheck(ctx context.Context, spec GCPHealthCheckSpec) (GCPHealthCheck, error)

	FindFirewallRule(ctx context.Context, name string) (*GCPFirewallRule, error)
	// ListFirewallRules returns every VPC firewall rule of the project, in
	// every network, also those that repolink did not create.
	ListFirewallRules(ctx context.Context) ([]GCPFirewallRule, error)
	CreateFirewallRule(ctx context.Context, spec GCPFirewallRuleSpec) (GCPFirewallRule, error)
	// UpdateFirewallRule sets the rule's allowed TCP ports, source ranges
	// and target tags to those of spec.
	UpdateFirewallRule(ctx context.Context, spec GCPFirewallRuleSpec) error

	FindBackendService(ctx context.Context, region, name string) (*GCPBackendService, error)
	CreateBackendService(ctx context.Context, spec GCPBackendServiceSpec) (GCPBackendService, error)
	// BackendHealth returns the health of the instances of group as the
	// backend service's health check reports it.
	BackendHealth(ctx context.Context, region, backendService, group string) ([]GCPBackendHealth, error)

	FindForwardingRule(ctx context.Context, region, name string) (*GCPForwardingRule, error)
	CreateForwardingRule(ctx context.Context, spec GCPForwardingRuleSpec) (GCPForwardingRule, error)

	FindSubnetwork(ctx context.Context, region, name string) (*GCPSubnetwork, error)
	// ListSubnetworks returns every subnet of the VPC network called
	// network in every region, also those that repolink did not create,
	// or nil and no error when the network does not exist.
	ListSubnetworks(ctx context.Context, network string) ([]GCPSubnetwork, error)
	CreateSubnetwork(ctx context.Context, spec GCPSubnetworkSpec) (GCPSubnetwork, error)

	// FindServiceAttachment returns the attachment with its connected
	// endpoints.
	FindServiceAttachment(ctx context.Context, region, name string) (*GCPServiceAttachment, error)
	CreateServiceAttachment(ctx context.Context, spec GCPServiceAttachmentSpec) (GCPServiceAttachment, error)
	// ListServiceAttachments returns every attachment in region, also those
	// that repolink did not create, without their connected endpoints.
	ListServiceAttachments(ctx context.Context, region string) ([]GCPServiceAttachment, error)
	// AddConsumerAcceptList adds one accept list entry and keeps the
	// others; an equal entry already present changes nothing.
	AddConsumerAcceptList(ctx context.Context, region, name string, entry GCPConsumerAcceptList) error

	// The delete methods below remove what teardown removes. Each waits
	// for its operation, returns nil when the resource is already gone and
	// a NotReady error while another resource still uses it
	// (resourceInUseByAnotherResource), so that teardown can wait and
	// retry.

	DeleteServiceAttachment(ctx context.Context, region, name string) error
	DeleteForwardingRule(ctx context.Context, region, name string) error
	DeleteBackendService(ctx context.Context, region, name string) error
	DeleteHealthCheck(ctx context.Context, region, name string) error
	DeleteFirewallRule(ctx context.Context, name string) error
	DeleteInstanceGroup(ctx context.Context, zone, name string) error
	DeleteInstance(ctx context.Context, zone, name string) error
	DeleteSubnetwork(ctx context.Context, region, name string) error
}
