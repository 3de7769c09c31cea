// Package cloud declares what the steps need from a cloud provider. SDK
// adapters live in the child packages and satisfy these interfaces; no SDK
// type crosses this boundary.
//
// Every Find method returns (nil, nil) when the resource does not exist, so
// that a step can adopt what it finds and create only what is absent.
package cloud

import (
	"context"
	"errors"
)

// ErrNotFound is in the chain of an adapter error when the resource that a
// call names does not exist, so that a step can tell a deleted resource
// from other failures with errors.Is.
var ErrNotFound = errors.New("resource not found")

// ErrInvalidImage is in the chain of an adapter error when the cloud
// rejects the image that a launch names as malformed or not found, so that
// a step can name the request field of the image.
var ErrInvalidImage = errors.New("invalid image")

// ErrInvalidSecurityGroup is in the chain of an adapter error when the
// cloud rejects a security group that a call names as malformed or not
// found.
var ErrInvalidSecurityGroup = errors.New("invalid security group")

// ErrInvalidInstanceType is in the chain of an adapter error when the cloud
// does not have the instance type that a call names.
var ErrInvalidInstanceType = errors.New("invalid instance type")

// TagRequest is the tag key that marks every resource with the request ID.
const TagRequest = "repolink:request"

// TagExecution is the tag key that records the execution that created a
// resource, so that a step retried after creating it still reports it as
// created, while a later run reports it as adopted.
const TagExecution = "repolink:execution"

// TagTarget is the tag key on a target group that records the target that
// repolink registered in it, as ID:port. A later run deregisters that target
// when the request names another one, and leaves every target that the tag
// does not name in place, because someone else registered it.
const TagTarget = "repolink:target"

// Instance is a virtual machine.
type Instance struct {
	ID        string
	State     string // pending, running, stopping, stopped, shutting-down, terminated
	PrivateIP string
	SubnetID  string
	Tags      map[string]string
}

// InstanceSpec describes the proxy VM to launch.
type InstanceSpec struct {
	Name             string
	RequestID        string
	SubnetID         string
	InstanceType     string
	ImageID          string
	SecurityGroupIDs []string
	// UserData is the boot script in plain text; the adapter encodes it.
	UserData    string
	ClientToken string
	// Tags are added to the Name and repolink:request tags.
	Tags map[string]string
}

// TargetGroup is a load balancer target group.
type TargetGroup struct {
	ARN                 string
	Name                string
	Protocol            string
	Port                int
	HealthCheckProtocol string
	// TargetType is instance or ip.
	TargetType string
	Tags       map[string]string
}

// TargetGroupSpec describes a TCP target group with an explicit TCP health
// check.
type TargetGroupSpec struct {
	Name      string
	RequestID string
	VPCID     string
	Port      int
	// TargetType is instance (the default), where targets are instance IDs,
	// or ip, where targets are private IPv4 addresses in the VPC or, in
	// availability zone all, outside it.
	TargetType string
	Tags       map[string]string
}

// TargetHealth is the health of one registered target.
type TargetHealth struct {
	ID    string
	Port  int
	State string // initial, healthy, unhealthy, unused, draining, unavailable
}

// LoadBalancer is a network load balancer.
type LoadBalancer struct {
	ARN     string
	Name    string
	DNSName string
	State   string // provisioning, active, active_impaired, failed
	Scheme  string
	// Zones are the names of the enabled availability zones, and SubnetIDs
	// the subnet of each, in the same order.
	Zones          []string
	SubnetIDs      []string
	SecurityGroups []string
	Tags           map[string]string
}

// AvailabilityZone is a zone of a region. Name (us-west-2a) maps to a
// different physical zone in each account, while ID (usw2-az1) names the
// same zone in every account.
type AvailabilityZone struct {
	Name string
	ID   string
}

// Subnet is a VPC subnet and the availability zone it is in.
type Subnet struct {
	ID       string
	VPCID    string
	ZoneName string
	ZoneID   string
}

// Image is a machine image and its processor architecture, such as x86_64
// or arm64.
type Image struct {
	ID           string
	Name         string
	Architecture string
}

// SecurityGroup is a security group and the VPC it is in.
type SecurityGroup struct {
	ID    string
	VPCID string
}

// VPC is a virtual private cloud and its IPv4 CIDR blocks.
type VPC struct {
	ID         string
	CIDRBlocks []string
}

// LoadBalancerSpec describes an internal network load balancer.
type LoadBalancerSpec struct {
	Name      string
	RequestID string
	SubnetIDs []string
	Tags      map[string]string
}

// Listener is a load balancer listener.
type Listener struct {
	ARN            string
	Protocol       string
	Port           int
	TargetGroupARN string
}

// EndpointService is a VPC endpoint service.
type EndpointService struct {
	ID                 string
	Name               string
	State              string
	AcceptanceRequired bool
	LoadBalancerARNs   []string
	// Zones are the names of the availability zones that the service
	// serves. They are fixed when a load balancer is associated with the
	// service, so zones enabled on the load balancer later are missing.
	Zones []string
}

// EndpointConnection is a consumer's connection to an endpoint service.
type EndpointConnection struct {
	EndpointID string
	State      string // pendingAcceptance, pending, available, rejected, failed, expired, deleting, deleted
	Owner      string
}

// AWSNetwork is the AWS side of the aws-privatelink route.
type AWSNetwork interface {
	// FindInstance returns the live (not terminated) instance tagged with
	// the request ID and name.
	FindInstance(ctx context.Context, requestID, name string) (*Instance, error)
	// RunInstance launches one instance; the client token makes a retried
	// call launch nothing more.
	RunInstance(ctx context.Context, spec InstanceSpec) (Instance, error)

	FindTargetGroup(ctx context.Context, name string) (*TargetGroup, error)
	CreateTargetGroup(ctx context.Context, spec TargetGroupSpec) (TargetGroup, error)
	// RegisterTarget registers a target on port: an instance ID, or an IP
	// address in a target group of type ip, in availability zone all when
	// the address is outside the group's VPC. Registering it again is a
	// no-op.
	RegisterTarget(ctx context.Context, targetGroupARN, targetID string, port int) error
	TargetHealth(ctx context.Context, targetGroupARN string) ([]TargetHealth, error)
	// TargetGroupAttributes returns the attributes by key, such as
	// proxy_protocol_v2.enabled.
	TargetGroupAttributes(ctx context.Context, targetGroupARN string) (map[string]string, error)
	// DeregisterTarget removes the target registered on port. Traffic to
	// it drains for the group's deregistration delay.
	DeregisterTarget(ctx context.Context, targetGroupARN, targetID string, port int) error
	// TagTargetGroup adds tags to a target group and overwrites the values
	// of keys it already has.
	TagTargetGroup(ctx context.Context, targetGroupARN string, tags map[string]string) error

	// AvailabilityZones returns the available zones of type
	// availability-zone in the region, leaving out Local Zones and
	// Wavelength Zones.
	AvailabilityZones(ctx context.Context) ([]AvailabilityZone, error)
	// Subnets returns the subnets with the given IDs. It returns an error
	// naming the IDs that do not exist.
	Subnets(ctx context.Context, ids []string) ([]Subnet, error)
	// VPCSubnets returns every subnet of the VPC.
	VPCSubnets(ctx context.Context, vpcID string) ([]Subnet, error)
	// VPC returns the VPC with its CIDR blocks, or (nil, nil) when it
	// does not exist.
	VPC(ctx context.Context, vpcID string) (*VPC, error)

	// InstanceTypeArchitectures returns the processor architectures that
	// the instance type supports. Its error has ErrInvalidInstanceType in
	// the chain when the region does not have the type.
	InstanceTypeArchitectures(ctx context.Context, instanceType string) ([]string, error)
	// Image returns the image with the given ID. Its error has
	// ErrInvalidImage in the chain when the ID is malformed or not found.
	Image(ctx context.Context, imageID string) (Image, error)
	// ImageParameter returns the value of the Systems Manager parameter
	// that an image reference resolve:ssm:<name> names, such as the image
	// ID of an AWS public parameter. name may end in :<version>. Its error
	// has ErrInvalidImage in the chain when the parameter does not exist.
	ImageParameter(ctx context.Context, name string) (string, error)
	// SecurityGroups returns the security groups with the given IDs. Its
	// error has ErrInvalidSecurityGroup in the chain when one of them is
	// malformed or not found.
	SecurityGroups(ctx context.Context, ids []string) ([]SecurityGroup, error)

	FindLoadBalancer(ctx context.Context, name string) (*LoadBalancer, error)
	CreateLoadBalancer(ctx context.Context, spec LoadBalancerSpec) (LoadBalancer, error)
	// SetLoadBalancerSubnets sets the load balancer's subnets to exactly
	// subnetIDs. A network load balancer with endpoint service
	// associations accepts added subnets but rejects removed ones.
	SetLoadBalancerSubnets(ctx context.Context, arn string, subnetIDs []string) error
	// LoadBalancerAttributes returns the attributes by key, such as
	// load_balancing.cross_zone.enabled.
	LoadBalancerAttributes(ctx context.Context, arn string) (map[string]string, error)
	SetLoadBalancerAttributes(ctx context.Context, arn string, attrs map[string]string) error
	FindListener(ctx context.Context, loadBalancerARN string, port int) (*Listener, error)
	CreateListener(ctx context.Context, loadBalancerARN, targetGroupARN string, port int) (Listener, error)

	// FindEndpointService returns the service tagged with the request ID.
	FindEndpointService(ctx context.Context, requestID string) (*EndpointService, error)
	CreateEndpointService(ctx context.Context, requestID, loadBalancerARN, clientToken string) (EndpointService, error)
	AllowedPrincipals(ctx context.Context, serviceID string) ([]string, error)
	// AddAllowedPrincipal adds one principal and keeps the others.
	AddAllowedPrincipal(ctx context.Context, serviceID, principal string) error
	EndpointConnections(ctx context.Context, serviceID string) ([]EndpointConnection, error)
	AcceptEndpointConnection(ctx context.Context, serviceID, endpointID string) error

	// The methods below take resources down for teardown. Each succeeds
	// when the resource is already gone, and returns a NotReady error while
	// something that still depends on it is being removed.

	// RejectEndpointConnection rejects a connection to the service, so that
	// the service can be deleted.
	RejectEndpointConnection(ctx context.Context, serviceID, endpointID string) error
	// DeleteEndpointService deletes the service. It returns NotReady while
	// the service has connections that are not rejected or deleted.
	DeleteEndpointService(ctx context.Context, serviceID string) error
	DeleteListener(ctx context.Context, listenerARN string) error
	// DeleteLoadBalancer deletes the load balancer and its listeners. It
	// returns NotReady while an endpoint service still uses it.
	DeleteLoadBalancer(ctx context.Context, arn string) error
	// DeleteTargetGroup deletes the target group. It returns NotReady while
	// a listener or a load balancer being deleted still uses it.
	DeleteTargetGroup(ctx context.Context, arn string) error
	// TerminateInstance terminates the instance.
	TerminateInstance(ctx context.Context, instanceID string) error
}
