// Package targetgroup creates the TCP target group with an explicit TCP
// health check and registers the proxy VM in it, or the repository itself
// when the request has no proxy.
package targetgroup

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the target group with the proxy registered.
type Output = workflow.TargetGroup

// Run finds or creates the target group and registers the proxy instance,
// or with proxy none the repository's IP address, in a group of type ip.
// Health is checked by the load balancer step, since a target group that no
// listener uses reports its targets as unused.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	target, err := targetFor(in)
	if err != nil {
		return Output{}, err
	}
	names := workflow.NamesFor(req)
	network, err := env.AWS(ctx, req.AWS.Region)
	if err != nil {
		return Output{}, err
	}

	tg, err := network.FindTargetGroup(ctx, names.TargetGroup)
	if err != nil {
		return Output{}, fmt.Errorf("find target group %s: %w", names.TargetGroup, err)
	}
	if tg == nil {
		created, err := network.CreateTargetGroup(ctx, cloud.TargetGroupSpec{
			Name:       names.TargetGroup,
			RequestID:  req.ID,
			VPCID:      req.AWS.VPCID,
			Port:       target.port,
			TargetType: target.kind,
			Tags:       map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return Output{}, fmt.Errorf("create target group %s: %w", names.TargetGroup, err)
		}
		tg = &created
	}
	if tg.HealthCheckProtocol != "" && !strings.EqualFold(tg.HealthCheckProtocol, "TCP") {
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"target group %s checks health over %s, which fails against a TLS passthrough port; delete it so that a TCP-checked one is created",
			tg.ARN, tg.HealthCheckProtocol)
	}
	if tg.TargetType != "" && !strings.EqualFold(tg.TargetType, target.kind) {
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"target group %s has targets of type %s, but aws.proxy %s needs type %s; delete it so that one of the right type is created",
			tg.ARN, tg.TargetType, req.AWS.Proxy, target.kind)
	}

	if err := network.RegisterTarget(ctx, tg.ARN, target.id, target.port); err != nil {
		return Output{}, fmt.Errorf("register %s in target group %s: %w", target.id, tg.ARN, err)
	}
	return Output{Result: workflow.Result{Action: workflow.ActionFor(tg.Tags, in.Execution), ID: tg.ARN}}, nil
}

// target is the endpoint that the load balancer forwards to.
type target struct {
	kind string // instance or ip
	id   string
	port int
}

// targetFor returns the proxy instance on the proxy port, or with proxy none
// the repository's address on the port of aws.upstream.
func targetFor(in workflow.Document) (target, error) {
	req := in.Request
	if !proxyvm.Direct(req) {
		vm := in.Resources.ProxyVM
		if vm == nil || vm.ID == "" {
			return target{}, workflow.Invalid("target group needs the proxy VM; run the proxy_vm step first")
		}
		return target{kind: "instance", id: vm.ID, port: proxyvm.ProxyPort}, nil
	}
	_, portText, err := net.SplitHostPort(req.AWS.Upstream)
	port, convErr := strconv.Atoi(portText)
	if err != nil || convErr != nil || port < 1 || port > 65535 {
		return target{}, workflow.Invalid("aws.upstream %q has no valid port; use host:port, such as pypi.corp.example.com:443", req.AWS.Upstream)
	}
	if req.AWS.TargetAddress == "" {
		return target{}, workflow.Invalid("aws.proxy none needs aws.target_address, the repository's private IPv4 address")
	}
	return target{kind: "ip", id: req.AWS.TargetAddress, port: port}, nil
}
