package request

import (
	"errors"
	"strings"
	"testing"
)

func TestAWSImageIDRejected(t *testing.T) {
	for _, image := range []string{"ami-ZZZ", "ubuntu", "ami-0123", "AMI-0123456789ABCDEF0", "ami-0123456789abcdef01", "resolve:ssm:"} {
		t.Run(image, func(t *testing.T) {
			_, err := Parse(exampleWith(t, "aws-privatelink.json", "aws", "image_id", image))
			var invalid *ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			if len(invalid.Fields) != 1 || invalid.Fields[0].Path != "$.aws.image_id" {
				t.Fatalf("field errors = %+v, want one on $.aws.image_id", invalid.Fields)
			}
			if msg := invalid.Fields[0].Message; !strings.Contains(msg, "ami-") {
				t.Errorf("message = %q, want it to show the ami- form", msg)
			}
		})
	}
}

func TestAWSImageIDAccepted(t *testing.T) {
	for _, image := range []string{
		"ami-0123abcd",
		"ami-00000000000000bad",
		"resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
		"resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
	} {
		t.Run(image, func(t *testing.T) {
			if _, err := Parse(exampleWith(t, "aws-privatelink.json", "aws", "image_id", image)); err != nil {
				t.Errorf("Parse with aws.image_id %q: %v", image, err)
			}
		})
	}
}

// A parameter outside /aws/service/ passes no IAM check of the deployed
// functions, so the launch would fail after the run built other resources.
func TestAWSImageIDPrivateParameterRejected(t *testing.T) {
	for _, image := range []string{
		"resolve:ssm:golden-image",
		"resolve:ssm:/golden/ami-id",
		"resolve:ssm:/aws/services/ami-id",
		"resolve:ssm:aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
	} {
		t.Run(image, func(t *testing.T) {
			_, err := Parse(exampleWith(t, "aws-privatelink.json", "aws", "image_id", image))
			var invalid *ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			if len(invalid.Fields) != 1 || invalid.Fields[0].Path != "$.aws.image_id" {
				t.Fatalf("field errors = %+v, want one on $.aws.image_id", invalid.Fields)
			}
			msg := invalid.Fields[0].Message
			if !strings.Contains(msg, "/aws/service/") {
				t.Errorf("message = %q, want it to name the allowed /aws/service/ path", msg)
			}
			if !strings.Contains(msg, "ami-") {
				t.Errorf("message = %q, want it to suggest the image ID", msg)
			}
		})
	}
}
