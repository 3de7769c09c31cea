package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestUnknownAWSRegionRejected checks that preflight, run and plan reject
// an aws-privatelink request whose aws.region is not an AWS region with
// status 2, the field and the closest region named, and that run starts no
// execution for it.
func TestUnknownAWSRegionRejected(t *testing.T) {
	dir := t.TempDir()
	req := writeExample(t, "aws-privatelink.json", func(doc map[string]any) {
		section(doc, "aws")["region"] = "us-west-3"
	})
	want := "$.aws.region us-west-3 is not an AWS region; set $.aws.region to the region of $.aws.vpc_id, such as us-west-1, us-west-2"

	code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", dir, req)
	if code != exitInvalid {
		t.Errorf("preflight exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !regexp.MustCompile(`failed +aws_region`).MatchString(out) || !strings.Contains(out, want) {
		t.Errorf("preflight output lacks the failed aws_region check with %q:\n%s", want, out)
	}

	checkRejectedBeforeStart(t, dir, req, want)
}

// TestKnownAWSRegionPassesCheck checks that the aws_region check passes
// for the region of the example request.
func TestKnownAWSRegionPassesCheck(t *testing.T) {
	req := writeExample(t, "aws-privatelink.json", func(map[string]any) {})
	_, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", t.TempDir(), req)
	if !regexp.MustCompile(`passed +aws_region`).MatchString(out) {
		t.Errorf("preflight output lacks the passed aws_region check:\n%s\nstderr:\n%s", out, errOut)
	}
}

// TestSubnetsOfOtherRegionFailOnce checks that subnets that EC2 does not
// find in aws.region fail the vpc_subnets check only, and that the
// availability_zones check, which reads the same subnets, is listed as
// skipped with vpc_subnets as its reason.
func TestSubnetsOfOtherRegionFailOnce(t *testing.T) {
	req := writeExample(t, "aws-privatelink.json", func(doc map[string]any) {
		section(doc, "aws")["region"] = "eu-west-1"
	})
	_, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", t.TempDir(), req)
	if !regexp.MustCompile(`failed +vpc_subnets`).MatchString(out) {
		t.Fatalf("preflight output lacks the failed vpc_subnets check:\n%s\nstderr:\n%s", out, errOut)
	}
	if !regexp.MustCompile(`skipped +availability_zones +.*which the vpc_subnets check reports`).MatchString(out) {
		t.Errorf("availability_zones is not skipped naming vpc_subnets:\n%s", out)
	}
	if strings.Contains(errOut, "2 of") {
		t.Errorf("preflight counts the subnet failure twice:\n%s", errOut)
	}
}
