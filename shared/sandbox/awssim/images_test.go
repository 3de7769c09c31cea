package awssim

import (
	"strings"
	"testing"
)

func TestRunInstancesRejectsBadLaunch(t *testing.T) {
	s := startTest(t, Options{})
	if err := s.EnsureSecurityGroup("sg-0a1b2c3d4e5f60718", "us-west-2", "vpc-0abc"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, image, instanceType, group, wantCode string
	}{
		{"malformed image", "ami-ZZZ", "t3.micro", "", "InvalidAMIID.Malformed"},
		{"unknown image", "ami-00000000000000bad", "t3.micro", "", "InvalidAMIID.NotFound"},
		{"unknown parameter", "resolve:ssm:/corp/golden-image", "t3.micro", "", "InvalidParameterValue"},
		{"unknown instance type", "ami-0a1b2c3d4e5f60101", "t9.nano", "", "InvalidParameterValue"},
		{"arm64 type with x86_64 image", "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", "t4g.micro", "", "does not match the architecture"},
		{"unknown security group", "ami-0a1b2c3d4e5f60101", "t3.micro", "sg-00000000000000bad", "InvalidGroup.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := ec2Form("RunInstances", "ImageId", tt.image, "InstanceType", tt.instanceType, "MinCount", "1", "MaxCount", "1", "SubnetId", "subnet-01")
			if tt.group != "" {
				form.Set("SecurityGroupId.1", tt.group)
			}
			status, body := post(t, s, "ec2", form)
			if status != 400 {
				t.Fatalf("RunInstances = %d %s, want 400", status, body)
			}
			if !strings.Contains(body, tt.wantCode) {
				t.Errorf("RunInstances body %s does not contain %q", body, tt.wantCode)
			}
		})
	}
}

func TestRunInstancesMatchingArchitecture(t *testing.T) {
	s := startTest(t, Options{})
	if err := s.EnsureSecurityGroup("sg-0a1b2c3d4e5f60718", "us-west-2", "vpc-0abc"); err != nil {
		t.Fatal(err)
	}
	form := ec2Form("RunInstances", "ImageId", "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
		"InstanceType", "t4g.micro", "MinCount", "1", "MaxCount", "1", "SubnetId", "subnet-01", "SecurityGroupId.1", "sg-0a1b2c3d4e5f60718")
	if status, body := post(t, s, "ec2", form); status != 200 {
		t.Errorf("RunInstances of t4g.micro with the arm64 image = %d %s", status, body)
	}
}

func TestDescribeCatalogue(t *testing.T) {
	s := startTest(t, Options{})
	status, body := post(t, s, "ec2", ec2Form("DescribeInstanceTypes", "InstanceType.1", "t4g.micro"))
	if status != 200 || !strings.Contains(body, "<supportedArchitectures><item>arm64</item></supportedArchitectures>") {
		t.Errorf("DescribeInstanceTypes t4g.micro = %d %s, want arm64", status, body)
	}
	status, body = post(t, s, "ec2", ec2Form("DescribeInstanceTypes", "InstanceType.1", "t9.nano"))
	if status != 400 || !strings.Contains(body, "InvalidInstanceType") {
		t.Errorf("DescribeInstanceTypes t9.nano = %d %s, want InvalidInstanceType", status, body)
	}
	status, body = post(t, s, "ec2", ec2Form("DescribeImages", "ImageId.1", "ami-0a1b2c3d4e5f60102"))
	if status != 200 || !strings.Contains(body, "<architecture>arm64</architecture>") {
		t.Errorf("DescribeImages of the arm64 image = %d %s, want architecture arm64", status, body)
	}
	status, body = post(t, s, "ec2", ec2Form("DescribeImages", "ImageId.1", "ami-00000000000000bad"))
	if status != 400 || !strings.Contains(body, "InvalidAMIID.NotFound") {
		t.Errorf("DescribeImages of an unknown image = %d %s, want InvalidAMIID.NotFound", status, body)
	}
}

func TestRunInstancesRejectsGroupOfOtherVPC(t *testing.T) {
	s := startTest(t, Options{})
	if err := s.AddSubnet("subnet-0a", "vpc-0abc", "us-west-2a"); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureSecurityGroup("sg-0a1b2c3d4e5f60999", "us-west-2", "vpc-0ffff"); err != nil {
		t.Fatal(err)
	}
	form := ec2Form("RunInstances", "ImageId", "ami-0a1b2c3d4e5f60101", "InstanceType", "t3.micro", "MinCount", "1", "MaxCount", "1",
		"SubnetId", "subnet-0a", "SecurityGroupId.1", "sg-0a1b2c3d4e5f60999")
	status, body := post(t, s, "ec2", form)
	if status != 400 || !strings.Contains(body, "belong to different networks") {
		t.Errorf("RunInstances with a group of another VPC = %d %s, want InvalidParameter", status, body)
	}
}
