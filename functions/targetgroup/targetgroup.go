// Package targetgroup creates the TCP target group with an explicit TCP
// health check and registers the proxy VM in it.
package targetgroup

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the target group with the proxy registered.
type Output = workflow.TargetGroup

// Run finds or creates the target group and registers the proxy instance.
// Health is checked by the load balancer step, since a target group that no
// listener uses reports its targets as unused.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	vm := in.Resources.ProxyVM
	if vm == nil {
		return Output{}, workflow.Invalid("target group needs the proxy VM; run the proxy_vm step first")
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
			Name:      names.TargetGroup,
			RequestID: req.ID,
			VPCID:     req.AWS.VPCID,
			Port:      proxyvm.ProxyPort,
			Tags:      map[string]string{cloud.TagExecution: in.Execution},
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

	if err := network.RegisterTarget(ctx, tg.ARN, vm.ID, proxyvm.ProxyPort); err != nil {
		return Output{}, fmt.Errorf("register %s in target group %s: %w", vm.ID, tg.ARN, err)
	}
	return Output{Result: workflow.Result{Action: workflow.ActionFor(tg.Tags, in.Execution), ID: tg.ARN}}, nil
}
