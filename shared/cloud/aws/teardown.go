package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/repolink/repolink/shared/workflow"
)

// inUseCodes are API error codes that a delete returns while another
// resource still refers to the one being deleted. During teardown the other
// resource is usually being deleted itself, so the delete is tried again.
var inUseCodes = map[string]bool{
	"ResourceInUse":                  true,
	"DependencyViolation":            true,
	"ExistingVpcEndpointConnections": true,
}

// deleteResult classifies the error of a delete: nil when the resource is
// already gone, NotReady while something still uses it, and classify's name
// otherwise.
func deleteResult(err error, region, format string, args ...any) error {
	if err == nil {
		return nil
	}
	code := apiCode(err)
	switch {
	case isNotFound(code):
		return nil
	case inUseCodes[code]:
		return workflow.NotReady("aws: %s in region %s: still in use (%s); waiting for what uses it to go",
			fmt.Sprintf(format, args...), region, describe(err))
	}
	return classify(err, region, format, args...)
}

// TerminateInstance terminates the instance. Terminating an instance that
// is terminated or unknown succeeds.
func (p *Provider) TerminateInstance(ctx context.Context, instanceID string) error {
	_, err := p.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{instanceID}})
	return deleteResult(err, p.region, "terminate instance %s", instanceID)
}

// DeleteTargetGroup deletes the target group and deregisters its targets.
func (p *Provider) DeleteTargetGroup(ctx context.Context, arn string) error {
	_, err := p.elb.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
	return deleteResult(err, p.region, "delete target group %s", arn)
}

// DeleteListener deletes one listener.
func (p *Provider) DeleteListener(ctx context.Context, listenerARN string) error {
	_, err := p.elb.DeleteListener(ctx, &elbv2.DeleteListenerInput{ListenerArn: aws.String(listenerARN)})
	return deleteResult(err, p.region, "delete listener %s", listenerARN)
}

// DeleteLoadBalancer deletes the load balancer with its listeners. A load
// balancer with deletion protection on fails with Conflict.
func (p *Provider) DeleteLoadBalancer(ctx context.Context, arn string) error {
	_, err := p.elb.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)})
	return deleteResult(err, p.region, "delete load balancer %s", arn)
}

// DeleteEndpointService deletes the endpoint service. EC2 reports a failure
// per service in the response's unsuccessful list rather than as an error.
func (p *Provider) DeleteEndpointService(ctx context.Context, serviceID string) error {
	out, err := p.ec2.DeleteVpcEndpointServiceConfigurations(ctx, &ec2.DeleteVpcEndpointServiceConfigurationsInput{
		ServiceIds: []string{serviceID},
	})
	if err != nil {
		return deleteResult(err, p.region, "delete endpoint service %s", serviceID)
	}
	for _, item := range out.Unsuccessful {
		if item.Error == nil {
			continue
		}
		code, message := aws.ToString(item.Error.Code), aws.ToString(item.Error.Message)
		switch {
		case isNotFound(code):
			continue
		case inUseCodes[code]:
			return workflow.NotReady("aws: delete endpoint service %s in region %s: %s: %s; waiting for its connections to be rejected or deleted",
				serviceID, p.region, code, message)
		}
		return workflow.Errorf(workflow.ErrConflict, "aws: delete endpoint service %s in region %s: %s: %s",
			serviceID, p.region, code, message)
	}
	return nil
}

// RejectEndpointConnection rejects one connection to the service. Rejecting
// a connection that is already rejected, deleted or gone succeeds.
func (p *Provider) RejectEndpointConnection(ctx context.Context, serviceID, endpointID string) error {
	out, err := p.ec2.RejectVpcEndpointConnections(ctx, &ec2.RejectVpcEndpointConnectionsInput{
		ServiceId:      aws.String(serviceID),
		VpcEndpointIds: []string{endpointID},
	})
	if err != nil {
		return deleteResult(err, p.region, "reject connection %s to endpoint service %s", endpointID, serviceID)
	}
	if len(out.Unsuccessful) == 0 {
		return nil
	}

	item := out.Unsuccessful[0]
	var code, message string
	if item.Error != nil {
		code, message = aws.ToString(item.Error.Code), aws.ToString(item.Error.Message)
	}
	conns, err := p.EndpointConnections(ctx, serviceID)
	if err != nil {
		return err
	}
	for _, conn := range conns {
		if conn.EndpointID != endpointID {
			continue
		}
		switch strings.ToLower(conn.State) {
		case "rejected", "deleting", "deleted", "failed", "expired":
			return nil
		}
		return workflow.Errorf(workflow.ErrConflict,
			"aws: reject connection %s to endpoint service %s in region %s: connection is %s (%s: %s)",
			endpointID, serviceID, p.region, conn.State, code, message)
	}
	return nil
}
