package awssim

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxUserDataBytes is EC2's limit on user data before base64 encoding.
const maxUserDataBytes = 16 * 1024

// principalPattern matches the IAM principals that an endpoint service can
// allow: an account root, a role or a user.
var principalPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$`)

func (s *Server) ec2Action(ctx context.Context, action string, form url.Values) (any, error) {
	switch action {
	case "RunInstances":
		return s.runInstances(ctx, form)
	case "DescribeInstances":
		return s.describeInstances(form)
	case "TerminateInstances":
		return s.terminateInstances(form)
	case "CreateVpcEndpointServiceConfiguration":
		return s.createEndpointService(s.callRegion(ctx), form)
	case "DescribeVpcEndpointServiceConfigurations":
		return s.describeEndpointServices(form)
	case "DeleteVpcEndpointServiceConfigurations":
		return s.deleteEndpointServices(form)
	case "ModifyVpcEndpointServicePermissions":
		return s.modifyPermissions(form)
	case "DescribeVpcEndpointServicePermissions":
		return s.describePermissions(form)
	case "DescribeVpcEndpointConnections":
		return s.describeConnections(form)
	case "AcceptVpcEndpointConnections":
		return s.decideConnections(form, true)
	case "RejectVpcEndpointConnections":
		return s.decideConnections(form, false)
	case "AuthorizeSecurityGroupIngress":
		return s.authorizeIngress(s.callRegion(ctx), form)
	case "RevokeSecurityGroupIngress":
		return s.revokeIngress(s.callRegion(ctx), form)
	case "UpdateSecurityGroupRuleDescriptionsIngress":
		return s.updateIngressDescriptions(s.callRegion(ctx), form)
	case "DescribeSecurityGroupRules":
		return s.describeSecurityGroupRules(s.callRegion(ctx), form)
	case "DescribeAvailabilityZones":
		return s.describeAvailabilityZones(s.callRegion(ctx), form)
	case "DescribeSubnets":
		return s.describeSubnets(s.callRegion(ctx), form)
	case "DescribeImages":
		return describeImages(form)
	case "DescribeInstanceTypes":
		return describeInstanceTypes(form)
	case "DescribeVpcs":
		return describeVpcs(form)
	case "DescribeSecurityGroups":
		return s.describeSecurityGroups(s.callRegion(ctx), form)
	case "CreateTags":
		return s.changeRuleTags(s.callRegion(ctx), form, true)
	case "DeleteTags":
		return s.changeRuleTags(s.callRegion(ctx), form, false)
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", action)
}

type instanceStateXML struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type groupItem struct {
	GroupID string `xml:"groupId"`
}

type instanceXML struct {
	InstanceID       string           `xml:"instanceId"`
	ImageID          string           `xml:"imageId"`
	State            instanceStateXML `xml:"instanceState"`
	PrivateIP        string           `xml:"privateIpAddress"`
	SubnetID         string           `xml:"subnetId"`
	InstanceType     string           `xml:"instanceType"`
	LaunchTime       string           `xml:"launchTime"`
	ClientToken      string           `xml:"clientToken,omitempty"`
	Groups           []groupItem      `xml:"groupSet>item"`
	Tags             []tagItem        `xml:"tagSet>item"`
	MetadataTokens   string           `xml:"metadataOptions>httpTokens,omitempty"`
	AvailabilityZone string           `xml:"placement>availabilityZone"`
}

type reservationXML struct {
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []instanceXML `xml:"instancesSet>item"`
}

func (s *Server) instanceXML(inst *Instance, now time.Time) instanceXML {
	state := s.instanceState(inst, now)
	out := instanceXML{
		InstanceID:       inst.ID,
		ImageID:          inst.ImageID,
		State:            instanceStateXML{Code: instanceStateCode(state), Name: state},
		PrivateIP:        inst.PrivateIP,
		SubnetID:         inst.SubnetID,
		InstanceType:     inst.InstanceType,
		LaunchTime:       inst.LaunchedAt.Format(time.RFC3339),
		ClientToken:      inst.ClientToken,
		Tags:             ec2TagSet(inst.Tags),
		MetadataTokens:   inst.HTTPTokens,
		AvailabilityZone: s.world.SubnetZones[inst.SubnetID],
	}
	for _, id := range inst.SecurityGroupIDs {
		out.Groups = append(out.Groups, groupItem{GroupID: id})
	}
	return out
}

func (s *Server) reservationXML(inst *Instance, now time.Time) reservationXML {
	return reservationXML{
		ReservationID: "r-" + strings.TrimPrefix(inst.ID, "i-"),
		OwnerID:       s.opts.AccountID,
		Instances:     []instanceXML{s.instanceXML(inst, now)},
	}
}

func (s *Server) runInstances(ctx context.Context, form url.Values) (any, error) {
	imageID := form.Get("ImageId")
	switch {
	case imageID == "":
		return nil, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter ImageId")
	case !strings.HasPrefix(imageID, "ami-") && !strings.HasPrefix(imageID, "resolve:ssm:"):
		return nil, errorf(http.StatusBadRequest, "InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", imageID)
	}
	if form.Get("MinCount") != "1" || form.Get("MaxCount") != "1" {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterValue",
			"the sandbox launches exactly one instance per call: set MinCount and MaxCount to 1")
	}
	userData, err := base64.StdEncoding.DecodeString(form.Get("UserData"))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "Invalid BASE64 encoding of user data.")
	}
	if len(userData) > maxUserDataBytes {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "User data is limited to %d bytes", maxUserDataBytes)
	}
	subnetID := form.Get("SubnetId")
	if subnetID == "" {
		return nil, errorf(http.StatusBadRequest, "MissingParameter", "the sandbox has no default VPC: set SubnetId")
	}

	s.mu.Lock()
	now := s.now()
	token := form.Get("ClientToken")
	for _, inst := range s.world.Instances {
		if token != "" && inst.ClientToken == token {
			out := s.reservationXML(inst, now)
			s.mu.Unlock()
			return out, nil
		}
	}
	if err := s.checkLaunch(s.callRegion(ctx), imageID, form.Get("InstanceType"), subnetID, list(form, "SecurityGroupId")); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	inst := &Instance{
		ID:               "i-" + randomHex(17),
		ImageID:          imageID,
		InstanceType:     form.Get("InstanceType"),
		SubnetID:         subnetID,
		SecurityGroupIDs: list(form, "SecurityGroupId"),
		UserData:         string(userData),
		HTTPTokens:       form.Get("MetadataOptions.HttpTokens"),
		ClientToken:      token,
		Tags:             ec2Tags(form, "instance"),
		LaunchedAt:       now,
	}
	if inst.InstanceType == "" {
		inst.InstanceType = "m1.small"
	}
	zone, ok := s.subnetZone(s.callRegion(ctx), subnetID)
	if !ok {
		s.mu.Unlock()
		return nil, subnetNotFound(subnetID)
	}
	inst.PrivateIP = fmt.Sprintf("10.0.%d.%d", int(zone[len(zone)-1]-'a'), 10+len(s.world.Instances)%240)
	s.world.Instances[inst.ID] = inst
	if err := s.commit(); err != nil {
		delete(s.world.Instances, inst.ID)
		s.mu.Unlock()
		return nil, err
	}
	out := s.reservationXML(inst, now)
	s.mu.Unlock()

	// As on EC2, an accepted RunInstances boots the instance even when the
	// client disconnects before the response. A retry with the same client
	// token finds the instance and does not launch it again, so a launch
	// ended with the request would leave a running instance that never
	// passes a health check. The launcher bounds the start itself.
	s.launch(context.WithoutCancel(ctx), inst.ID, inst.UserData)
	return out, nil
}

func (s *Server) describeInstances(form url.Values) (any, error) {
	ids := list(form, "InstanceId")
	filters := ec2Filters(form)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	items, next, err := describeByID(s, form, s.world.Instances, ids, now, instanceNotFound, func(inst *Instance) bool {
		return s.instanceMatches(inst, filters, now)
	})
	if err != nil {
		return nil, err
	}

	out := struct {
		Reservations []reservationXML `xml:"reservationSet>item"`
		NextToken    string           `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, inst := range items {
		out.Reservations = append(out.Reservations, s.reservationXML(inst, now))
	}
	return out, nil
}

func (s *Server) instanceMatches(inst *Instance, filters []ec2Filter, now time.Time) bool {
	// EC2 rejects unknown filter names, and the sandbox lists no instance
	// for them.
	return matchFilters(filters, withTags(inst.Tags, func(name string) ([]string, bool) {
		switch name {
		case "instance-state-name":
			return one(s.instanceState(inst, now))
		case "instance-id":
			return one(inst.ID)
		case "subnet-id":
			return one(inst.SubnetID)
		case "client-token":
			return one(inst.ClientToken)
		}
		return nil, false
	}), false)
}

func (s *Server) terminateInstances(form url.Values) (any, error) {
	ids := list(form, "InstanceId")
	if len(ids) == 0 {
		return nil, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter InstanceId")
	}

	type change struct {
		InstanceID string           `xml:"instanceId"`
		Current    instanceStateXML `xml:"currentState"`
		Previous   instanceStateXML `xml:"previousState"`
	}
	var out struct {
		Changes []change `xml:"instancesSet>item"`
	}

	s.mu.Lock()
	now := s.now()
	for _, id := range ids {
		if _, ok := s.world.Instances[id]; !ok {
			s.mu.Unlock()
			return nil, instanceNotFound(id)
		}
	}
	for _, id := range ids {
		inst := s.world.Instances[id]
		previous := s.instanceState(inst, now)
		if inst.TerminatedAt == nil {
			at := now
			inst.TerminatedAt = &at
		}
		out.Changes = append(out.Changes, change{
			InstanceID: id,
			Current:    instanceStateXML{Code: instanceStateCode("terminated"), Name: "terminated"},
			Previous:   instanceStateXML{Code: instanceStateCode(previous), Name: previous},
		})
	}
	err := s.commit()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}

	for _, id := range ids {
		s.removeVM(id)
	}
	return out, nil
}

type serviceTypeXML struct {
	ServiceType string `xml:"serviceType"`
}

type serviceConfigXML struct {
	ServiceType          []serviceTypeXML `xml:"serviceType>item"`
	ServiceID            string           `xml:"serviceId"`
	ServiceName          string           `xml:"serviceName"`
	ServiceState         string           `xml:"serviceState"`
	AvailabilityZones    []string         `xml:"availabilityZoneSet>item"`
	AcceptanceRequired   bool             `xml:"acceptanceRequired"`
	ManagesVpcEndpoints  bool             `xml:"managesVpcEndpoints"`
	LoadBalancerARNs     []string         `xml:"networkLoadBalancerArnSet>item"`
	BaseEndpointDNSNames []string         `xml:"baseEndpointDnsNameSet>item"`
	SupportedIPTypes     []string         `xml:"supportedIpAddressTypeSet>item"`
	Tags                 []tagItem        `xml:"tagSet>item"`
}

func (s *Server) serviceXML(svc *EndpointService) serviceConfigXML {
	out := serviceConfigXML{
		ServiceType:          []serviceTypeXML{{ServiceType: "Interface"}},
		ServiceID:            svc.ID,
		ServiceName:          svc.Name,
		ServiceState:         "Available",
		AcceptanceRequired:   svc.AcceptanceRequired,
		LoadBalancerARNs:     svc.LoadBalancerARNs,
		BaseEndpointDNSNames: []string{baseEndpointDNSName(svc, s.opts.Region)},
		SupportedIPTypes:     []string{"ipv4"},
		Tags:                 ec2TagSet(svc.Tags),
	}
	out.AvailabilityZones = svc.Zones
	if svc.Zones == nil {
		// A world saved before services recorded their zones.
		out.AvailabilityZones = s.loadBalancerZones(svc.LoadBalancerARNs)
	}
	return out
}

// loadBalancerZones returns the zones of the load balancers, each once.
// Callers hold s.mu.
func (s *Server) loadBalancerZones(arns []string) []string {
	zones := []string{}
	for _, arn := range arns {
		if lb, ok := s.world.LoadBalancers[arn]; ok {
			for _, zone := range lb.Zones {
				if !slices.Contains(zones, zone) {
					zones = append(zones, zone)
				}
			}
		}
	}
	return zones
}

func (s *Server) createEndpointService(region string, form url.Values) (any, error) {
	arns := list(form, "NetworkLoadBalancerArn")
	if len(arns) == 0 {
		return nil, errorf(http.StatusBadRequest, "InvalidParameter", "The request must contain NetworkLoadBalancerArn or GatewayLoadBalancerArn")
	}
	acceptance := true
	if v := form.Get("AcceptanceRequired"); v != "" {
		acceptance = v == "true"
	}
	token := form.Get("ClientToken")

	s.mu.Lock()
	defer s.mu.Unlock()
	type output struct {
		ClientToken string           `xml:"clientToken,omitempty"`
		Service     serviceConfigXML `xml:"serviceConfiguration"`
	}
	if token != "" {
		for _, svc := range s.world.EndpointServices {
			if svc.ClientToken == token {
				return output{ClientToken: token, Service: s.serviceXML(svc)}, nil
			}
		}
	}
	for _, arn := range arns {
		lb, ok := s.world.LoadBalancers[arn]
		if !ok || lb.Type != "network" {
			return nil, errorf(http.StatusBadRequest, "InvalidParameter", "Invalid network load balancer ARN: %s", arn)
		}
	}

	id := "vpce-svc-" + randomHex(17)
	svc := &EndpointService{
		ID:                 id,
		Name:               partition(region).ReverseDNSPrefix() + ".vpce." + region + "." + id,
		AcceptanceRequired: acceptance,
		LoadBalancerARNs:   arns,
		Zones:              s.loadBalancerZones(arns),
		ClientToken:        token,
		Tags:               ec2Tags(form, "vpc-endpoint-service"),
		CreatedAt:          s.now(),
	}
	s.world.EndpointServices[id] = svc
	if err := s.commit(); err != nil {
		delete(s.world.EndpointServices, id)
		return nil, err
	}
	return output{ClientToken: token, Service: s.serviceXML(svc)}, nil
}

func (s *Server) describeEndpointServices(form url.Values) (any, error) {
	ids := list(form, "ServiceId")
	filters := ec2Filters(form)

	s.mu.Lock()
	defer s.mu.Unlock()
	items, next, err := describeByID(s, form, s.world.EndpointServices, ids, s.now(), endpointServiceNotFound, func(svc *EndpointService) bool {
		return serviceMatches(svc, filters)
	})
	if err != nil {
		return nil, err
	}

	out := struct {
		Services  []serviceConfigXML `xml:"serviceConfigurationSet>item"`
		NextToken string             `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, svc := range items {
		out.Services = append(out.Services, s.serviceXML(svc))
	}
	return out, nil
}

func serviceMatches(svc *EndpointService, filters []ec2Filter) bool {
	return matchFilters(filters, withTags(svc.Tags, func(name string) ([]string, bool) {
		switch name {
		case "service-id":
			return one(svc.ID)
		case "service-name":
			return one(svc.Name)
		case "service-state":
			return one("Available")
		}
		return nil, false
	}), false)
}

// unsuccessfulOutput is the response of EC2 calls that act on several
// resources and list the ones that failed.
type unsuccessfulOutput struct {
	Unsuccessful []unsuccessfulXML `xml:"unsuccessful>item"`
}

type unsuccessfulXML struct {
	Code       string `xml:"error>code"`
	Message    string `xml:"error>message"`
	ResourceID string `xml:"resourceId"`
}

func (s *Server) deleteEndpointServices(form url.Values) (any, error) {
	ids := list(form, "ServiceId")
	var out unsuccessfulOutput

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if _, ok := s.world.EndpointServices[id]; !ok {
			out.Unsuccessful = append(out.Unsuccessful, unsuccessfulXML{"InvalidVpcEndpointService.NotFound", "service not found", id})
			continue
		}
		if s.hasLiveConnections(id) {
			out.Unsuccessful = append(out.Unsuccessful, unsuccessfulXML{"ExistingVpcEndpointConnections",
				"Service has existing active VPC Endpoint connections", id})
			continue
		}
		delete(s.world.EndpointServices, id)
	}
	if err := s.commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// hasLiveConnections reports whether the service has a connection that is
// not rejected or deleted. Callers hold s.mu.
func (s *Server) hasLiveConnections(serviceID string) bool {
	for _, conn := range s.world.Connections {
		if conn.ServiceID == serviceID && conn.Final == "" {
			return true
		}
	}
	return false
}

type principalXML struct {
	PrincipalType string `xml:"principalType"`
	Principal     string `xml:"principal"`
	PermissionID  string `xml:"servicePermissionId"`
	ServiceID     string `xml:"serviceId"`
}

func principalType(principal string) string {
	switch {
	case principal == "*":
		return "All"
	case strings.HasSuffix(principal, ":root"):
		return "Account"
	case strings.Contains(principal, ":role/"):
		return "Role"
	}
	return "User"
}

func (s *Server) modifyPermissions(form url.Values) (any, error) {
	serviceID := form.Get("ServiceId")
	add := list(form, "AddAllowedPrincipals")
	remove := list(form, "RemoveAllowedPrincipals")
	for _, principal := range append(append([]string{}, add...), remove...) {
		if principal != "*" && !principalPattern.MatchString(principal) {
			return nil, errorf(http.StatusBadRequest, "InvalidPrincipal",
				"Invalid principal %s: want an IAM account root, role or user ARN", principal)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	svc, err := s.endpointService(serviceID)
	if err != nil {
		return nil, err
	}

	var out struct {
		Added  []principalXML `xml:"addedPrincipalSet>item"`
		Return bool           `xml:"return"`
	}
	for _, principal := range add {
		if slicesIndex(svc.Permissions, principal) >= 0 {
			continue
		}
		perm := Permission{ID: "vpce-svc-perm-" + randomHex(17), Principal: principal}
		svc.Permissions = append(svc.Permissions, perm)
		out.Added = append(out.Added, principalXML{principalType(principal), principal, perm.ID, svc.ID})
	}
	for _, principal := range remove {
		if i := slicesIndex(svc.Permissions, principal); i >= 0 {
			svc.Permissions = append(svc.Permissions[:i], svc.Permissions[i+1:]...)
		}
	}
	if err := s.commit(); err != nil {
		return nil, err
	}
	out.Return = true
	return out, nil
}

func slicesIndex(perms []Permission, principal string) int {
	for i, perm := range perms {
		if perm.Principal == principal {
			return i
		}
	}
	return -1
}

func (s *Server) describePermissions(form url.Values) (any, error) {
	serviceID := form.Get("ServiceId")

	s.mu.Lock()
	defer s.mu.Unlock()
	svc, err := s.endpointService(serviceID)
	if err != nil {
		return nil, err
	}
	items, next, err := page(s, form, svc.Permissions)
	if err != nil {
		return nil, err
	}

	out := struct {
		Principals []principalXML `xml:"allowedPrincipals>item"`
		NextToken  string         `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, perm := range items {
		out.Principals = append(out.Principals, principalXML{principalType(perm.Principal), perm.Principal, perm.ID, svc.ID})
	}
	return out, nil
}

type connectionXML struct {
	ServiceID        string   `xml:"serviceId"`
	EndpointID       string   `xml:"vpcEndpointId"`
	Owner            string   `xml:"vpcEndpointOwner"`
	State            string   `xml:"vpcEndpointState"`
	CreatedAt        string   `xml:"creationTimestamp"`
	LoadBalancerARNs []string `xml:"networkLoadBalancerArnSet>item"`
	IPAddressType    string   `xml:"ipAddressType"`
	ConnectionID     string   `xml:"vpcEndpointConnectionId"`
}

func (s *Server) describeConnections(form url.Values) (any, error) {
	filters := ec2Filters(form)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var matched []*EndpointConnection
	for _, id := range sortedKeys(s.world.Connections) {
		conn := s.world.Connections[id]
		if !s.visible(conn.CreatedAt, now) || !s.connectionMatches(conn, filters, now) {
			continue
		}
		matched = append(matched, conn)
	}
	items, next, err := page(s, form, matched)
	if err != nil {
		return nil, err
	}

	out := struct {
		Connections []connectionXML `xml:"vpcEndpointConnectionSet>item"`
		NextToken   string          `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, conn := range items {
		item := connectionXML{
			ServiceID:     conn.ServiceID,
			EndpointID:    conn.EndpointID,
			Owner:         conn.Owner,
			State:         s.connectionState(conn, now),
			CreatedAt:     conn.CreatedAt.Format(time.RFC3339),
			IPAddressType: "ipv4",
			ConnectionID:  "vpce-con-" + strings.TrimPrefix(conn.EndpointID, "vpce-"),
		}
		if svc, ok := s.world.EndpointServices[conn.ServiceID]; ok {
			item.LoadBalancerARNs = svc.LoadBalancerARNs
		}
		out.Connections = append(out.Connections, item)
	}
	return out, nil
}

func (s *Server) connectionMatches(conn *EndpointConnection, filters []ec2Filter, now time.Time) bool {
	return matchFilters(filters, func(name string) ([]string, bool) {
		switch name {
		case "service-id":
			return one(conn.ServiceID)
		case "vpc-endpoint-id":
			return one(conn.EndpointID)
		case "vpc-endpoint-owner":
			return one(conn.Owner)
		case "vpc-endpoint-state":
			return one(s.connectionState(conn, now))
		}
		return nil, false
	}, false)
}

// decideConnections accepts or rejects connections. Per endpoint failures
// go in the unsuccessful list, as EC2 reports them.
func (s *Server) decideConnections(form url.Values, accept bool) (any, error) {
	serviceID := form.Get("ServiceId")
	ids := list(form, "VpcEndpointId")
	if len(ids) == 0 {
		return nil, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter VpcEndpointId")
	}
	var out unsuccessfulOutput

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.endpointService(serviceID); err != nil {
		return nil, err
	}
	now := s.now()
	for _, id := range ids {
		conn, ok := s.world.Connections[id]
		if !ok || conn.ServiceID != serviceID || !s.visible(conn.CreatedAt, now) {
			out.Unsuccessful = append(out.Unsuccessful, unsuccessfulXML{"InvalidVpcEndpointId.NotFound",
				fmt.Sprintf("The Vpc Endpoint Id '%s' does not exist", id), id})
			continue
		}
		state := s.connectionState(conn, now)
		switch {
		case accept && state == "pendingAcceptance":
			at := now
			conn.AcceptedAt = &at
		case !accept && (state == "pendingAcceptance" || state == "pending" || state == "available"):
			conn.Final = "rejected"
		default:
			// NOTE: the error code for deciding a connection in the wrong
			// state is a guess; the EC2 API reference does not list it.
			out.Unsuccessful = append(out.Unsuccessful, unsuccessfulXML{"InvalidState",
				fmt.Sprintf("Vpc Endpoint %s is in state %s", id, state), id})
		}
	}
	if err := s.commit(); err != nil {
		return nil, err
	}
	return out, nil
}

func instanceNotFound(id string) error {
	return errorf(http.StatusBadRequest, "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
}

func endpointServiceNotFound(id string) error {
	return errorf(http.StatusBadRequest, "InvalidVpcEndpointServiceId.NotFound", "The VpcEndpointService Id '%s' does not exist", id)
}

// endpointService returns the endpoint service with id, or EC2's
// not-found error. Callers hold s.mu.
func (s *Server) endpointService(id string) (*EndpointService, error) {
	svc, ok := s.world.EndpointServices[id]
	if !ok {
		return nil, endpointServiceNotFound(id)
	}
	return svc, nil
}

// createdResource is a resource that describe calls without IDs leave out
// until the visibility delay has passed.
type createdResource interface {
	creationTime() time.Time
}

func (inst *Instance) creationTime() time.Time       { return inst.LaunchedAt }
func (svc *EndpointService) creationTime() time.Time { return svc.CreatedAt }

// describeByID returns, in ID order, the page of resources that an EC2
// Describe call selects, and the token of the next page. With ids it
// selects the resources with those IDs and fails with notFound for an ID
// that does not exist. Without ids it selects every resource past the
// visibility delay at now. Either way match must accept the resource.
// Callers hold s.mu.
func describeByID[T createdResource](s *Server, form url.Values, resources map[string]T, ids []string, now time.Time,
	notFound func(id string) error, match func(T) bool) ([]T, string, error) {
	for _, id := range ids {
		if _, ok := resources[id]; !ok {
			return nil, "", notFound(id)
		}
	}
	var matched []T
	for _, id := range sortedKeys(resources) {
		resource := resources[id]
		if len(ids) > 0 && !contains(ids, id) {
			continue
		}
		if len(ids) == 0 && !s.visible(resource.creationTime(), now) {
			continue
		}
		if match(resource) {
			matched = append(matched, resource)
		}
	}
	return page(s, form, matched)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// accountOf returns the account ID in an IAM ARN, or "" for "*".
func accountOf(principal string) string {
	parts := strings.Split(principal, ":")
	if len(parts) < 5 {
		return ""
	}
	if _, err := strconv.Atoi(parts[4]); err != nil {
		return ""
	}
	return parts[4]
}
