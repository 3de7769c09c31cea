package preflight

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/awssandbox"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// The launch reads of serviceNetwork find every instance type, image and
// security group, in x86_64 and the request's VPC.

func (n serviceNetwork) InstanceTypeArchitectures(context.Context, string) ([]string, error) {
	return []string{"x86_64"}, nil
}

func (n serviceNetwork) Image(_ context.Context, id string) (cloud.Image, error) {
	return cloud.Image{ID: id, Architecture: "x86_64"}, nil
}

func (n serviceNetwork) SecurityGroups(_ context.Context, ids []string) ([]cloud.SecurityGroup, error) {
	groups := make([]cloud.SecurityGroup, 0, len(ids))
	for _, id := range ids {
		groups = append(groups, cloud.SecurityGroup{ID: id})
	}
	return groups, nil
}

func TestCheckLaunchRejects(t *testing.T) {
	env, _, sim := awssandbox.StartSim(t)
	if err := sim.EnsureSecurityGroup("sg-0a1b2c3d4e5f60999", "us-west-2", "vpc-0ffff"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*request.AWS)
		want []string
	}{
		{"arm64 type with x86_64 image", func(a *request.AWS) { a.InstanceType, a.ImageID = "t4g.micro", "ami-0a1b2c3d4e5f60101" },
			[]string{"$.aws.image_id", "$.aws.instance_type"}},
		{"unknown instance type", func(a *request.AWS) { a.InstanceType = "t9.nano" }, []string{"$.aws.instance_type", "t9.nano"}},
		{"unknown image", func(a *request.AWS) { a.ImageID = "ami-00000000000000bad" }, []string{"$.aws.image_id", "InvalidAMIID.NotFound"}},
		{"x86_64 type with arm64 parameter", func(a *request.AWS) { a.ImageID = request.DefaultImageIDARM64 },
			[]string{"$.aws.image_id", "$.aws.instance_type", request.DefaultImageIDARM64}},
		{"arm64 type with x86_64 parameter", func(a *request.AWS) {
			a.InstanceType, a.ImageID = "t4g.micro", "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64:1"
		}, []string{"$.aws.image_id", "$.aws.instance_type", "x86_64"}},
		{"unknown parameter", func(a *request.AWS) { a.ImageID = "resolve:ssm:/aws/service/no-such-image" },
			[]string{"$.aws.image_id", "/aws/service/no-such-image", "no such parameter"}},
		{"unknown security group", func(a *request.AWS) { a.SecurityGroupIDs = []string{"sg-00000000000000bad"} },
			[]string{"$.aws.security_group_ids", "sg-00000000000000bad", "InvalidGroup.NotFound"}},
		{"security group of another VPC", func(a *request.AWS) { a.SecurityGroupIDs = []string{"sg-0a1b2c3d4e5f60999"} },
			[]string{"$.aws.security_group_ids", "sg-0a1b2c3d4e5f60999 is in vpc-0ffff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", Proxy: "nginx", InstanceType: "t3.micro", ImageID: request.DefaultImageID}
			tt.edit(&aws)
			req := request.Request{ID: "DATA-1", Route: request.RouteAWSPrivateLink, AWS: &aws}
			err := checkLaunch(t.Context(), env, req)
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("checkLaunch = %v, want InvalidRequest", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
				t.Errorf("preflight error %q advises a teardown, but preflight builds nothing", err)
			}
		})
	}
}

func TestCheckLaunchGravitonDefaultImage(t *testing.T) {
	env, _ := awssandbox.Start(t)
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0abc", Proxy: "nginx", InstanceType: "t4g.micro", ImageID: request.DefaultImageID}
	req := request.Request{ID: "DATA-1", Route: request.RouteAWSPrivateLink, AWS: &aws}
	if err := checkLaunch(t.Context(), env, req); err != nil {
		t.Errorf("checkLaunch with t4g.micro and the default image: %v", err)
	}
}

func TestCheckVPCAdvisesNoTeardown(t *testing.T) {
	env, _, sim := awssandbox.StartSim(t)
	if err := sim.AddSubnet("subnet-0a", "vpc-0abc", "us-west-2a"); err != nil {
		t.Fatal(err)
	}
	aws := request.AWS{Region: "us-west-2", VPCID: "vpc-0000000000000dead", SubnetIDs: []string{"subnet-0a"}}
	req := request.Request{ID: "DATA-1", Route: request.RouteAWSPrivateLink, AWS: &aws}

	err := checkVPC(t.Context(), env, req)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("checkVPC = %v, want InvalidRequest", err)
	}
	if !strings.Contains(err.Error(), "subnet-0a is in vpc-0abc") {
		t.Errorf("error %q does not name the subnet of another VPC", err)
	}
	if workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("preflight error %q advises a teardown, but preflight builds nothing", err)
	}
}

func TestCheckEgressGroup(t *testing.T) {
	env, _, sim := awssandbox.StartSim(t)
	if err := sim.EnsureSecurityGroup("sg-0a1b2c3d4e5f60999", "us-west-2", "vpc-0abc"); err != nil {
		t.Fatal(err)
	}
	req := request.Request{ID: "DATA-1", Route: request.RouteEgressIP,
		Egress: &request.Egress{Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0a1b2c3d4e5f60999"}}
	if err := checkEgressGroup(t.Context(), env, req); err != nil {
		t.Fatalf("checkEgressGroup of an existing group = %v, want nil", err)
	}

	req.Egress.SecurityGroupID = "sg-00000000000000bad"
	err := checkEgressGroup(t.Context(), env, req)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("checkEgressGroup = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.egress.security_group_id sg-00000000000000bad", "InvalidGroup.NotFound"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("preflight error %q advises a teardown, but preflight builds nothing", err)
	}
}
