// Package teardownegress removes the firewall rules that the egress-ip
// route added for a request.
package teardownegress

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/functions/egressranges"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the firewall and the other requests that still rely on rules
// that the teardown kept.
type Output struct {
	workflow.Result
	KeptFor []string `json:"kept_for,omitempty"`
}

// Run makes the request stop relying on the rules of the repository
// firewall and leaves the other rules alone. It deletes the rules that only
// the request relied on and keeps those that another request or an
// administrator still relies on. It reports deleted when it deleted a rule
// and skipped otherwise, so a second run changes nothing.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	if req.Egress == nil {
		return Output{}, workflow.Invalid("the egress-ip route needs the egress block; set $.egress.cloud and the firewall fields")
	}
	firewall, err := env.Firewall(ctx, req.Egress.Cloud)
	if err != nil {
		return Output{}, err
	}
	target := egressranges.Target(req)
	id := egressranges.TargetID(target)
	// Setting no ranges also releases rules on a port that the request no
	// longer names, which IngressRanges does not list.
	change, err := firewall.SetIngressRanges(ctx, target, nil)
	if err != nil {
		return Output{}, fmt.Errorf("remove the rules of %s: %w", id, err)
	}
	out := Output{Result: workflow.Result{Action: workflow.Skipped, ID: id}, KeptFor: change.OtherRequests}
	if len(change.Removed) > 0 {
		out.Action = workflow.Deleted
	}
	if len(change.Kept) > 0 && env.Logger != nil {
		env.Logger.Info("kept firewall rules that other requests or administrators rely on",
			"request", req.ID, "firewall", id, "ranges", change.Kept, "other_requests", change.OtherRequests)
	}
	return out, nil
}
