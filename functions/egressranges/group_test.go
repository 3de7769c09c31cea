package egressranges

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// missingGroupFirewall fails every call as the AWS adapter does for a
// security group that EC2 does not find.
type missingGroupFirewall struct{}

func (missingGroupFirewall) IngressRanges(context.Context, cloud.FirewallTarget) ([]string, error) {
	return nil, nil
}

func (missingGroupFirewall) SetIngressRanges(_ context.Context, target cloud.FirewallTarget, _ []string) (cloud.FirewallChange, error) {
	return cloud.FirewallChange{}, fmt.Errorf("aws: authorize ingress on %s: InvalidGroup.NotFound: %w", target.SecurityGroupID, cloud.ErrInvalidSecurityGroup)
}

func TestRunNamesMissingGroup(t *testing.T) {
	conn := &fakeConn{value: awsOutput}
	env := newEnv(conn, nil, new([]string))
	env.Firewall = func(context.Context, string) (cloud.Firewall, error) { return missingGroupFirewall{}, nil }

	_, err := Run(t.Context(), env, workflow.Document{Request: egressRequest(), Execution: "exec-1"})
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("Run = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.egress.security_group_id", "sg-0123456789abcdef0", "InvalidGroup.NotFound"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !strings.Contains(err.Error(), "run 'repolink teardown exec-1'") {
		t.Errorf("error %q does not advise the teardown of exec-1 first", err)
	}
	if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("NeedsTeardownFirst is false for %q", err)
	}
}

// groupNetwork is an AWS network whose EC2 has the security groups of
// groups, by ID, in every region.
type groupNetwork struct {
	cloud.AWSNetwork
	groups []string
}

func (n groupNetwork) SecurityGroups(_ context.Context, ids []string) ([]cloud.SecurityGroup, error) {
	var out []cloud.SecurityGroup
	for _, id := range ids {
		if !slices.Contains(n.groups, id) {
			return nil, fmt.Errorf("aws: describe security groups: InvalidGroup.NotFound: The security group '%s' does not exist: %w", id, cloud.ErrInvalidSecurityGroup)
		}
		out = append(out, cloud.SecurityGroup{ID: id, VPCID: "vpc-0123456789abcdef0"})
	}
	return out, nil
}

func TestCheckGroupNamesMissingGroup(t *testing.T) {
	env := newEnv(&fakeConn{value: awsOutput}, &fakeFirewall{}, new([]string))
	env.AWS = func(context.Context, string) (cloud.AWSNetwork, error) { return groupNetwork{}, nil }

	err := CheckGroup(t.Context(), env, egressRequest(), "")
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("CheckGroup = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.egress.security_group_id sg-0123456789abcdef0", "$.egress.region us-west-2", "InvalidGroup.NotFound", "Set $.egress.security_group_id"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// Before a run there is nothing to tear down.
	if strings.Contains(err.Error(), "teardown") {
		t.Errorf("error %q advises a teardown before anything was built", err)
	}
}

func TestCheckGroupPasses(t *testing.T) {
	env := newEnv(&fakeConn{value: awsOutput}, &fakeFirewall{}, new([]string))
	env.AWS = func(context.Context, string) (cloud.AWSNetwork, error) {
		return groupNetwork{groups: []string{"sg-0123456789abcdef0"}}, nil
	}
	if err := CheckGroup(t.Context(), env, egressRequest(), ""); err != nil {
		t.Errorf("CheckGroup of an existing group = %v, want nil", err)
	}

	req := egressRequest()
	req.Egress = &request.Egress{Cloud: "gcp", Project: "corp-net", Network: "default"}
	env.AWS = nil
	if err := CheckGroup(t.Context(), env, req, ""); err != nil {
		t.Errorf("CheckGroup of a gcp egress block = %v, want nil", err)
	}
}
