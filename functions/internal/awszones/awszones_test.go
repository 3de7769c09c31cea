package awszones

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/awssandbox"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestCheckMissingZone(t *testing.T) {
	_, provider, sim := awssandbox.StartSim(t)
	if err := sim.SetZoneCount(4); err != nil {
		t.Fatal(err)
	}
	// The VPC has a subnet in us-west-2c (usw2-az3) and none in us-west-2d.
	if err := sim.AddSubnet("subnet-0c", "vpc-0abc", "us-west-2c"); err != nil {
		t.Fatal(err)
	}
	req := request.Request{ID: "DATA-1", AWS: &request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-0a", "subnet-0b"}}}

	_, err := Check(t.Context(), provider, req, "")
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("Check = %v, want InvalidRequest", err)
	}
	msg := err.Error()
	for _, want := range []string{"usw2-az3", "usw2-az4", Field, "subnet-0c", "usw2-az4 has no subnet in vpc-0abc"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	for _, covered := range []string{"usw2-az1", "usw2-az2"} {
		if strings.Contains(msg, covered) {
			t.Errorf("error %q names %s, which the subnets cover", msg, covered)
		}
	}
}

func TestCheckAllZonesCovered(t *testing.T) {
	_, provider, sim := awssandbox.StartSim(t)
	if err := sim.SetZoneCount(3); err != nil {
		t.Fatal(err)
	}
	req := request.Request{ID: "DATA-1", AWS: &request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-0a", "subnet-0b", "subnet-0c"}}}
	warning, err := Check(t.Context(), provider, req, "")
	if err != nil {
		t.Errorf("Check with a subnet in each of three zones: %v", err)
	}
	if warning != (Warning{}) {
		t.Errorf("Check with a subnet in each of three zones warned %+v", warning)
	}
}

// TestCheckBuiltServiceWarns gives the region a zone that the request's
// subnets miss after its endpoint service exists. A rerun must go on with a
// warning, because Snowflake's endpoint already uses the service's zones.
func TestCheckBuiltServiceWarns(t *testing.T) {
	_, provider, sim := awssandbox.StartSim(t)
	req := request.Request{ID: "DATA-1", AWS: &request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-0a", "subnet-0b"}}}
	lb, err := provider.CreateLoadBalancer(t.Context(), cloud.LoadBalancerSpec{Name: "rl-data-1", RequestID: req.ID, SubnetIDs: req.AWS.SubnetIDs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.CreateEndpointService(t.Context(), req.ID, lb.ARN, "token-1"); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetZoneCount(3); err != nil {
		t.Fatal(err)
	}

	warning, err := Check(t.Context(), provider, req, "")
	if err != nil {
		t.Fatalf("Check after the endpoint service exists: %v, want a warning only", err)
	}
	if !strings.Contains(warning.Detail, "usw2-az3") {
		t.Errorf("warning detail %q does not name the new zone usw2-az3", warning.Detail)
	}
	if !strings.Contains(warning.Fix, "aws.subnet_ids") {
		t.Errorf("warning fix %q does not name the field to change", warning.Fix)
	}
	if strings.Contains(warning.Detail, "Add one subnet") {
		t.Errorf("warning detail %q repeats the fix", warning.Detail)
	}
}

// TestCheckRepeatedZone gives the request two subnets in one zone, which a
// network load balancer rejects, so Check fails even after the endpoint
// service exists.
func TestCheckRepeatedZone(t *testing.T) {
	_, provider, sim := awssandbox.StartSim(t)
	for id, zone := range map[string]string{"subnet-0a": "us-west-2a", "subnet-0b": "us-west-2b", "subnet-0c": "us-west-2a"} {
		if err := sim.AddSubnet(id, "vpc-0abc", zone); err != nil {
			t.Fatal(err)
		}
	}
	req := request.Request{ID: "DATA-1", AWS: &request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-0a", "subnet-0b", "subnet-0c"}}}
	_, err := Check(t.Context(), provider, req, "")
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("Check = %v, want InvalidRequest", err)
	}
	msg := err.Error()
	for _, want := range []string{Field, "usw2-az1 (us-west-2a) has subnet-0a, subnet-0c", "keep one subnet of each zone"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "usw2-az2") {
		t.Errorf("error %q names usw2-az2, which has one subnet", msg)
	}

	lb, err := provider.CreateLoadBalancer(t.Context(), cloud.LoadBalancerSpec{Name: "rl-data-1", RequestID: req.ID, SubnetIDs: []string{"subnet-0a", "subnet-0b"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.CreateEndpointService(t.Context(), req.ID, lb.ARN, "token-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(t.Context(), provider, req, ""); workflow.NameOf(err) != workflow.ErrInvalidRequest {
		t.Errorf("Check after the endpoint service exists = %v, want InvalidRequest", err)
	}
}
