// Package loadbalancer creates the internal network load balancer across the
// request's subnets with cross-zone load balancing on, and its TCP 443
// listener to the proxy target group. An existing load balancer gets the
// request's subnets in zones that it lacks.
package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/functions/targetgroup"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the load balancer and its listener.
type Output = workflow.LoadBalancer

// Attribute keys read back after creation.
const (
	// AttrCrossZone is on when its value is "true".
	AttrCrossZone = "load_balancing.cross_zone.enabled"
	// attrPrivateLinkEnforcement applies only to a load balancer with
	// security groups; without them no rule can drop PrivateLink traffic.
	attrPrivateLinkEnforcement = "enforce_security_group_inbound_rules_on_private_link_traffic"
)

// Run checks that the request's subnets cover every availability zone of the
// region, then finds or creates the load balancer. It turns cross-zone load
// balancing on and reads it back, adds the request's subnets in zones that
// an existing load balancer lacks, and creates the TCP listener. It returns NotReady while
// the load balancer is provisioning and until at least one target is
// healthy, because an endpoint service in front of an unhealthy target
// accepts connections that go nowhere.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	tg := in.Resources.TargetGroup
	if tg == nil {
		return Output{}, workflow.Invalid("load balancer needs the target group; run the target_group step first")
	}
	names := workflow.NamesFor(req)
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Output{}, err
	}
	// The check comes before any load balancer is created or changed,
	// because an endpoint service keeps the zones that its load balancer
	// has when they are associated.
	warning, err := awszones.Check(ctx, network, req, in.Execution)
	if err != nil {
		return Output{}, err
	}
	if warning.Detail != "" && env.Logger != nil {
		env.Logger.Warn("subnets miss availability zones of the region; the run goes on because the endpoint service exists",
			"execution", in.Execution, "detail", warning.Detail, "fix", warning.Fix)
	}

	lb, err := network.FindLoadBalancer(ctx, names.LoadBalancer)
	if err != nil {
		return Output{}, fmt.Errorf("find load balancer %s: %w", names.LoadBalancer, err)
	}
	if lb == nil {
		if err := awszones.CheckVPC(ctx, network, *req.AWS, in.Execution); err != nil {
			return Output{}, err
		}
		created, err := network.CreateLoadBalancer(ctx, cloud.LoadBalancerSpec{
			Name:      names.LoadBalancer,
			RequestID: req.ID,
			SubnetIDs: req.AWS.SubnetIDs,
			Tags:      map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return Output{}, fmt.Errorf("create load balancer %s: %w", names.LoadBalancer, err)
		}
		lb = &created
	}
	if !strings.EqualFold(lb.Scheme, "") && !strings.EqualFold(lb.Scheme, "internal") {
		return Output{}, workflow.Errorf(workflow.ErrConflict, "load balancer %s is %s, not internal; delete it so that an internal one is created", lb.ARN, lb.Scheme)
	}
	if err := checkSecurityGroups(ctx, network, lb); err != nil {
		return Output{}, err
	}
	if err := ensureCrossZone(ctx, network, lb.ARN); err != nil {
		return Output{}, err
	}

	switch strings.ToLower(lb.State) {
	case "active":
	case "provisioning", "":
		return Output{}, workflow.NotReady("load balancer %s is %s; waiting for active", names.LoadBalancer, orUnknown(lb.State))
	default:
		return Output{}, workflow.Errorf(workflow.ErrConflict, "load balancer %s is %s; check its subnets and delete it so that it is created again", lb.ARN, lb.State)
	}
	widened, err := addMissingSubnets(ctx, network, lb, req.AWS.SubnetIDs)
	if err != nil {
		return Output{}, err
	}

	listener, err := network.FindListener(ctx, lb.ARN, proxyvm.ProxyPort)
	if err != nil {
		return Output{}, fmt.Errorf("find listener on %s: %w", lb.ARN, err)
	}
	listenerAction := workflow.Adopted
	if listener == nil {
		created, err := network.CreateListener(ctx, lb.ARN, tg.ID, proxyvm.ProxyPort)
		if err != nil {
			if errors.Is(err, cloud.ErrNotFound) {
				if deleted := targetgroup.CheckDeleted(ctx, network, names.TargetGroup, tg.ID); deleted != nil {
					return Output{}, deleted
				}
			}
			return Output{}, fmt.Errorf("create TCP listener on %s: %w", lb.ARN, err)
		}
		listener = &created
		listenerAction = workflow.Created
	}
	if listener.TargetGroupARN != "" && listener.TargetGroupARN != tg.ID {
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"listener %s forwards to target group %s, but the target_group step returned %s, so the health check would wait on a group that gets no traffic; delete the listener so that one to %s is created, then redrive",
			listener.ARN, listener.TargetGroupARN, tg.ID, tg.ID)
	}
	if !strings.EqualFold(listener.Protocol, "TCP") {
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"listener %s uses %s, which terminates or inspects TLS before the proxy; delete it so that a TCP listener is created", listener.ARN, listener.Protocol)
	}
	healthy, err := checkHealthy(ctx, network, tg.ID)
	if err != nil {
		if errors.Is(err, cloud.ErrNotFound) {
			if deleted := targetgroup.CheckDeleted(ctx, network, names.TargetGroup, tg.ID); deleted != nil {
				return Output{}, deleted
			}
		}
		return Output{}, err
	}
	action := workflow.ActionFor(lb.Tags, in.Execution)
	if widened && action == workflow.Adopted {
		action = workflow.Updated
	}
	// A listener carries no tags, so one on a load balancer that this
	// execution created counts as created too, as after a retried step.
	if action == workflow.Created {
		listenerAction = workflow.Created
	}
	return Output{
		Result: workflow.Result{
			Action:  action,
			ID:      lb.ARN,
			Related: []workflow.Result{{Action: listenerAction, ID: listener.ARN}},
		},
		ListenerARN:   listener.ARN,
		DNSName:       lb.DNSName,
		HealthyTarget: healthy,
	}, nil
}

// checkHealthy returns the first healthy target of the group as ID:port,
// or NotReady until one is healthy.
func checkHealthy(ctx context.Context, network cloud.AWSNetwork, targetGroupARN string) (string, error) {
	health, err := network.TargetHealth(ctx, targetGroupARN)
	if err != nil {
		return "", fmt.Errorf("read target health of %s: %w", targetGroupARN, err)
	}
	states := make([]string, 0, len(health))
	for _, target := range health {
		if strings.EqualFold(target.State, "healthy") {
			return target.ID + ":" + strconv.Itoa(target.Port), nil
		}
		states = append(states, target.ID+" "+target.State)
	}
	if len(states) == 0 {
		states = append(states, "no target registered")
	}
	return "", workflow.NotReady("no healthy target behind the load balancer yet (%s); waiting for the proxy to pass the TCP health check", strings.Join(states, ", "))
}

// checkSecurityGroups rejects a load balancer whose security groups would
// filter PrivateLink traffic.
func checkSecurityGroups(ctx context.Context, network cloud.AWSNetwork, lb *cloud.LoadBalancer) error {
	if len(lb.SecurityGroups) == 0 {
		return nil
	}
	attrs, err := network.LoadBalancerAttributes(ctx, lb.ARN)
	if err != nil {
		return fmt.Errorf("read attributes of %s: %w", lb.ARN, err)
	}
	if attrs[attrPrivateLinkEnforcement] == "off" {
		return nil
	}
	return workflow.Errorf(workflow.ErrConflict,
		"load balancer %s has security groups that filter PrivateLink traffic; turn enforcement of inbound rules on PrivateLink traffic off, or delete it so that one without security groups is created", lb.ARN)
}

// ensureCrossZone turns cross-zone load balancing on and reads it back, so
// that Snowflake's endpoint reaches the proxy from every zone.
func ensureCrossZone(ctx context.Context, network cloud.AWSNetwork, arn string) error {
	attrs, err := network.LoadBalancerAttributes(ctx, arn)
	if err != nil {
		return fmt.Errorf("read attributes of %s: %w", arn, err)
	}
	if attrs[AttrCrossZone] == "true" {
		return nil
	}
	if err := network.SetLoadBalancerAttributes(ctx, arn, map[string]string{AttrCrossZone: "true"}); err != nil {
		return fmt.Errorf("turn on cross-zone load balancing on %s: %w", arn, err)
	}
	attrs, err = network.LoadBalancerAttributes(ctx, arn)
	if err != nil {
		return fmt.Errorf("read attributes of %s: %w", arn, err)
	}
	if attrs[AttrCrossZone] != "true" {
		return workflow.NotReady("cross-zone load balancing on %s reads %q after it was set; waiting for it to apply", arn, attrs[AttrCrossZone])
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "not visible yet"
	}
	return s
}
