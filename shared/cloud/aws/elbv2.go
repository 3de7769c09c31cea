package aws

import (
	"context"
	"errors"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Health check settings of the target group. The check is a plain TCP
// connect on the traffic port, because the proxy serves only TLS on it and
// an HTTP check against it would always fail.
const (
	healthCheckIntervalSeconds = 10
	healthCheckTimeoutSeconds  = 5
	healthyThresholdCount      = 3
	unhealthyThresholdCount    = 3
)

// FindTargetGroup returns the target group named name, or nil when there is
// none.
func (p *Provider) FindTargetGroup(ctx context.Context, name string) (*cloud.TargetGroup, error) {
	out, err := p.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{name}})
	var notFound *types.TargetGroupNotFoundException
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, p.region, "find target group %q", name)
	}
	if len(out.TargetGroups) == 0 {
		return nil, nil
	}
	tg := toTargetGroup(out.TargetGroups[0])

	tags, err := p.elbResourceTags(ctx, tg.ARN)
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, p.region, "read tags of target group %q", name)
	}
	tg.Tags = tags
	return &tg, nil
}

// CreateTargetGroup creates a TCP target group of instances, or of IP
// addresses when spec.TargetType is ip, with an explicit TCP health check on
// the traffic port.
func (p *Provider) CreateTargetGroup(ctx context.Context, spec cloud.TargetGroupSpec) (cloud.TargetGroup, error) {
	tags := createTags(spec.Name, spec.RequestID, spec.Tags)
	targetType := types.TargetTypeEnumInstance
	if spec.TargetType == string(types.TargetTypeEnumIp) {
		targetType = types.TargetTypeEnumIp
	}
	out, err := p.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
		Name:                       aws.String(spec.Name),
		Protocol:                   types.ProtocolEnumTcp,
		Port:                       aws.Int32(int32(spec.Port)),
		VpcId:                      aws.String(spec.VPCID),
		TargetType:                 targetType,
		HealthCheckEnabled:         aws.Bool(true),
		HealthCheckProtocol:        types.ProtocolEnumTcp,
		HealthCheckPort:            aws.String("traffic-port"),
		HealthCheckIntervalSeconds: aws.Int32(healthCheckIntervalSeconds),
		HealthCheckTimeoutSeconds:  aws.Int32(healthCheckTimeoutSeconds),
		HealthyThresholdCount:      aws.Int32(healthyThresholdCount),
		UnhealthyThresholdCount:    aws.Int32(unhealthyThresholdCount),
		Tags:                       elbTags(tags),
	})
	if err != nil {
		return cloud.TargetGroup{}, classify(err, p.region, "create target group %q for %s", spec.Name, spec.VPCID)
	}
	if len(out.TargetGroups) == 0 {
		return cloud.TargetGroup{}, workflow.Errorf(workflow.ErrTransient,
			"aws: create target group %q in region %s: response lists no target group", spec.Name, p.region)
	}
	// CreateTargetGroup returns no tags, so the result carries the tags
	// sent. NOTE: when a group with these settings already exists, ELBv2
	// returns it unchanged, and its stored tags may differ from these.
	tg := toTargetGroup(out.TargetGroups[0])
	tg.Tags = tagMap(tags)
	return tg, nil
}

// RegisterTarget registers targetID, an instance ID or an IP address, on
// port. An IP address outside the target group's VPC is registered in
// availability zone all, which ELBv2 requires for such an address and
// rejects for one of the VPC. ELBv2 treats registering a registered target
// as a no-op.
func (p *Provider) RegisterTarget(ctx context.Context, targetGroupARN, targetID string, port int) error {
	target, err := p.targetDescription(ctx, targetGroupARN, targetID, port)
	if err != nil {
		return err
	}
	_, err = p.elb.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{
		TargetGroupArn: aws.String(targetGroupARN),
		Targets:        []types.TargetDescription{target},
	})
	return classify(err, p.region, "register target %s in target group %s", targetID, targetGroupARN)
}

// TargetHealth returns the health of every registered target.
func (p *Provider) TargetHealth(ctx context.Context, targetGroupARN string) ([]cloud.TargetHealth, error) {
	out, err := p.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{
		TargetGroupArn: aws.String(targetGroupARN),
	})
	if err != nil {
		return nil, classify(err, p.region, "describe target health of %s", targetGroupARN)
	}
	health := make([]cloud.TargetHealth, 0, len(out.TargetHealthDescriptions))
	for _, desc := range out.TargetHealthDescriptions {
		var h cloud.TargetHealth
		if desc.Target != nil {
			h.ID = aws.ToString(desc.Target.Id)
			h.Port = int(aws.ToInt32(desc.Target.Port))
		}
		if desc.TargetHealth != nil {
			h.State = string(desc.TargetHealth.State)
		}
		health = append(health, h)
	}
	return health, nil
}

// DeregisterTarget removes targetID on port from the target group, with
// the availability zone that RegisterTarget gave it.
func (p *Provider) DeregisterTarget(ctx context.Context, targetGroupARN, targetID string, port int) error {
	target, err := p.targetDescription(ctx, targetGroupARN, targetID, port)
	if err != nil {
		return err
	}
	_, err = p.elb.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{
		TargetGroupArn: aws.String(targetGroupARN),
		Targets:        []types.TargetDescription{target},
	})
	return classify(err, p.region, "deregister target %s in target group %s", targetID, targetGroupARN)
}

// TagTargetGroup adds tags to the target group. AddTags overwrites the value
// of a key that the group already has.
func (p *Provider) TagTargetGroup(ctx context.Context, targetGroupARN string, tags map[string]string) error {
	keys := make([]string, 0, len(tags))
	for key := range tags {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	list := make([]types.Tag, 0, len(keys))
	for _, key := range keys {
		list = append(list, types.Tag{Key: aws.String(key), Value: aws.String(tags[key])})
	}
	_, err := p.elb.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: []string{targetGroupARN}, Tags: list})
	return classify(err, p.region, "tag target group %s", targetGroupARN)
}

// FindLoadBalancer returns the load balancer named name, or nil when there
// is none.
func (p *Provider) FindLoadBalancer(ctx context.Context, name string) (*cloud.LoadBalancer, error) {
	out, err := p.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{name}})
	var notFound *types.LoadBalancerNotFoundException
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, p.region, "find load balancer %q", name)
	}
	if len(out.LoadBalancers) == 0 {
		return nil, nil
	}
	lb := toLoadBalancer(out.LoadBalancers[0])

	tags, err := p.elbResourceTags(ctx, lb.ARN)
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, p.region, "read tags of load balancer %q", name)
	}
	lb.Tags = tags
	return &lb, nil
}

// CreateLoadBalancer creates an internal network load balancer in the given
// subnets. It attaches no security group, so the load balancer does not
// filter the traffic that arrives over PrivateLink.
func (p *Provider) CreateLoadBalancer(ctx context.Context, spec cloud.LoadBalancerSpec) (cloud.LoadBalancer, error) {
	tags := createTags(spec.Name, spec.RequestID, spec.Tags)
	out, err := p.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{
		Name:    aws.String(spec.Name),
		Type:    types.LoadBalancerTypeEnumNetwork,
		Scheme:  types.LoadBalancerSchemeEnumInternal,
		Subnets: spec.SubnetIDs,
		Tags:    elbTags(tags),
	})
	if err != nil {
		return cloud.LoadBalancer{}, classify(err, p.region, "create load balancer %q", spec.Name)
	}
	if len(out.LoadBalancers) == 0 {
		return cloud.LoadBalancer{}, workflow.Errorf(workflow.ErrTransient,
			"aws: create load balancer %q in region %s: response lists no load balancer", spec.Name, p.region)
	}
	// As with target groups, the result carries the tags sent, because
	// CreateLoadBalancer returns none.
	lb := toLoadBalancer(out.LoadBalancers[0])
	lb.Tags = tagMap(tags)
	return lb, nil
}

// elbResourceTags returns the tags of one load balancer or target group. A
// resource deleted since it was described gives the SDK's not-found error.
func (p *Provider) elbResourceTags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := p.elb.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{arn}})
	if err != nil {
		return nil, err
	}
	for _, desc := range out.TagDescriptions {
		if aws.ToString(desc.ResourceArn) != arn {
			continue
		}
		tags := make(map[string]string, len(desc.Tags))
		for _, t := range desc.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return tags, nil
	}
	return nil, nil
}

// TargetGroupAttributes returns the target group's attributes by key.
func (p *Provider) TargetGroupAttributes(ctx context.Context, arn string) (map[string]string, error) {
	out, err := p.elb.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{
		TargetGroupArn: aws.String(arn),
	})
	if err != nil {
		return nil, classify(err, p.region, "describe attributes of target group %s", arn)
	}
	attrs := make(map[string]string, len(out.Attributes))
	for _, attr := range out.Attributes {
		attrs[aws.ToString(attr.Key)] = aws.ToString(attr.Value)
	}
	return attrs, nil
}

// LoadBalancerAttributes returns the load balancer's attributes by key.
func (p *Provider) LoadBalancerAttributes(ctx context.Context, arn string) (map[string]string, error) {
	out, err := p.elb.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{
		LoadBalancerArn: aws.String(arn),
	})
	if err != nil {
		return nil, classify(err, p.region, "describe attributes of load balancer %s", arn)
	}
	attrs := make(map[string]string, len(out.Attributes))
	for _, attr := range out.Attributes {
		attrs[aws.ToString(attr.Key)] = aws.ToString(attr.Value)
	}
	return attrs, nil
}

// SetLoadBalancerAttributes sets the given attributes and leaves the others
// unchanged.
func (p *Provider) SetLoadBalancerAttributes(ctx context.Context, arn string, attrs map[string]string) error {
	keys := make([]string, 0, len(attrs))
	for key := range attrs {
		keys = append(keys, key)
	}
	sort.Strings(keys)

	list := make([]types.LoadBalancerAttribute, 0, len(keys))
	for _, key := range keys {
		list = append(list, types.LoadBalancerAttribute{Key: aws.String(key), Value: aws.String(attrs[key])})
	}
	_, err := p.elb.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: aws.String(arn),
		Attributes:      list,
	})
	return classify(err, p.region, "set attributes %v of load balancer %s", keys, arn)
}

// FindListener returns the load balancer's listener on port, or nil when
// there is none or the load balancer does not exist.
func (p *Provider) FindListener(ctx context.Context, loadBalancerARN string, port int) (*cloud.Listener, error) {
	pages := elbv2.NewDescribeListenersPaginator(p.elb, &elbv2.DescribeListenersInput{
		LoadBalancerArn: aws.String(loadBalancerARN),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		var notFound *types.LoadBalancerNotFoundException
		if errors.As(err, &notFound) {
			return nil, nil
		}
		if err != nil {
			return nil, classify(err, p.region, "find listener on port %d of load balancer %s", port, loadBalancerARN)
		}
		for _, listener := range page.Listeners {
			if int(aws.ToInt32(listener.Port)) == port {
				l := toListener(listener)
				return &l, nil
			}
		}
	}
	return nil, nil
}

// CreateListener creates a TCP listener on port that forwards to the target
// group. The listener is TCP, not TLS, so that the client's TLS handshake and
// its SNI reach the proxy untouched.
func (p *Provider) CreateListener(ctx context.Context, loadBalancerARN, targetGroupARN string, port int) (cloud.Listener, error) {
	out, err := p.elb.CreateListener(ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: aws.String(loadBalancerARN),
		Protocol:        types.ProtocolEnumTcp,
		Port:            aws.Int32(int32(port)),
		DefaultActions: []types.Action{{
			Type:           types.ActionTypeEnumForward,
			TargetGroupArn: aws.String(targetGroupARN),
		}},
	})
	if err != nil {
		return cloud.Listener{}, classify(err, p.region, "create listener on port %d of load balancer %s", port, loadBalancerARN)
	}
	if len(out.Listeners) == 0 {
		return cloud.Listener{}, workflow.Errorf(workflow.ErrTransient,
			"aws: create listener on port %d of load balancer %s in region %s: response lists no listener", port, loadBalancerARN, p.region)
	}
	return toListener(out.Listeners[0]), nil
}

func elbTags(tags []tag) []types.Tag {
	out := make([]types.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, types.Tag{Key: aws.String(t.key), Value: aws.String(t.value)})
	}
	return out
}

func toTargetGroup(tg types.TargetGroup) cloud.TargetGroup {
	return cloud.TargetGroup{
		ARN:                 aws.ToString(tg.TargetGroupArn),
		Name:                aws.ToString(tg.TargetGroupName),
		Protocol:            string(tg.Protocol),
		Port:                int(aws.ToInt32(tg.Port)),
		HealthCheckProtocol: string(tg.HealthCheckProtocol),
		TargetType:          string(tg.TargetType),
	}
}

func toLoadBalancer(lb types.LoadBalancer) cloud.LoadBalancer {
	out := cloud.LoadBalancer{
		ARN:            aws.ToString(lb.LoadBalancerArn),
		Name:           aws.ToString(lb.LoadBalancerName),
		DNSName:        aws.ToString(lb.DNSName),
		Scheme:         string(lb.Scheme),
		SecurityGroups: lb.SecurityGroups,
	}
	if lb.State != nil {
		out.State = string(lb.State.Code)
	}
	for _, zone := range lb.AvailabilityZones {
		out.Zones = append(out.Zones, aws.ToString(zone.ZoneName))
		out.SubnetIDs = append(out.SubnetIDs, aws.ToString(zone.SubnetId))
	}
	return out
}

func toListener(l types.Listener) cloud.Listener {
	out := cloud.Listener{
		ARN:      aws.ToString(l.ListenerArn),
		Protocol: string(l.Protocol),
		Port:     int(aws.ToInt32(l.Port)),
	}
	for _, action := range l.DefaultActions {
		if action.Type != types.ActionTypeEnumForward {
			continue
		}
		if action.TargetGroupArn != nil {
			out.TargetGroupARN = aws.ToString(action.TargetGroupArn)
			break
		}
		if action.ForwardConfig != nil && len(action.ForwardConfig.TargetGroups) > 0 {
			out.TargetGroupARN = aws.ToString(action.ForwardConfig.TargetGroups[0].TargetGroupArn)
			break
		}
	}
	return out
}
