package cloud

import (
	"context"
	"strings"
)

// Azure provisioning states that the steps act on. Resource Manager reports
// Creating or Updating while an operation runs, then Succeeded or Failed.
const (
	AzureSucceeded = "Succeeded"
	AzureFailed    = "Failed"
)

// Statuses of a private endpoint connection on a Private Link Service.
// Resource Manager treats the status as a free-form string; these are the
// values that Azure sets.
const (
	AzurePending      = "Pending"
	AzureApproved     = "Approved"
	AzureRejected     = "Rejected"
	AzureDisconnected = "Disconnected"
)

// AzureVirtualNetwork is a virtual network and the region it is in.
type AzureVirtualNetwork struct {
	ID string
	// Location is the region, such as eastus2, in the case that Resource
	// Manager returns.
	Location string
}

// AzureSubnet is a subnet of a virtual network.
type AzureSubnet struct {
	ID            string
	Name          string
	AddressPrefix string
	// PrivateLinkServiceNetworkPolicies is Enabled or Disabled. A Private
	// Link Service can take NAT addresses only from a subnet where it is
	// Disabled.
	PrivateLinkServiceNetworkPolicies string
	ProvisioningState                 string
}

// AzureNetworkInterface is a network interface with its primary IP
// configuration.
type AzureNetworkInterface struct {
	ID   string
	Name string
	// IPConfigurationID is the ID of the primary IP configuration, the
	// member that a NIC-based backend pool lists.
	IPConfigurationID string
	SubnetID          string
	PrivateIP         string
	// BackendPoolIDs are the load balancer backend pools that the primary
	// IP configuration belongs to.
	BackendPoolIDs []string
	// VirtualMachineID is the VM that the interface is attached to, or "".
	VirtualMachineID  string
	ProvisioningState string
	Tags              map[string]string
}

// AzureNetworkInterfaceSpec describes the proxy VM's network interface with
// a dynamic private address in SubnetID.
type AzureNetworkInterfaceSpec struct {
	ResourceGroup string
	Location      string
	Name          string
	RequestID     string
	SubnetID      string
	// Tags are added to the repolink:request tag.
	Tags map[string]string
}

// AzureVM is a virtual machine.
type AzureVM struct {
	ID                  string
	Name                string
	ProvisioningState   string
	NetworkInterfaceIDs []string
	Tags                map[string]string
	// AdminUsername and SSHPublicKeys are the login settings from the VM's
	// OS profile. Azure sets both only when it creates the VM.
	AdminUsername string
	SSHPublicKeys []string
}

// AzureVMSpec describes the proxy VM.
type AzureVMSpec struct {
	ResourceGroup      string
	Location           string
	Name               string
	RequestID          string
	NetworkInterfaceID string
	Size               string
	// Image is a marketplace image URN, publisher:offer:sku:version.
	Image         string
	AdminUsername string
	// SSHPublicKey is the administrator's OpenSSH public key. The adapter
	// always disables password login, so without a key the VM accepts no
	// logins.
	SSHPublicKey string
	// CustomData is the cloud-init document in plain text; the adapter
	// encodes it.
	CustomData string
	Tags       map[string]string
}

// AzureFrontend is a load balancer frontend IP configuration.
type AzureFrontend struct {
	ID        string
	Name      string
	SubnetID  string
	PrivateIP string
}

// AzureBackendPool is a load balancer backend pool.
type AzureBackendPool struct {
	ID   string
	Name string
	// IPConfigurationIDs are the NIC IP configurations in the pool.
	IPConfigurationIDs []string
}

// AzureProbe is a load balancer health probe.
type AzureProbe struct {
	ID       string
	Name     string
	Protocol string // Tcp, Http or Https
	Port     int
}

// AzureRule is a load balancing rule.
type AzureRule struct {
	ID             string
	Name           string
	Protocol       string // Tcp, Udp or All
	FrontendPort   int
	BackendPort    int
	FrontendID     string
	BackendPoolID  string
	ProbeID        string
	FloatingIP     bool
	IdleTimeoutMin int
}

// AzureLoadBalancer is a load balancer with its child resources.
type AzureLoadBalancer struct {
	ID                string
	Name              string
	SKU               string // Basic, Standard or Gateway
	ProvisioningState string
	Frontends         []AzureFrontend
	BackendPools      []AzureBackendPool
	Probes            []AzureProbe
	Rules             []AzureRule
	Tags              map[string]string
}

// AzureLoadBalancerSpec describes an internal Standard load balancer with
// one frontend with a dynamic address in SubnetID, one backend pool, a TCP
// probe on Port and a TCP rule from Port to Port without floating IP.
type AzureLoadBalancerSpec struct {
	ResourceGroup string
	Location      string
	Name          string
	RequestID     string
	SubnetID      string
	Port          int
	// Names of the child resources.
	Frontend    string
	BackendPool string
	Probe       string
	Rule        string
	Tags        map[string]string
}

// AzureBackendHealth is the health of one backend address of a load
// balancing rule, as the rule's health probe reports it.
type AzureBackendHealth struct {
	IPAddress         string
	IPConfigurationID string
	State             string // Up or Down
	Reason            string
}

// AzurePrivateLinkService is a Private Link Service.
type AzurePrivateLinkService struct {
	ID                string
	Name              string
	Alias             string
	ProvisioningState string
	FrontendIDs       []string
	NATSubnetIDs      []string
	// ProxyProtocol is true when the service prepends a PROXY protocol v2
	// header to each connection.
	ProxyProtocol bool
	// AutoApproval lists the subscriptions whose connections are approved
	// without review.
	AutoApproval []string
	Tags         map[string]string
}

// AzurePrivateLinkServiceSpec describes a Private Link Service in front of
// a load balancer frontend, with one dynamic NAT address in NATSubnetID,
// PROXY protocol off and no automatic approval.
type AzurePrivateLinkServiceSpec struct {
	ResourceGroup string
	Location      string
	Name          string
	RequestID     string
	FrontendID    string
	NATSubnetID   string
	NATConfig     string
	Tags          map[string]string
}

// AzureEndpointConnection is a private endpoint connection on a Private
// Link Service. Its Name is the connection name that the service assigns,
// which differs from the private endpoint's own name.
type AzureEndpointConnection struct {
	ID                string
	Name              string
	PrivateEndpointID string
	Status            string // Pending, Approved, Rejected or Disconnected
	Description       string
}

// AzureInUseError is the cause of a delete that Resource Manager rejected
// because other resources still use the resource. Users are the resource
// IDs that the error message names as those users, which may be child
// resources such as a network interface's IP configuration. Users is empty
// when the message names none, as for a Private Link Service that still
// has private endpoint connections.
type AzureInUseError struct {
	Code  string
	Users []string
	Err   error
}

func (e *AzureInUseError) Error() string {
	if len(e.Users) == 0 {
		return e.Code
	}
	return e.Code + ": used by " + strings.Join(e.Users, ", ")
}

func (e *AzureInUseError) Unwrap() error { return e.Err }

// AzureNetwork is the Azure side of the azure-privatelink route, bound to
// one subscription. Resource group arguments name groups of that
// subscription. Create methods wait for Resource Manager's long-running
// operation to finish and return the resource as it then reads.
type AzureNetwork interface {
	// Locations returns the names of the regions that Resource Manager
	// lists for the subscription, such as eastus2.
	Locations(ctx context.Context) ([]string, error)
	// VMSizes returns the names of the VM sizes that Virtual Machine Sizes -
	// List returns for the location, such as Standard_B1s.
	VMSizes(ctx context.Context, location string) ([]string, error)

	// VirtualNetwork returns the virtual network, or (nil, nil) when it
	// does not exist.
	VirtualNetwork(ctx context.Context, resourceGroup, vnet string) (*AzureVirtualNetwork, error)
	// Subnet returns the subnet, or (nil, nil) when the subnet or its
	// virtual network does not exist.
	Subnet(ctx context.Context, resourceGroup, vnet, subnet string) (*AzureSubnet, error)
	// DisablePrivateLinkServicePolicies sets the subnet's
	// privateLinkServiceNetworkPolicies to Disabled and keeps its other
	// properties. Calling it on a subnet where they are disabled changes
	// nothing.
	DisablePrivateLinkServicePolicies(ctx context.Context, resourceGroup, vnet, subnet string) (AzureSubnet, error)

	FindNetworkInterface(ctx context.Context, resourceGroup, name string) (*AzureNetworkInterface, error)
	// FindNetworkInterfaceByIP returns the interface of the subscription
	// whose primary IP configuration has the private address ip in the
	// virtual network vnetID, or (nil, nil) when none has.
	FindNetworkInterfaceByIP(ctx context.Context, vnetID, ip string) (*AzureNetworkInterface, error)
	CreateNetworkInterface(ctx context.Context, spec AzureNetworkInterfaceSpec) (AzureNetworkInterface, error)
	// JoinBackendPool adds the interface's primary IP configuration to the
	// backend pool and keeps its other pools. Joining again changes
	// nothing.
	JoinBackendPool(ctx context.Context, networkInterfaceID, backendPoolID string) error

	FindVM(ctx context.Context, resourceGroup, name string) (*AzureVM, error)
	CreateVM(ctx context.Context, spec AzureVMSpec) (AzureVM, error)

	FindLoadBalancer(ctx context.Context, resourceGroup, name string) (*AzureLoadBalancer, error)
	CreateLoadBalancer(ctx context.Context, spec AzureLoadBalancerSpec) (AzureLoadBalancer, error)
	// RuleHealth returns the probe health of each backend address of a
	// load balancing rule.
	RuleHealth(ctx context.Context, resourceGroup, loadBalancer, rule string) ([]AzureBackendHealth, error)

	FindPrivateLinkService(ctx context.Context, resourceGroup, name string) (*AzurePrivateLinkService, error)
	CreatePrivateLinkService(ctx context.Context, spec AzurePrivateLinkServiceSpec) (AzurePrivateLinkService, error)
	// PrivateEndpointConnections lists the connections on the Private Link
	// Service with the given resource ID, through the Private Link Service
	// API (not the generic private endpoint connection API, which rejects
	// this resource type).
	PrivateEndpointConnections(ctx context.Context, serviceID string) ([]AzureEndpointConnection, error)
	// ApproveEndpointConnection sets the named connection's status to
	// Approved and returns the connection as it then reads.
	ApproveEndpointConnection(ctx context.Context, serviceID, connectionName, description string) (AzureEndpointConnection, error)

	// The delete methods below remove what teardown removes. Each returns
	// nil when the resource is already gone and a NotReady error while
	// another resource still uses it, so that teardown can wait and retry.
	// A NotReady error of an in-use rejection has an *AzureInUseError in
	// its chain that names the users, so that teardown can tell the
	// request's own resources from those of others.

	// RejectEndpointConnection sets the named connection's status to
	// Rejected, so that the Private Link Service can be deleted.
	RejectEndpointConnection(ctx context.Context, serviceID, connectionName, description string) (AzureEndpointConnection, error)
	// DeletePrivateLinkService deletes the service. It returns NotReady
	// while a connection to it is Pending or Approved.
	DeletePrivateLinkService(ctx context.Context, resourceGroup, name string) error
	// LeaveBackendPool removes the backend pool from the interface's IP
	// configurations and keeps its other pools and settings. Leaving a
	// pool that the interface is not in changes nothing.
	LeaveBackendPool(ctx context.Context, networkInterfaceID, backendPoolID string) error
	// DeleteLoadBalancer deletes the load balancer. It returns NotReady
	// while a Private Link Service uses its frontend or while a network
	// interface is in one of its pools.
	DeleteLoadBalancer(ctx context.Context, resourceGroup, name string) error
	// DeleteVM deletes the VM and the OS disk that is set to go with it.
	DeleteVM(ctx context.Context, resourceGroup, name string) error
	// DeleteNetworkInterface deletes the interface. It returns NotReady
	// while a VM still uses it.
	DeleteNetworkInterface(ctx context.Context, resourceGroup, name string) error
}
