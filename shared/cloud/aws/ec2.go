package aws

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// liveInstanceStates are the instance states that FindInstance adopts.
// An instance that is shutting down or terminated is never reused.
var liveInstanceStates = []string{"pending", "running", "stopping", "stopped"}

// FindInstance returns the live instance tagged with requestID and name,
// preferring a running one when there are several.
func (p *Provider) FindInstance(ctx context.Context, requestID, name string) (*cloud.Instance, error) {
	input := &ec2.DescribeInstancesInput{
		Filters: []types.Filter{
			{Name: aws.String("tag:" + cloud.TagRequest), Values: []string{requestID}},
			{Name: aws.String("tag:Name"), Values: []string{name}},
			{Name: aws.String("instance-state-name"), Values: liveInstanceStates},
		},
	}

	var found *cloud.Instance
	pages := ec2.NewDescribeInstancesPaginator(p.ec2, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err, p.region, "find instance %q of request %q", name, requestID)
		}
		for _, reservation := range page.Reservations {
			for _, inst := range reservation.Instances {
				got := toInstance(inst)
				if !isLiveInstanceState(got.State) {
					continue
				}
				if got.State == "running" {
					return &got, nil
				}
				if found == nil {
					found = &got
				}
			}
		}
	}
	return found, nil
}

// RunInstance launches one instance with IMDSv2 required. spec.ImageID may
// be an SSM parameter reference such as
// "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
// which EC2 resolves itself.
func (p *Provider) RunInstance(ctx context.Context, spec cloud.InstanceSpec) (cloud.Instance, error) {
	input := &ec2.RunInstancesInput{
		ImageId:      aws.String(spec.ImageID),
		InstanceType: types.InstanceType(spec.InstanceType),
		MinCount:     aws.Int32(1),
		MaxCount:     aws.Int32(1),
		SubnetId:     aws.String(spec.SubnetID),
		UserData:     aws.String(base64.StdEncoding.EncodeToString([]byte(spec.UserData))),
		MetadataOptions: &types.InstanceMetadataOptionsRequest{
			HttpTokens: types.HttpTokensStateRequired,
		},
		TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeInstance,
			Tags:         ec2Tags(createTags(spec.Name, spec.RequestID, spec.Tags)),
		}},
	}
	if len(spec.SecurityGroupIDs) > 0 {
		input.SecurityGroupIds = spec.SecurityGroupIDs
	}
	if spec.ClientToken != "" {
		input.ClientToken = aws.String(spec.ClientToken)
	}

	out, err := p.ec2.RunInstances(ctx, input)
	if err != nil {
		return cloud.Instance{}, classify(err, p.region, "run instance %q in subnet %s", spec.Name, spec.SubnetID)
	}
	if len(out.Instances) == 0 {
		return cloud.Instance{}, workflow.Errorf(workflow.ErrTransient,
			"aws: run instance %q in region %s: response lists no instance", spec.Name, p.region)
	}
	return toInstance(out.Instances[0]), nil
}

// FindEndpointService returns the endpoint service tagged with requestID,
// skipping services that are being deleted or have failed.
func (p *Provider) FindEndpointService(ctx context.Context, requestID string) (*cloud.EndpointService, error) {
	input := &ec2.DescribeVpcEndpointServiceConfigurationsInput{
		Filters: []types.Filter{
			{Name: aws.String("tag:" + cloud.TagRequest), Values: []string{requestID}},
		},
	}
	pages := ec2.NewDescribeVpcEndpointServiceConfigurationsPaginator(p.ec2, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err, p.region, "find endpoint service of request %q", requestID)
		}
		for _, config := range page.ServiceConfigurations {
			switch strings.ToLower(string(config.ServiceState)) {
			case "deleting", "deleted", "failed":
				continue
			}
			svc := toEndpointService(config)
			return &svc, nil
		}
	}
	return nil, nil
}

// CreateEndpointService creates an endpoint service in front of the load
// balancer that requires each connection to be accepted. The SDK fills in
// no client token for this call, so the caller passes one.
func (p *Provider) CreateEndpointService(ctx context.Context, requestID, loadBalancerARN, clientToken string) (cloud.EndpointService, error) {
	input := &ec2.CreateVpcEndpointServiceConfigurationInput{
		AcceptanceRequired:      aws.Bool(true),
		NetworkLoadBalancerArns: []string{loadBalancerARN},
		TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeVpcEndpointService,
			Tags:         ec2Tags(createTags("", requestID, nil)),
		}},
	}
	if clientToken != "" {
		input.ClientToken = aws.String(clientToken)
	}

	out, err := p.ec2.CreateVpcEndpointServiceConfiguration(ctx, input)
	if err != nil {
		return cloud.EndpointService{}, classify(err, p.region, "create endpoint service for load balancer %s", loadBalancerARN)
	}
	if out.ServiceConfiguration == nil {
		return cloud.EndpointService{}, workflow.Errorf(workflow.ErrTransient,
			"aws: create endpoint service for load balancer %s in region %s: response has no service configuration", loadBalancerARN, p.region)
	}
	return toEndpointService(*out.ServiceConfiguration), nil
}

// AllowedPrincipals returns every principal allowed to connect to the
// service, following all pages.
func (p *Provider) AllowedPrincipals(ctx context.Context, serviceID string) ([]string, error) {
	input := &ec2.DescribeVpcEndpointServicePermissionsInput{ServiceId: aws.String(serviceID)}
	var principals []string
	pages := ec2.NewDescribeVpcEndpointServicePermissionsPaginator(p.ec2, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err, p.region, "list allowed principals of endpoint service %s", serviceID)
		}
		for _, allowed := range page.AllowedPrincipals {
			principals = append(principals, aws.ToString(allowed.Principal))
		}
	}
	return principals, nil
}

// AddAllowedPrincipal adds principal to the service's allow list when it is
// not there yet. It only ever adds, so principals allowed by someone else
// stay allowed.
func (p *Provider) AddAllowedPrincipal(ctx context.Context, serviceID, principal string) error {
	existing, err := p.AllowedPrincipals(ctx, serviceID)
	if err != nil {
		return err
	}
	for _, allowed := range existing {
		if allowed == principal {
			return nil
		}
	}

	_, err = p.ec2.ModifyVpcEndpointServicePermissions(ctx, &ec2.ModifyVpcEndpointServicePermissionsInput{
		ServiceId:            aws.String(serviceID),
		AddAllowedPrincipals: []string{principal},
	})
	return classify(err, p.region, "allow principal %s on endpoint service %s", principal, serviceID)
}

// EndpointConnections returns the connections to the service, with states
// spelled as the EC2 API documents them (pendingAcceptance, available, ...).
func (p *Provider) EndpointConnections(ctx context.Context, serviceID string) ([]cloud.EndpointConnection, error) {
	input := &ec2.DescribeVpcEndpointConnectionsInput{
		Filters: []types.Filter{{Name: aws.String("service-id"), Values: []string{serviceID}}},
	}
	var conns []cloud.EndpointConnection
	pages := ec2.NewDescribeVpcEndpointConnectionsPaginator(p.ec2, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err, p.region, "list connections of endpoint service %s", serviceID)
		}
		for _, conn := range page.VpcEndpointConnections {
			conns = append(conns, cloud.EndpointConnection{
				EndpointID: aws.ToString(conn.VpcEndpointId),
				State:      normalizeConnectionState(string(conn.VpcEndpointState)),
				Owner:      aws.ToString(conn.VpcEndpointOwner),
			})
		}
	}
	return conns, nil
}

// AcceptEndpointConnection accepts one pending connection. Accepting a
// connection that is already accepted (pending or available) succeeds.
func (p *Provider) AcceptEndpointConnection(ctx context.Context, serviceID, endpointID string) error {
	out, err := p.ec2.AcceptVpcEndpointConnections(ctx, &ec2.AcceptVpcEndpointConnectionsInput{
		ServiceId:      aws.String(serviceID),
		VpcEndpointIds: []string{endpointID},
	})
	if err != nil {
		return classify(err, p.region, "accept connection %s to endpoint service %s", endpointID, serviceID)
	}
	if len(out.Unsuccessful) == 0 {
		return nil
	}

	item := out.Unsuccessful[0]
	var code, message string
	if item.Error != nil {
		code, message = aws.ToString(item.Error.Code), aws.ToString(item.Error.Message)
	}
	return p.explainUnaccepted(ctx, serviceID, endpointID, code, message)
}

// explainUnaccepted decides what an unsuccessful accept means by reading the
// connection's current state.
func (p *Provider) explainUnaccepted(ctx context.Context, serviceID, endpointID, code, message string) error {
	conns, err := p.EndpointConnections(ctx, serviceID)
	if err != nil {
		return err
	}
	for _, conn := range conns {
		if conn.EndpointID != endpointID {
			continue
		}
		switch conn.State {
		case "pending", "available":
			return nil
		case "rejected", "failed", "expired", "deleting", "deleted":
			return workflow.Errorf(workflow.ErrRejected,
				"aws: accept connection %s to endpoint service %s in region %s: connection is %s (%s: %s)",
				endpointID, serviceID, p.region, conn.State, code, message)
		}
		return workflow.Errorf(workflow.ErrConflict,
			"aws: accept connection %s to endpoint service %s in region %s: connection is %s (%s: %s)",
			endpointID, serviceID, p.region, conn.State, code, message)
	}
	return workflow.NotReady("aws: accept connection %s to endpoint service %s in region %s: connection not found yet (%s: %s)",
		endpointID, serviceID, p.region, code, message)
}

func ec2Tags(tags []tag) []types.Tag {
	out := make([]types.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, types.Tag{Key: aws.String(t.key), Value: aws.String(t.value)})
	}
	return out
}

// fromEC2Tags returns an EC2 tag set as a map, or nil when it is empty.
func fromEC2Tags(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

func toInstance(inst types.Instance) cloud.Instance {
	var state string
	if inst.State != nil {
		state = strings.ToLower(string(inst.State.Name))
	}
	return cloud.Instance{
		ID:        aws.ToString(inst.InstanceId),
		State:     state,
		PrivateIP: aws.ToString(inst.PrivateIpAddress),
		SubnetID:  aws.ToString(inst.SubnetId),
		Tags:      fromEC2Tags(inst.Tags),
	}
}

func isLiveInstanceState(state string) bool {
	for _, live := range liveInstanceStates {
		if state == live {
			return true
		}
	}
	return false
}

func toEndpointService(config types.ServiceConfiguration) cloud.EndpointService {
	return cloud.EndpointService{
		ID:                 aws.ToString(config.ServiceId),
		Name:               aws.ToString(config.ServiceName),
		State:              string(config.ServiceState),
		AcceptanceRequired: aws.ToBool(config.AcceptanceRequired),
		LoadBalancerARNs:   config.NetworkLoadBalancerArns,
		Zones:              config.AvailabilityZones,
	}
}

// connectionStates are the vpc-endpoint-state values as the EC2 API
// reference spells them. The SDK's types.State constants are capitalised
// (PendingAcceptance), and the SDK passes the wire string through unchanged.
var connectionStates = []string{
	"pendingAcceptance", "pending", "available", "deleting", "deleted", "rejected", "failed", "expired", "partial",
}

// normalizeConnectionState spells a connection state the way the API
// reference does, whatever its case on the wire.
func normalizeConnectionState(state string) string {
	for _, known := range connectionStates {
		if strings.EqualFold(state, known) {
			return known
		}
	}
	return state
}
