package awszones

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/awssandbox"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestCheckVPCOtherVPC(t *testing.T) {
	_, provider, sim := awssandbox.StartSim(t)
	for id, zone := range map[string]string{"subnet-0a": "us-west-2a", "subnet-0b": "us-west-2b"} {
		if err := sim.AddSubnet(id, "vpc-0abc", zone); err != nil {
			t.Fatal(err)
		}
	}
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0000000000000dead", SubnetIDs: []string{"subnet-0a", "subnet-0b"}}

	// Preflight passes no execution, because it builds nothing and a
	// changed request is accepted then.
	err := CheckVPC(t.Context(), provider, aws, "")
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("CheckVPC = %v, want InvalidRequest", err)
	}
	for _, want := range []string{VPCField, "vpc-0000000000000dead", Field, "subnet-0a is in vpc-0abc", "subnet-0b is in vpc-0abc"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("error without an execution %q advises a teardown", err)
	}

	err = CheckVPC(t.Context(), provider, aws, "DATA-4711")
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("CheckVPC in a step = %v, want InvalidRequest", err)
	}
	if !strings.Contains(err.Error(), "run 'repolink teardown DATA-4711'") {
		t.Errorf("error %q does not advise the teardown of DATA-4711 first", err)
	}
	if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("NeedsTeardownFirst is false for %q", err)
	}
}

func TestCheckVPCSameVPC(t *testing.T) {
	_, provider, sim := awssandbox.StartSim(t)
	if err := sim.AddSubnet("subnet-0a", "vpc-0abc", "us-west-2a"); err != nil {
		t.Fatal(err)
	}
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-0a"}}
	if err := CheckVPC(t.Context(), provider, aws, "DATA-4711"); err != nil {
		t.Errorf("CheckVPC with a subnet of aws.vpc_id: %v", err)
	}
}

func TestReadSubnetsOtherRegion(t *testing.T) {
	_, provider, sim := awssandbox.StartSim(t)
	// The subnet is in us-east-1, while the adapter calls us-west-2.
	if err := sim.EnsureSubnet("subnet-0e", "vpc-0abc", "us-east-1a"); err != nil {
		t.Fatal(err)
	}
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-0e"}}

	_, err := ReadSubnets(t.Context(), provider, aws, "")
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("ReadSubnets = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"InvalidSubnetID.NotFound", "another region than $.aws.region us-west-2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("error without an execution %q advises a teardown", err)
	}

	_, err = ReadSubnets(t.Context(), provider, aws, "DATA-4711")
	if !strings.Contains(err.Error(), "run 'repolink teardown DATA-4711'") {
		t.Errorf("error %q does not advise the teardown of DATA-4711 first", err)
	}
	if !workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("NeedsTeardownFirst is false for %q", err)
	}
}
