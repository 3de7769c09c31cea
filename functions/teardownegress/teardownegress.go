// Package teardownegress removes the firewall rules that the egress-ip
// route added for a request.
package teardownegress

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/functions/egressranges"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the firewall.
type Output = workflow.Result

// Run removes every rule of the request from the repository firewall and
// leaves the other rules alone. It reports skipped when the request had no
// rule on its port.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	if req.Egress == nil {
		return Output{}, workflow.Invalid("the egress-ip route needs the egress block; set egress.cloud and the firewall fields")
	}
	firewall, err := env.Firewall(ctx, req.Egress.Cloud)
	if err != nil {
		return Output{}, err
	}
	target := egressranges.Target(req)
	id := egressranges.TargetID(target)
	ranges, err := firewall.IngressRanges(ctx, target)
	if err != nil {
		return Output{}, fmt.Errorf("read the rules of %s: %w", id, err)
	}
	// Setting no ranges also removes rules on a port that the request no
	// longer names, which IngressRanges does not list.
	if err := firewall.SetIngressRanges(ctx, target, nil); err != nil {
		return Output{}, fmt.Errorf("remove the rules of %s: %w", id, err)
	}
	if len(ranges) == 0 {
		return Output{Action: workflow.Skipped, ID: id}, nil
	}
	return Output{Action: workflow.Deleted, ID: id}, nil
}
