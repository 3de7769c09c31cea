package plan

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// launchRejectingNetwork is a readOnlyNetwork whose region has no instance
// type, as EC2 responds for a type such as t3.nano that a region lacks.
type launchRejectingNetwork struct{ *readOnlyNetwork }

func (n launchRejectingNetwork) InstanceTypeArchitectures(context.Context, string) ([]string, error) {
	return nil, workflow.Invalid("$.aws.instance_type is not an instance type of the region")
}

func TestPlanPreflightChecks(t *testing.T) {
	tests := []struct {
		name    string
		region  string
		network func(*readOnlyNetwork) cloud.AWSNetwork
		check   string
		want    string
	}{
		{"region of another account", "eu-west-1", nil, "account_region", "$.aws.region is eu-west-1"},
		{"instance type the region lacks", "us-west-2", func(n *readOnlyNetwork) cloud.AWSNetwork { return launchRejectingNetwork{n} },
			"proxy_vm_launch", "$.aws.instance_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := exampleRequest(t)
			req.AWS.Region = tt.region
			base := &readOnlyNetwork{t: t}
			conn := &readOnlyConn{t: t, objects: map[string]snowflake.Row{"SECRETS": nil, "API INTEGRATIONS": nil, "ARTIFACT REPOSITORIES": nil},
				endpoints: "[]", principal: snowflakePrincipal}
			e := env(base, conn, nil)
			if tt.network != nil {
				e = env(tt.network(base), conn, nil)
			}

			r := Plan(context.Background(), e, req)

			var found *Item
			for i, it := range r.Items {
				if it.Step == "preflight" && it.Name == tt.check {
					found = &r.Items[i]
				}
			}
			if found == nil {
				t.Fatalf("plan has no preflight item %s: %+v", tt.check, r.Items)
			}
			if found.State != Conflict {
				t.Errorf("state = %s, want %s", found.State, Conflict)
			}
			if !found.InvalidRequest {
				t.Error("InvalidRequest = false, want true")
			}
			if !strings.Contains(found.Detail, tt.want) {
				t.Errorf("detail %q does not contain %q", found.Detail, tt.want)
			}
			if r.Summary.Conflict == 0 {
				t.Error("summary counts no conflict")
			}
			if !r.RequestAtFault() {
				t.Error("RequestAtFault = false, want true")
			}
		})
	}
}

func TestPlanPreflightChecksPass(t *testing.T) {
	req := exampleRequest(t)
	conn := &readOnlyConn{t: t, objects: map[string]snowflake.Row{"SECRETS": nil, "API INTEGRATIONS": nil, "ARTIFACT REPOSITORIES": nil},
		endpoints: "[]", principal: snowflakePrincipal}

	r := Plan(context.Background(), env(&readOnlyNetwork{t: t}, conn, nil), req)

	for _, it := range r.Items {
		if it.Step == "preflight" {
			t.Errorf("plan of a valid request has preflight item %+v", it)
		}
	}
	if r.RequestAtFault() {
		t.Error("RequestAtFault = true for a plan without conflicts")
	}
}

// TestPlanPreflightChecksLoginFails checks that a failed Snowflake login,
// even one that is the request's fault, leaves the preflight checks that
// log in without an item, because the Snowflake items show it as Unknown.
func TestPlanPreflightChecksLoginFails(t *testing.T) {
	req := exampleRequest(t)
	req.AWS.Region = "eu-west-1"
	loginErr := workflow.Invalid("read snowflake.private_key_ref: secret not found")

	r := Plan(context.Background(), env(&readOnlyNetwork{t: t}, nil, loginErr), req)

	for _, it := range r.Items {
		if it.Step == "preflight" && (it.Name == "snowflake_location" || it.Name == "account_region") {
			t.Errorf("plan without a Snowflake login has preflight item %+v", it)
		}
	}
	if r.RequestAtFault() {
		t.Error("RequestAtFault = true for a plan whose only failure is the login")
	}
}
