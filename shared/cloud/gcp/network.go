package gcp

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/uuid"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/protobuf/proto"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

var _ cloud.GCPNetwork = (*Network)(nil)

// Network implements cloud.GCPNetwork for one project.
type Network struct {
	p       *Provider
	project string
}

// requestIDSpace is the UUID namespace of the requestId that an instance
// insert derives from its client token.
var requestIDSpace = uuid.MustParse("5d1e7c52-8a0f-4b8e-9f53-7a3f2e1c0b4d")

// --- instances ---

func instanceOf(in *computepb.Instance) *cloud.GCPInstance {
	out := &cloud.GCPInstance{
		Name:   in.GetName(),
		Path:   resourcePath(in.GetSelfLink()),
		Zone:   lastSegment(in.GetZone()),
		Status: in.GetStatus(),
		Tags:   parseTags(in.GetDescription()),
	}
	if nics := in.GetNetworkInterfaces(); len(nics) > 0 {
		out.NetworkIP = nics[0].GetNetworkIP()
		out.Network = resourcePath(nics[0].GetNetwork())
		out.Subnetwork = resourcePath(nics[0].GetSubnetwork())
	}
	out.NetworkTags = in.GetTags().GetItems()
	return out
}

// FindInstance returns the instance called name in zone.
func (n *Network) FindInstance(ctx context.Context, zone, name string) (*cloud.GCPInstance, error) {
	in, err := get(ctx, n, n.p.instances.Get, &computepb.GetInstanceRequest{Project: n.project, Zone: zone, Instance: name},
		"get instance %s in %s", name, zone)
	if err != nil || in == nil {
		return nil, err
	}
	return instanceOf(in), nil
}

// FindInstanceByIP lists the instances of zone and returns the one whose
// primary network interface has the internal address ip.
func (n *Network) FindInstanceByIP(ctx context.Context, zone, ip string) (*cloud.GCPInstance, error) {
	ctx, cancel := n.p.call(ctx)
	defer cancel()
	for in, err := range n.p.instances.List(ctx, &computepb.ListInstancesRequest{Project: n.project, Zone: zone}).All() {
		if err != nil {
			return nil, classify(err, n.project, "list instances in %s", zone)
		}
		if nics := in.GetNetworkInterfaces(); len(nics) > 0 && nics[0].GetNetworkIP() == ip {
			return instanceOf(in), nil
		}
	}
	return nil, nil
}

// CreateInstance inserts the VM with its startup script and waits for the
// operation. The client token becomes the requestId, so Compute Engine
// returns the first operation for a retried insert.
func (n *Network) CreateInstance(ctx context.Context, spec cloud.GCPInstanceSpec) (cloud.GCPInstance, error) {
	machineType := spec.MachineType
	if !strings.Contains(machineType, "/") {
		machineType = "zones/" + spec.Zone + "/machineTypes/" + machineType
	}
	region := regionOf(spec.Zone)
	resource := &computepb.Instance{
		Name:        proto.String(spec.Name),
		Description: proto.String(describeTags(spec.RequestID, spec.Tags)),
		MachineType: proto.String(machineType),
		Disks: []*computepb.AttachedDisk{{
			Boot:             proto.Bool(true),
			AutoDelete:       proto.Bool(true),
			InitializeParams: &computepb.AttachedDiskInitializeParams{SourceImage: proto.String(spec.Image), DiskSizeGb: proto.Int64(10)},
		}},
		NetworkInterfaces: []*computepb.NetworkInterface{{
			Network:    proto.String(ref(n.project, "global", "networks", spec.Network)),
			Subnetwork: proto.String(ref(n.project, "regions/"+region, "subnetworks", spec.Subnetwork)),
		}},
		Metadata: &computepb.Metadata{Items: []*computepb.Items{{Key: proto.String("startup-script"), Value: proto.String(spec.StartupScript)}}},
	}
	if len(spec.NetworkTags) > 0 {
		resource.Tags = &computepb.Tags{Items: spec.NetworkTags}
	}
	req := &computepb.InsertInstanceRequest{Project: n.project, Zone: spec.Zone, InstanceResource: resource}
	if spec.ClientToken == "" {
		if _, err := n.insertInstance(ctx, req); err != nil {
			return cloud.GCPInstance{}, err
		}
		return found(n.FindInstance(ctx, spec.Zone, spec.Name))
	}

	// For a repeated requestId, Compute Engine returns the first operation
	// and inserts nothing, also when the instance that the operation
	// inserted has been deleted since, such as by a teardown before a
	// redrive. A deleted instance never comes back, so the insert is sent
	// again with a requestId derived from the deleted instance's ID. A
	// retried step derives the same requestIds and finds the same new
	// instance.
	requestID := n.project + "/" + spec.ClientToken
	var deletedIDs []string
	for range maxInstanceInserts {
		req.RequestId = proto.String(uuid.NewSHA1(requestIDSpace, []byte(requestID)).String())
		targetID, err := n.insertInstance(ctx, req)
		if err != nil && len(deletedIDs) > 0 && httpCode(err) == http.StatusConflict {
			// The name is taken, so the first insert's instance exists
			// after all and is not visible yet.
			return cloud.GCPInstance{}, workflow.NotReady("gcp: instance %s is not visible yet", spec.Name)
		}
		if err != nil {
			return cloud.GCPInstance{}, err
		}
		inst, err := n.FindInstance(ctx, spec.Zone, spec.Name)
		if err != nil || inst != nil || targetID == 0 {
			return found(inst, err)
		}
		deletedIDs = append(deletedIDs, strconv.FormatUint(targetID, 10))
		requestID += "/" + deletedIDs[len(deletedIDs)-1]
	}
	return cloud.GCPInstance{}, workflow.Errorf(workflow.ErrConflict,
		"gcp: every instance that %d inserts of %s in project %s created is deleted (IDs %s); find what deletes them, then redrive",
		maxInstanceInserts, spec.Name, n.project, strings.Join(deletedIDs, ", "))
}

// maxInstanceInserts bounds how many inserts CreateInstance sends when each
// instance that a requestId inserted has been deleted.
const maxInstanceInserts = 5

// insertInstance sends the insert, waits for its operation and returns the
// ID of the instance that the operation inserted, or 0 when it names none.
func (n *Network) insertInstance(ctx context.Context, req *computepb.InsertInstanceRequest) (uint64, error) {
	var op *compute.Operation
	err := n.insert(ctx, "insert instance "+req.GetInstanceResource().GetName(), func(ctx context.Context) (*compute.Operation, error) {
		var err error
		op, err = n.p.instances.Insert(ctx, req)
		return op, err
	})
	if isNotFound(err) {
		// Compute Engine rejects an insert that names a missing image,
		// network or subnetwork with 404, and retrying cannot create it.
		return 0, &stepError{named: &workflow.Error{Name: workflow.ErrInvalidRequest,
			Message: fmt.Sprintf("gcp: insert instance %s in project %s: %s: the instance names a resource that does not exist; "+
				"check $.gcp.image, $.gcp.machine_type, $.gcp.network and $.gcp.subnet", req.GetInstanceResource().GetName(), n.project, describe(err))},
			cause: err}
	}
	if named := invalidInstanceField(err, req.GetInstanceResource().GetName(), n.project, req.GetZone()); named != nil {
		return 0, named
	}
	if err != nil {
		return 0, err
	}
	return op.Proto().GetTargetId(), nil
}

// regionOf returns the region of a zone such as us-central1-a.
func regionOf(zone string) string {
	if i := strings.LastIndex(zone, "-"); i > 0 {
		return zone[:i]
	}
	return zone
}

// --- instance groups ---

// FindInstanceGroup returns the unmanaged instance group with its members.
func (n *Network) FindInstanceGroup(ctx context.Context, zone, name string) (*cloud.GCPInstanceGroup, error) {
	ctx, cancel := n.p.call(ctx)
	defer cancel()
	group, err := get(ctx, n, n.p.instanceGroups.Get, &computepb.GetInstanceGroupRequest{Project: n.project, Zone: zone, InstanceGroup: name},
		"get instance group %s in %s", name, zone)
	if err != nil || group == nil {
		return nil, err
	}
	out := &cloud.GCPInstanceGroup{
		Name:    group.GetName(),
		Path:    resourcePath(group.GetSelfLink()),
		Zone:    lastSegment(group.GetZone()),
		Network: resourcePath(group.GetNetwork()),
		Tags:    parseTags(group.GetDescription()),
	}
	members := n.p.instanceGroups.ListInstances(ctx, &computepb.ListInstancesInstanceGroupsRequest{
		Project: n.project, Zone: zone, InstanceGroup: name,
		InstanceGroupsListInstancesRequestResource: &computepb.InstanceGroupsListInstancesRequest{InstanceState: proto.String("ALL")},
	})
	for member, err := range members.All() {
		if err != nil {
			return nil, classify(err, n.project, "list instances of group %s in %s", name, zone)
		}
		out.Instances = append(out.Instances, resourcePath(member.GetInstance()))
	}
	return out, nil
}

// CreateInstanceGroup inserts an empty unmanaged instance group.
func (n *Network) CreateInstanceGroup(ctx context.Context, spec cloud.GCPInstanceGroupSpec) (cloud.GCPInstanceGroup, error) {
	req := &computepb.InsertInstanceGroupRequest{Project: n.project, Zone: spec.Zone, InstanceGroupResource: &computepb.InstanceGroup{
		Name:        proto.String(spec.Name),
		Description: proto.String(describeTags(spec.RequestID, spec.Tags)),
		Network:     proto.String(ref(n.project, "global", "networks", spec.Network)),
	}}
	if err := apply(ctx, n, n.p.instanceGroups.Insert, req, "insert instance group "+spec.Name); err != nil {
		return cloud.GCPInstanceGroup{}, err
	}
	return found(n.FindInstanceGroup(ctx, spec.Zone, spec.Name))
}

// AddInstanceToGroup adds the instance unless it is a member already.
func (n *Network) AddInstanceToGroup(ctx context.Context, zone, group, instance string) error {
	current, err := n.FindInstanceGroup(ctx, zone, group)
	if err != nil {
		return err
	}
	path := ref(n.project, "zones/"+zone, "instances", instance)
	if current != nil && slices.Contains(current.Instances, path) {
		return nil
	}
	req := &computepb.AddInstancesInstanceGroupRequest{Project: n.project, Zone: zone, InstanceGroup: group,
		InstanceGroupsAddInstancesRequestResource: &computepb.InstanceGroupsAddInstancesRequest{
			Instances: []*computepb.InstanceReference{{Instance: proto.String(path)}},
		}}
	err = apply(ctx, n, n.p.instanceGroups.AddInstances, req, "add "+instance+" to instance group "+group)
	if err != nil && reasonOf(err) == "memberAlreadyExists" {
		return nil
	}
	return err
}

// --- health checks ---

// FindHealthCheck returns the regional health check called name.
func (n *Network) FindHealthCheck(ctx context.Context, region, name string) (*cloud.GCPHealthCheck, error) {
	hc, err := get(ctx, n, n.p.healthChecks.Get, &computepb.GetRegionHealthCheckRequest{Project: n.project, Region: region, HealthCheck: name},
		"get health check %s in %s", name, region)
	if err != nil || hc == nil {
		return nil, err
	}
	out := &cloud.GCPHealthCheck{
		Name:   hc.GetName(),
		Path:   resourcePath(hc.GetSelfLink()),
		Region: lastSegment(hc.GetRegion()),
		Type:   hc.GetType(),
		Tags:   parseTags(hc.GetDescription()),
	}
	switch hc.GetType() {
	case "TCP":
		out.Port = int(hc.GetTcpHealthCheck().GetPort())
	case "HTTP":
		out.Port = int(hc.GetHttpHealthCheck().GetPort())
	case "HTTPS":
		out.Port = int(hc.GetHttpsHealthCheck().GetPort())
	case "SSL":
		out.Port = int(hc.GetSslHealthCheck().GetPort())
	}
	return out, nil
}

// CreateHealthCheck inserts a TCP health check on spec.Port: every 5
// seconds, healthy after 2 successes.
func (n *Network) CreateHealthCheck(ctx context.Context, spec cloud.GCPHealthCheckSpec) (cloud.GCPHealthCheck, error) {
	req := &computepb.InsertRegionHealthCheckRequest{Project: n.project, Region: spec.Region, HealthCheckResource: &computepb.HealthCheck{
		Name:               proto.String(spec.Name),
		Description:        proto.String(describeTags(spec.RequestID, spec.Tags)),
		Type:               proto.String("TCP"),
		TcpHealthCheck:     &computepb.TCPHealthCheck{Port: proto.Int32(int32(spec.Port))},
		CheckIntervalSec:   proto.Int32(5),
		TimeoutSec:         proto.Int32(5),
		HealthyThreshold:   proto.Int32(2),
		UnhealthyThreshold: proto.Int32(2),
	}}
	if err := apply(ctx, n, n.p.healthChecks.Insert, req, "insert health check "+spec.Name); err != nil {
		return cloud.GCPHealthCheck{}, err
	}
	return found(n.FindHealthCheck(ctx, spec.Region, spec.Name))
}

// --- firewall rules ---

func firewallOf(fw *computepb.Firewall) *cloud.GCPFirewallRule {
	out := &cloud.GCPFirewallRule{
		Name:         fw.GetName(),
		Path:         resourcePath(fw.GetSelfLink()),
		Network:      resourcePath(fw.GetNetwork()),
		Direction:    fw.GetDirection(),
		Disabled:     fw.GetDisabled(),
		SourceRanges: fw.GetSourceRanges(),
		TargetTags:   fw.GetTargetTags(),
		Tags:         parseTags(fw.GetDescription()),
	}
	for _, a := range fw.GetAllowed() {
		switch strings.ToLower(a.GetIPProtocol()) {
		case "tcp":
			if len(a.GetPorts()) == 0 {
				out.TCPPorts = append(out.TCPPorts, "0-65535")
			}
			out.TCPPorts = append(out.TCPPorts, a.GetPorts()...)
		case "all":
			out.TCPPorts = append(out.TCPPorts, "0-65535")
		}
	}
	return out
}

// FindFirewallRule returns the VPC firewall rule called name.
func (n *Network) FindFirewallRule(ctx context.Context, name string) (*cloud.GCPFirewallRule, error) {
	fw, err := get(ctx, n, n.p.firewalls.Get, &computepb.GetFirewallRequest{Project: n.project, Firewall: name},
		"get firewall rule %s", name)
	if err != nil || fw == nil {
		return nil, err
	}
	return firewallOf(fw), nil
}

// ListFirewallRules returns the VPC firewall rules of the project.
func (n *Network) ListFirewallRules(ctx context.Context) ([]cloud.GCPFirewallRule, error) {
	ctx, cancel := n.p.call(ctx)
	defer cancel()
	var out []cloud.GCPFirewallRule
	for fw, err := range n.p.firewalls.List(ctx, &computepb.ListFirewallsRequest{Project: n.project}).All() {
		if err != nil {
			return nil, classify(err, n.project, "list firewall rules")
		}
		out = append(out, *firewallOf(fw))
	}
	return out, nil
}

func (n *Network) firewallResource(spec cloud.GCPFirewallRuleSpec) *computepb.Firewall {
	return &computepb.Firewall{
		Name:         proto.String(spec.Name),
		Description:  proto.String(describeTags(spec.RequestID, spec.Tags)),
		Network:      proto.String(ref(n.project, "global", "networks", spec.Network)),
		Direction:    proto.String("INGRESS"),
		Priority:     proto.Int32(1000),
		Allowed:      []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: spec.TCPPorts}},
		SourceRanges: spec.SourceRanges,
		TargetTags:   spec.TargetTags,
	}
}

// CreateFirewallRule inserts an ingress rule.
func (n *Network) CreateFirewallRule(ctx context.Context, spec cloud.GCPFirewallRuleSpec) (cloud.GCPFirewallRule, error) {
	req := &computepb.InsertFirewallRequest{Project: n.project, FirewallResource: n.firewallResource(spec)}
	if err := apply(ctx, n, n.p.firewalls.Insert, req, "insert firewall rule "+spec.Name); err != nil {
		return cloud.GCPFirewallRule{}, err
	}
	return found(n.FindFirewallRule(ctx, spec.Name))
}

// UpdateFirewallRule replaces the rule with spec through firewalls.update,
// because a patch cannot clear a list such as the target tags.
func (n *Network) UpdateFirewallRule(ctx context.Context, spec cloud.GCPFirewallRuleSpec) error {
	req := &computepb.UpdateFirewallRequest{Project: n.project, Firewall: spec.Name, FirewallResource: n.firewallResource(spec)}
	return apply(ctx, n, n.p.firewalls.Update, req, "update firewall rule "+spec.Name)
}

// --- backend services ---

// FindBackendService returns the regional backend service called name.
func (n *Network) FindBackendService(ctx context.Context, region, name string) (*cloud.GCPBackendService, error) {
	bs, err := get(ctx, n, n.p.backendServices.Get, &computepb.GetRegionBackendServiceRequest{Project: n.project, Region: region, BackendService: name},
		"get backend service %s in %s", name, region)
	if err != nil || bs == nil {
		return nil, err
	}
	out := &cloud.GCPBackendService{
		Name:                bs.GetName(),
		Path:                resourcePath(bs.GetSelfLink()),
		Region:              lastSegment(bs.GetRegion()),
		LoadBalancingScheme: bs.GetLoadBalancingScheme(),
		Protocol:            bs.GetProtocol(),
		HealthChecks:        resourcePaths(bs.GetHealthChecks()),
		Tags:                parseTags(bs.GetDescription()),
	}
	for _, b := range bs.GetBackends() {
		out.Groups = append(out.Groups, resourcePath(b.GetGroup()))
	}
	return out, nil
}

// CreateBackendService inserts an internal TCP backend service with one
// instance group backend in CONNECTION balancing mode.
func (n *Network) CreateBackendService(ctx context.Context, spec cloud.GCPBackendServiceSpec) (cloud.GCPBackendService, error) {
	req := &computepb.InsertRegionBackendServiceRequest{Project: n.project, Region: spec.Region, BackendServiceResource: &computepb.BackendService{
		Name:                proto.String(spec.Name),
		Description:         proto.String(describeTags(spec.RequestID, spec.Tags)),
		LoadBalancingScheme: proto.String(cloud.GCPSchemeInternal),
		Protocol:            proto.String("TCP"),
		Network:             proto.String(ref(n.project, "global", "networks", spec.Network)),
		HealthChecks:        []string{resourcePath(spec.HealthCheck)},
		Backends:            []*computepb.Backend{{Group: proto.String(resourcePath(spec.Group)), BalancingMode: proto.String("CONNECTION")}},
	}}
	if err := apply(ctx, n, n.p.backendServices.Insert, req, "insert backend service "+spec.Name); err != nil {
		return cloud.GCPBackendService{}, err
	}
	return found(n.FindBackendService(ctx, spec.Region, spec.Name))
}

// BackendHealth reads the health of the group's instances behind the
// backend service.
func (n *Network) BackendHealth(ctx context.Context, region, backendService, group string) ([]cloud.GCPBackendHealth, error) {
	ctx, cancel := n.p.call(ctx)
	defer cancel()
	health, err := n.p.backendServices.GetHealth(ctx, &computepb.GetHealthRegionBackendServiceRequest{
		Project: n.project, Region: region, BackendService: lastSegment(backendService),
		ResourceGroupReferenceResource: &computepb.ResourceGroupReference{Group: proto.String(resourcePath(group))},
	})
	if err != nil {
		return nil, classify(err, n.project, "read backend health of %s", backendService)
	}
	out := make([]cloud.GCPBackendHealth, 0, len(health.GetHealthStatus()))
	for _, st := range health.GetHealthStatus() {
		out = append(out, cloud.GCPBackendHealth{Instance: resourcePath(st.GetInstance()), IPAddress: st.GetIpAddress(), State: st.GetHealthState()})
	}
	return out, nil
}

// --- forwarding rules ---

// FindForwardingRule returns the regional forwarding rule called name.
func (n *Network) FindForwardingRule(ctx context.Context, region, name string) (*cloud.GCPForwardingRule, error) {
	fr, err := get(ctx, n, n.p.forwardingRules.Get, &computepb.GetForwardingRuleRequest{Project: n.project, Region: region, ForwardingRule: name},
		"get forwarding rule %s in %s", name, region)
	if err != nil || fr == nil {
		return nil, err
	}
	return &cloud.GCPForwardingRule{
		Name:                fr.GetName(),
		Path:                resourcePath(fr.GetSelfLink()),
		Region:              lastSegment(fr.GetRegion()),
		IPAddress:           fr.GetIPAddress(),
		IPProtocol:          fr.GetIPProtocol(),
		LoadBalancingScheme: fr.GetLoadBalancingScheme(),
		Ports:               fr.GetPorts(),
		AllPorts:            fr.GetAllPorts(),
		BackendService:      resourcePath(fr.GetBackendService()),
		Network:             resourcePath(fr.GetNetwork()),
		Subnetwork:          resourcePath(fr.GetSubnetwork()),
		Tags:                parseTags(fr.GetDescription()),
	}, nil
}

// CreateForwardingRule inserts an internal TCP forwarding rule on one port.
func (n *Network) CreateForwardingRule(ctx context.Context, spec cloud.GCPForwardingRuleSpec) (cloud.GCPForwardingRule, error) {
	req := &computepb.InsertForwardingRuleRequest{Project: n.project, Region: spec.Region, ForwardingRuleResource: &computepb.ForwardingRule{
		Name:                proto.String(spec.Name),
		Description:         proto.String(describeTags(spec.RequestID, spec.Tags)),
		IPProtocol:          proto.String("TCP"),
		LoadBalancingScheme: proto.String(cloud.GCPSchemeInternal),
		Ports:               []string{strconv.Itoa(spec.Port)},
		BackendService:      proto.String(resourcePath(spec.BackendService)),
		Network:             proto.String(ref(n.project, "global", "networks", spec.Network)),
		Subnetwork:          proto.String(ref(n.project, "regions/"+spec.Region, "subnetworks", spec.Subnetwork)),
	}}
	if err := apply(ctx, n, n.p.forwardingRules.Insert, req, "insert forwarding rule "+spec.Name); err != nil {
		return cloud.GCPForwardingRule{}, err
	}
	return found(n.FindForwardingRule(ctx, spec.Region, spec.Name))
}

// --- subnetworks ---

// FindSubnetwork returns the subnet called name in region.
func (n *Network) FindSubnetwork(ctx context.Context, region, name string) (*cloud.GCPSubnetwork, error) {
	sub, err := get(ctx, n, n.p.subnetworks.Get, &computepb.GetSubnetworkRequest{Project: n.project, Region: region, Subnetwork: name},
		"get subnetwork %s in %s", name, region)
	if err != nil || sub == nil {
		return nil, err
	}
	return &cloud.GCPSubnetwork{
		Name:        sub.GetName(),
		Path:        resourcePath(sub.GetSelfLink()),
		Region:      lastSegment(sub.GetRegion()),
		Network:     resourcePath(sub.GetNetwork()),
		IPCIDRRange: sub.GetIpCidrRange(),
		Purpose:     sub.GetPurpose(),
		Tags:        parseTags(sub.GetDescription()),
	}, nil
}

// CreateSubnetwork inserts a subnet.
func (n *Network) CreateSubnetwork(ctx context.Context, spec cloud.GCPSubnetworkSpec) (cloud.GCPSubnetwork, error) {
	req := &computepb.InsertSubnetworkRequest{Project: n.project, Region: spec.Region, SubnetworkResource: &computepb.Subnetwork{
		Name:        proto.String(spec.Name),
		Description: proto.String(describeTags(spec.RequestID, spec.Tags)),
		Network:     proto.String(ref(n.project, "global", "networks", spec.Network)),
		IpCidrRange: proto.String(spec.IPCIDRRange),
		Purpose:     proto.String(spec.Purpose),
	}}
	if err := apply(ctx, n, n.p.subnetworks.Insert, req, "insert subnetwork "+spec.Name); err != nil {
		return cloud.GCPSubnetwork{}, err
	}
	return found(n.FindSubnetwork(ctx, spec.Region, spec.Name))
}

// --- service attachments ---

func acceptListOf(e *computepb.ServiceAttachmentConsumerProjectLimit) cloud.GCPConsumerAcceptList {
	return cloud.GCPConsumerAcceptList{
		ProjectIDOrNum:  e.GetProjectIdOrNum(),
		NetworkURL:      resourcePath(e.GetNetworkUrl()),
		EndpointURL:     resourcePath(e.GetEndpointUrl()),
		ConnectionLimit: int(e.GetConnectionLimit()),
	}
}

func acceptListProto(e cloud.GCPConsumerAcceptList) *computepb.ServiceAttachmentConsumerProjectLimit {
	out := &computepb.ServiceAttachmentConsumerProjectLimit{ConnectionLimit: proto.Uint32(uint32(e.ConnectionLimit))}
	switch {
	case e.ProjectIDOrNum != "":
		out.ProjectIdOrNum = proto.String(e.ProjectIDOrNum)
	case e.NetworkURL != "":
		out.NetworkUrl = proto.String(resourcePath(e.NetworkURL))
	default:
		out.EndpointUrl = proto.String(resourcePath(e.EndpointURL))
	}
	return out
}

// getAttachment returns the attachment proto, or nil when it does not
// exist.
func (n *Network) getAttachment(ctx context.Context, region, name string) (*computepb.ServiceAttachment, error) {
	return get(ctx, n, n.p.serviceAttachments.Get, &computepb.GetServiceAttachmentRequest{Project: n.project, Region: region, ServiceAttachment: name},
		"get service attachment %s in %s", name, region)
}

// FindServiceAttachment returns the attachment with its accept list and
// connected endpoints.
func (n *Network) FindServiceAttachment(ctx context.Context, region, name string) (*cloud.GCPServiceAttachment, error) {
	sa, err := n.getAttachment(ctx, region, name)
	if err != nil || sa == nil {
		return nil, err
	}
	out := &cloud.GCPServiceAttachment{
		Name:                 sa.GetName(),
		Path:                 resourcePath(sa.GetSelfLink()),
		Region:               lastSegment(sa.GetRegion()),
		ConnectionPreference: sa.GetConnectionPreference(),
		TargetService:        resourcePath(sa.GetTargetService()),
		NATSubnets:           resourcePaths(sa.GetNatSubnets()),
		EnableProxyProtocol:  sa.GetEnableProxyProtocol(),
		Tags:                 parseTags(sa.GetDescription()),
	}
	for _, e := range sa.GetConsumerAcceptLists() {
		out.ConsumerAcceptLists = append(out.ConsumerAcceptLists, acceptListOf(e))
	}
	for _, ep := range sa.GetConnectedEndpoints() {
		out.ConnectedEndpoints = append(out.ConnectedEndpoints, cloud.GCPConnectedEndpoint{
			Endpoint:        resourcePath(ep.GetEndpoint()),
			ConsumerNetwork: resourcePath(ep.GetConsumerNetwork()),
			PSCConnectionID: ep.GetPscConnectionId(),
			Status:          ep.GetStatus(),
		})
	}
	return out, nil
}

// ListServiceAttachments returns the attachments in region.
func (n *Network) ListServiceAttachments(ctx context.Context, region string) ([]cloud.GCPServiceAttachment, error) {
	ctx, cancel := n.p.call(ctx)
	defer cancel()
	var out []cloud.GCPServiceAttachment
	for sa, err := range n.p.serviceAttachments.List(ctx, &computepb.ListServiceAttachmentsRequest{Project: n.project, Region: region}).All() {
		if err != nil {
			return nil, classify(err, n.project, "list service attachments in %s", region)
		}
		out = append(out, cloud.GCPServiceAttachment{
			Name:                 sa.GetName(),
			Path:                 resourcePath(sa.GetSelfLink()),
			Region:               lastSegment(sa.GetRegion()),
			ConnectionPreference: sa.GetConnectionPreference(),
			TargetService:        resourcePath(sa.GetTargetService()),
			NATSubnets:           resourcePaths(sa.GetNatSubnets()),
			EnableProxyProtocol:  sa.GetEnableProxyProtocol(),
			Tags:                 parseTags(sa.GetDescription()),
		})
	}
	return out, nil
}

// CreateServiceAttachment inserts an attachment with ACCEPT_MANUAL and
// PROXY protocol off, so that the proxy receives the raw TLS ClientHello.
func (n *Network) CreateServiceAttachment(ctx context.Context, spec cloud.GCPServiceAttachmentSpec) (cloud.GCPServiceAttachment, error) {
	resource := &computepb.ServiceAttachment{
		Name:                 proto.String(spec.Name),
		Description:          proto.String(describeTags(spec.RequestID, spec.Tags)),
		ConnectionPreference: proto.String(cloud.GCPConnectionAcceptManual),
		TargetService:        proto.String(resourcePath(spec.TargetService)),
		NatSubnets:           resourcePaths(spec.NATSubnets),
		EnableProxyProtocol:  proto.Bool(false),
	}
	for _, e := range spec.ConsumerAcceptLists {
		resource.ConsumerAcceptLists = append(resource.ConsumerAcceptLists, acceptListProto(e))
	}
	req := &computepb.InsertServiceAttachmentRequest{Project: n.project, Region: spec.Region, ServiceAttachmentResource: resource}
	if err := apply(ctx, n, n.p.serviceAttachments.Insert, req, "insert service attachment "+spec.Name); err != nil {
		return cloud.GCPServiceAttachment{}, err
	}
	return found(n.FindServiceAttachment(ctx, spec.Region, spec.Name))
}

// AddConsumerAcceptList reads the attachment, and unless an equal entry is
// there, patches the accept list with the entry appended and the
// fingerprint of the read, so that a concurrent change fails the patch
// instead of being lost.
func (n *Network) AddConsumerAcceptList(ctx context.Context, region, name string, entry cloud.GCPConsumerAcceptList) error {
	sa, err := n.getAttachment(ctx, region, name)
	if err != nil {
		return err
	}
	if sa == nil {
		return workflow.NotReady("gcp: service attachment %s in project %s is not visible yet", name, n.project)
	}
	want := acceptListOf(acceptListProto(entry))
	lists := sa.GetConsumerAcceptLists()
	for _, e := range lists {
		if acceptListOf(e) == want {
			return nil
		}
	}
	req := &computepb.PatchServiceAttachmentRequest{Project: n.project, Region: region, ServiceAttachment: name,
		ServiceAttachmentResource: &computepb.ServiceAttachment{
			ConsumerAcceptLists: append(slices.Clone(lists), acceptListProto(entry)),
			Fingerprint:         proto.String(sa.GetFingerprint()),
		}}
	return apply(ctx, n, n.p.serviceAttachments.Patch, req, "patch the accept list of service attachment "+name)
}

// insert sends one insert, patch or update call and waits for its
// operation.
func (n *Network) insert(ctx context.Context, what string, send func(context.Context) (*compute.Operation, error)) error {
	callCtx, cancel := n.p.call(ctx)
	op, err := send(callCtx)
	cancel()
	if err != nil {
		return classify(err, n.project, "%s", what)
	}
	if err := n.p.wait(ctx, op); err != nil {
		return classify(err, n.project, "wait for %s", what)
	}
	return nil
}

// get sends one get request through call. It returns nil and no error when
// the resource does not exist.
func get[Req, T any](ctx context.Context, n *Network, call func(context.Context, Req, ...gax.CallOption) (*T, error),
	req Req, format string, args ...any) (*T, error) {
	ctx, cancel := n.p.call(ctx)
	defer cancel()
	v, err := call(ctx, req)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, n.project, format, args...)
	}
	return v, nil
}

// apply sends one insert, patch or update request through call and waits
// for its operation.
func apply[Req any](ctx context.Context, n *Network, call func(context.Context, Req, ...gax.CallOption) (*compute.Operation, error),
	req Req, what string) error {
	return n.insert(ctx, what, func(ctx context.Context) (*compute.Operation, error) {
		return call(ctx, req)
	})
}

// found returns what a lookup right after a create found, or NotReady when
// the new resource is not visible yet.
func found[T any](v *T, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if v == nil {
		return zero, workflow.NotReady("gcp: a resource created a moment ago is not visible yet")
	}
	return *v, nil
}
