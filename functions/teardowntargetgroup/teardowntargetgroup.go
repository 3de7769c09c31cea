// Package teardowntargetgroup deletes the request's target group.
package teardowntargetgroup

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the target group.
type Output = workflow.Result

// Run deletes the target group of the request's deterministic name. It
// deletes only a group tagged with the request ID, and returns NotReady
// while a listener or a load balancer being deleted still uses it.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
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
		return Output{Action: workflow.Skipped, ID: names.TargetGroup}, nil
	}
	if err := cloudresource.CheckDelete("target group", tg.ARN, tg.Tags, req.ID); err != nil {
		return Output{}, err
	}
	if err := network.DeleteTargetGroup(ctx, tg.ARN); err != nil {
		return Output{}, fmt.Errorf("delete target group %s: %w", tg.ARN, err)
	}
	return Output{Action: workflow.Deleted, ID: tg.ARN}, nil
}
