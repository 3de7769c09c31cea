package egressranges

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
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
