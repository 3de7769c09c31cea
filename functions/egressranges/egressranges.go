// Package egressranges opens the repository's firewall to Snowflake's egress
// IP ranges for the egress-ip route, and keeps it in step with them when it
// runs again on a schedule.
package egressranges

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the firewall and the ranges it allows.
type Output = workflow.EgressRanges

// Statement reads the ranges. It passes no argument, because the optional
// argument, which hides the comments of the Azure output, is not needed:
// Parse removes the comments itself.
const Statement = "SELECT SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES()"

// Run reads the egress ranges, keeps those in effect, and makes the
// firewall rules that the request relies on allow exactly them on the
// repository port. It reports created when the request had no rules yet,
// updated when the set or another property of its rules changed, and
// adopted when everything was already right or when rules of other
// requests or administrators already allowed every range. It reports
// skipped and changes nothing when env.TornDown names a teardown of the
// request that no provision run followed.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	if req.Egress == nil {
		return Output{}, workflow.Invalid("the egress-ip route needs the egress block; set $.egress.cloud and the firewall fields")
	}
	skipped, err := skipTornDown(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	if skipped != nil {
		return *skipped, nil
	}
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return Output{}, err
	}
	ranges, err := Read(ctx, conn)
	if err != nil {
		return Output{}, err
	}
	now := time.Now()
	if env.Now != nil {
		now = env.Now()
	}
	cidrs, next, err := Effective(ranges, now)
	if err != nil {
		return Output{}, err
	}
	if len(cidrs) == 0 {
		// An empty set would remove every rule and lock Snowflake out.
		return Output{}, workflow.Errorf(workflow.ErrRejected,
			"SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES lists no range in effect on %s; check that the account's cloud and region publish egress ranges, and that the role may call the function",
			now.UTC().Format(time.RFC3339))
	}

	firewall, err := env.Firewall(ctx, req.Egress.Cloud)
	if err != nil {
		return Output{}, err
	}
	target := Target(req)
	id := TargetID(target)
	before, err := firewall.IngressRanges(ctx, target)
	if err != nil {
		return Output{}, groupError(req, in.Execution, fmt.Errorf("read the rules of %s: %w", id, err))
	}
	// SetIngressRanges runs even when the ranges on the port are right,
	// because a rule may still target the wrong tags, or a rule may be
	// left on a port that the request named before.
	change, err := firewall.SetIngressRanges(ctx, target, cidrs)
	if err != nil {
		return Output{}, groupError(req, in.Execution, fmt.Errorf("allow Snowflake's egress ranges on %s: %w", id, err))
	}
	action := workflow.Adopted
	if changed(change) {
		action = firstAction(before, change)
	}
	if len(change.Adopted) > 0 && env.Logger != nil {
		env.Logger.Info("adopted firewall rules that already allowed egress ranges",
			"request", req.ID, "firewall", id, "ranges", change.Adopted, "other_requests", change.OtherRequests)
	}

	out := Output{Result: workflow.Result{Action: action, ID: id}, Ranges: cidrs}
	if !next.IsZero() {
		out.NextChange = next.UTC().Format(time.RFC3339)
	}
	return out, nil
}

// CheckGroup returns the InvalidRequest of Run for an AWS
// egress.security_group_id that EC2 does not find, and nil for other clouds.
// Preflight runs it with execution "". It calls DescribeSecurityGroups,
// because a rule read with a group-id filter returns no error for a missing
// group. Run finds the group missing only when AuthorizeSecurityGroupIngress
// fails, because the firewall role of the Lambda deployment may not call
// DescribeSecurityGroups.
func CheckGroup(ctx context.Context, env *workflow.Env, req request.Request, execution string) error {
	e := req.Egress
	if e == nil || e.Cloud != "aws" || e.SecurityGroupID == "" {
		return nil
	}
	network, err := env.AWS(ctx, e.Region)
	if err != nil {
		return err
	}
	if _, err := network.SecurityGroups(ctx, []string{e.SecurityGroupID}); err != nil {
		return groupError(req, execution, fmt.Errorf("read security group %s: %w", e.SecurityGroupID, err))
	}
	return nil
}

// groupError returns an InvalidRequest naming egress.security_group_id when
// EC2 does not find the security group, and err otherwise. The fix is
// another group, which repolink rejects while the resources of execution
// exist, so for a run the message ends with the teardown that must come
// first.
func groupError(req request.Request, execution string, err error) error {
	if !errors.Is(err, cloud.ErrInvalidSecurityGroup) {
		return err
	}
	return workflow.Invalid("$.egress.security_group_id %s is not a security group of $.egress.region %s: %v. "+
		"Set $.egress.security_group_id to the group in front of the repository%s",
		req.Egress.SecurityGroupID, req.Egress.Region, err, workflow.PlacementChangeNote("$.egress.security_group_id", execution))
}

// changed reports whether SetIngressRanges changed a rule or which rules
// the request relies on.
func changed(change cloud.FirewallChange) bool {
	return change.Updated || len(change.Added) > 0 || len(change.Adopted) > 0 ||
		len(change.Removed) > 0 || len(change.Kept) > 0
}

// firstAction returns the action of a run that changed the rules: updated
// when the request relied on rules before, adopted when it now relies only
// on rules that it did not create, and created otherwise.
func firstAction(before []string, change cloud.FirewallChange) string {
	switch {
	case len(before) > 0:
		return workflow.Updated
	case len(change.Added) == 0 && len(change.Adopted) > 0:
		return workflow.Adopted
	}
	return workflow.Created
}

// Read runs Statement and parses its one value.
func Read(ctx context.Context, conn snowflake.Conn) ([]Range, error) {
	raw, err := snowflake.Scalar(ctx, conn, Statement)
	if err != nil {
		return nil, fmt.Errorf("read SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES: %w", err)
	}
	return Parse(raw)
}

// Target returns the firewall that the request's egress block names.
func Target(req request.Request) cloud.FirewallTarget {
	e := req.Egress
	port := e.Port
	if port == 0 {
		port = request.DefaultEgressPortFor(req.Repository.IndexURL)
	}
	return cloud.FirewallTarget{
		RequestID:              req.ID,
		Port:                   port,
		AWSRegion:              e.Region,
		SecurityGroupID:        e.SecurityGroupID,
		NetworkSecurityGroupID: e.NetworkSecurityGroupID,
		Project:                e.Project,
		Network:                e.Network,
		TargetTags:             e.TargetTags,
	}
}

// TargetID names the firewall in results and messages: the security group,
// the network security group, or projects/<project>/global/networks/<network>.
func TargetID(t cloud.FirewallTarget) string {
	switch {
	case t.SecurityGroupID != "":
		return t.SecurityGroupID
	case t.NetworkSecurityGroupID != "":
		return t.NetworkSecurityGroupID
	}
	return "projects/" + t.Project + "/global/networks/" + t.Network
}

// skipTornDown returns the skipped result of a request whose latest
// teardown succeeded and that no provision run followed, and nil for any
// other request. A refresh of such a request would add the rules that the
// teardown removed, such as from a schedule that still names the request.
func skipTornDown(ctx context.Context, env *workflow.Env, req request.Request) (*Output, error) {
	if env.TornDown == nil {
		return nil, nil
	}
	teardown, err := env.TornDown(ctx, req.ID)
	if err != nil {
		return nil, fmt.Errorf("look up the latest teardown of request %s: %w", req.ID, err)
	}
	if teardown == "" {
		return nil, nil
	}
	return &Output{Result: workflow.Result{Action: workflow.Skipped, ID: TargetID(Target(req)),
		Reason: fmt.Sprintf("teardown %s of request %s succeeded and no provision run of the request started since, "+
			"so the firewall keeps no rule for it; run the request again to open the firewall to Snowflake", teardown, req.ID)}}, nil
}
