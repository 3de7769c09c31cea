// Package teardownegress removes the firewall rules that the egress-ip
// route added for a request.
package teardownegress

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/egressranges"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the firewall and the other requests that still rely on rules
// that the teardown kept.
type Output struct {
	workflow.Result
	KeptFor []string `json:"kept_for,omitempty"`
	// Kept lists the kept rules when the teardown also deleted some, so
	// that the teardown summary prints a kept line for them. When it kept
	// every rule, the action is kept and Reason contains the same text.
	Kept []Kept `json:"kept,omitempty"`
}

// Kept is a set of firewall rules that the teardown left in place, with
// the reason.
type Kept struct {
	// Type is "firewall rules".
	Type string `json:"type"`
	// Name is the firewall and the ranges of the rules, such as
	// "sg-0abc 192.0.2.0/24, 198.51.100.0/25".
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Run makes the request stop relying on the rules of the repository
// firewall and leaves the other rules alone. It deletes the rules that only
// the request relied on and keeps those that another request or an
// administrator still relies on. It reports deleted when it deleted a rule,
// kept when it kept every rule, and skipped when it found none, so a second
// run changes nothing.
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
	reason := keptReason(change)
	switch {
	case len(change.Removed) > 0 && len(change.Kept) > 0:
		out.Action = workflow.Deleted
		out.Kept = []Kept{{Type: "firewall rules", Name: id + " " + strings.Join(change.Kept, ", "), Reason: reason}}
	case len(change.Removed) > 0:
		out.Action = workflow.Deleted
	case len(change.Kept) > 0:
		out.Action, out.Reason = workflow.Kept, "rules for "+strings.Join(change.Kept, ", ")+" "+reason
	}
	if len(change.Kept) > 0 && env.Logger != nil {
		env.Logger.Info("kept firewall rules that other requests or administrators rely on",
			"request", req.ID, "firewall", id, "ranges", change.Kept, "other_requests", change.OtherRequests)
	}
	return out, nil
}

// keptReason returns who still relies on the kept rules of change: the other
// requests by ID, or otherwise the administrator who added them outside
// repolink.
func keptReason(change cloud.FirewallChange) string {
	switch len(change.OtherRequests) {
	case 0:
		return "kept because their owner outside repolink still relies on them"
	case 1:
		return "kept for " + change.OtherRequests[0] + ", which still relies on them"
	}
	return "kept for " + strings.Join(change.OtherRequests, ", ") + ", which still rely on them"
}
