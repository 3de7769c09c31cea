package proxyvm

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// The sandbox catalogue's Amazon Linux 2023 image for x86_64.
const sandboxImageX86 = "ami-0a1b2c3d4e5f60101"

func TestLaunchImagePicksArchitecture(t *testing.T) {
	_, provider := startSandboxAWS(t)
	tests := []struct {
		instanceType, image, want string
	}{
		{"t3.micro", request.DefaultImageID, request.DefaultImageID},
		{"t4g.micro", request.DefaultImageID, request.DefaultImageIDARM64},
		{"t3.micro", sandboxImageX86, sandboxImageX86},
		{"t4g.micro", request.DefaultImageIDARM64, request.DefaultImageIDARM64},
	}
	for _, tt := range tests {
		t.Run(tt.instanceType+" "+tt.image, func(t *testing.T) {
			aws := request.AWS{Region: "us-west-2", InstanceType: tt.instanceType, ImageID: tt.image}
			got, err := LaunchImage(t.Context(), provider, aws)
			if err != nil {
				t.Fatalf("LaunchImage: %v", err)
			}
			if got != tt.want {
				t.Errorf("LaunchImage = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLaunchImageRejects(t *testing.T) {
	_, provider := startSandboxAWS(t)
	tests := []struct {
		name, instanceType, image string
		want                      []string
	}{
		{"arm64 type with x86_64 image", "t4g.micro", sandboxImageX86,
			[]string{"$.aws.image_id", "$.aws.instance_type", "x86_64", "arm64"}},
		{"unknown instance type", "t9.nano", request.DefaultImageID,
			[]string{"$.aws.instance_type", "t9.nano", "InvalidInstanceType"}},
		{"unknown image", "t3.micro", "ami-00000000000000bad",
			[]string{"$.aws.image_id", "ami-00000000000000bad", "InvalidAMIID.NotFound"}},
		{"x86_64 type with arm64 parameter", "t3.micro", request.DefaultImageIDARM64,
			[]string{"$.aws.image_id", "$.aws.instance_type", request.DefaultImageIDARM64, "arm64", "x86_64"}},
		{"unknown parameter", "t3.micro", "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2099-missing",
			[]string{"$.aws.image_id", "/aws/service/ami-amazon-linux-latest/al2099-missing", "no such parameter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			aws := request.AWS{Region: "us-west-2", InstanceType: tt.instanceType, ImageID: tt.image}
			_, err := LaunchImage(t.Context(), provider, aws)
			if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
				t.Fatalf("LaunchImage = %v, want InvalidRequest", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestRunLaunchesGravitonWithDefaultImage(t *testing.T) {
	env, _ := startSandboxAWS(t)
	doc := exampleDocument(t)
	doc.Request.AWS.InstanceType = "t4g.micro"

	_, err := Run(t.Context(), env, doc)
	if err != nil && workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("Run with t4g.micro and the default image: %v", err)
	}
}

func TestRunRejectsParameterOfOtherArchitecture(t *testing.T) {
	env, provider := startSandboxAWS(t)
	doc := exampleDocument(t)
	doc.Request.AWS.ImageID = request.DefaultImageIDARM64

	_, err := Run(t.Context(), env, doc)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("Run with t3.micro and the arm64 parameter = %v, want InvalidRequest", err)
	}
	for _, want := range []string{"$.aws.image_id", "$.aws.instance_type"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	inst, err := provider.FindInstance(t.Context(), doc.Request.ID, workflow.NamesFor(doc.Request).ProxyVM)
	if err != nil {
		t.Fatal(err)
	}
	if inst != nil {
		t.Errorf("Run launched instance %s from an image of another architecture", inst.ID)
	}
}
