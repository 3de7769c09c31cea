package awssim

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSecurityGroupIngressForms(t *testing.T) {
	s := startTest(t, Options{})
	if err := s.EnsureSecurityGroup("sg-0abc", "us-west-2", "vpc-0abc"); err != nil {
		t.Fatalf("EnsureSecurityGroup: %v", err)
	}

	cases := []struct {
		name     string
		form     []string
		status   int
		code     string
		wantCIDR []string
	}{
		{"legacy fields", []string{"GroupId", "sg-0abc", "IpProtocol", "tcp", "FromPort", "443", "ToPort", "443", "CidrIp", "192.0.2.7/24"},
			http.StatusOK, "", []string{"192.0.2.0/24"}},
		{"duplicate", []string{"GroupId", "sg-0abc", "IpPermissions.1.IpProtocol", "6", "IpPermissions.1.FromPort", "443", "IpPermissions.1.ToPort", "443", "IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.0/24"},
			http.StatusBadRequest, "InvalidPermission.Duplicate", []string{"192.0.2.0/24"}},
		{"unknown group", []string{"GroupId", "sg-0fff", "IpPermissions.1.IpProtocol", "tcp", "IpPermissions.1.FromPort", "443", "IpPermissions.1.ToPort", "443", "IpPermissions.1.IpRanges.1.CidrIp", "198.51.100.0/24"},
			http.StatusBadRequest, "InvalidGroup.NotFound", []string{"192.0.2.0/24"}},
		{"bad description", []string{"GroupId", "sg-0abc", "IpPermissions.1.IpProtocol", "tcp", "IpPermissions.1.FromPort", "443", "IpPermissions.1.ToPort", "443", "IpPermissions.1.IpRanges.1.CidrIp", "198.51.100.0/24", "IpPermissions.1.IpRanges.1.Description", "naïve"},
			http.StatusBadRequest, "InvalidParameterValue", []string{"192.0.2.0/24"}},
		{"bad ports", []string{"GroupId", "sg-0abc", "IpPermissions.1.IpProtocol", "tcp", "IpPermissions.1.FromPort", "444", "IpPermissions.1.ToPort", "443", "IpPermissions.1.IpRanges.1.CidrIp", "198.51.100.0/24"},
			http.StatusBadRequest, "InvalidParameterValue", []string{"192.0.2.0/24"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, s, ServiceEC2, ec2Form("AuthorizeSecurityGroupIngress", tc.form...))
			if status != tc.status || !strings.Contains(body, tc.code) {
				t.Errorf("AuthorizeSecurityGroupIngress = %d %s, want %d %s", status, body, tc.status, tc.code)
			}
			var cidrs []string
			for _, rule := range s.Snapshot().SecurityGroups["sg-0abc"].Rules {
				cidrs = append(cidrs, rule.CIDR)
			}
			if diff := cmp.Diff(tc.wantCIDR, cidrs); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}

	// Revoking by permission removes the matching rule.
	status, body := post(t, s, ServiceEC2, ec2Form("RevokeSecurityGroupIngress",
		"GroupId", "sg-0abc", "IpPermissions.1.IpProtocol", "tcp", "IpPermissions.1.FromPort", "443",
		"IpPermissions.1.ToPort", "443", "IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.0/24"))
	if status != http.StatusOK || !strings.Contains(body, "<cidrIpv4>192.0.2.0/24</cidrIpv4>") {
		t.Errorf("RevokeSecurityGroupIngress = %d %s, want the revoked rule", status, body)
	}
	if rules := s.Snapshot().SecurityGroups["sg-0abc"].Rules; len(rules) != 0 {
		t.Errorf("rules after revoke = %+v, want none", rules)
	}
	status, body = post(t, s, ServiceEC2, ec2Form("RevokeSecurityGroupIngress", "GroupId", "sg-0abc", "SecurityGroupRuleId.1", "sgr-0missing"))
	if status != http.StatusBadRequest || !strings.Contains(body, "InvalidSecurityGroupRuleId.NotFound") {
		t.Errorf("revoke of an unknown rule = %d %s, want InvalidSecurityGroupRuleId.NotFound", status, body)
	}
}

func TestSecurityGroupRuleTags(t *testing.T) {
	s := startTest(t, Options{})
	if err := s.EnsureSecurityGroup("sg-0abc", "us-west-2", "vpc-0abc"); err != nil {
		t.Fatalf("EnsureSecurityGroup: %v", err)
	}
	status, body := post(t, s, ServiceEC2, ec2Form("AuthorizeSecurityGroupIngress",
		"GroupId", "sg-0abc", "IpPermissions.1.IpProtocol", "tcp", "IpPermissions.1.FromPort", "443",
		"IpPermissions.1.ToPort", "443", "IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.0/24",
		"TagSpecification.1.ResourceType", "security-group-rule",
		"TagSpecification.1.Tag.1.Key", "owner", "TagSpecification.1.Tag.1.Value", "a"))
	if status != http.StatusOK {
		t.Fatalf("AuthorizeSecurityGroupIngress = %d %s", status, body)
	}
	id := s.Snapshot().SecurityGroups["sg-0abc"].Rules[0].ID
	tags := func() map[string]string {
		return s.Snapshot().SecurityGroups["sg-0abc"].Rules[0].Tags
	}

	status, body = post(t, s, ServiceEC2, ec2Form("CreateTags", "ResourceId.1", id,
		"Tag.1.Key", "user-b", "Tag.1.Value", "b", "Tag.2.Key", "user-c", "Tag.2.Value", "c"))
	if status != http.StatusOK || !strings.Contains(body, "<return>true</return>") {
		t.Fatalf("CreateTags = %d %s", status, body)
	}
	if diff := cmp.Diff(map[string]string{"owner": "a", "user-b": "b", "user-c": "c"}, tags()); diff != "" {
		t.Errorf("tags after CreateTags (-want +got):\n%s", diff)
	}

	// A value that does not match keeps the tag; no value removes it.
	post(t, s, ServiceEC2, ec2Form("DeleteTags", "ResourceId.1", id, "Tag.1.Key", "user-b", "Tag.1.Value", "x", "Tag.2.Key", "user-c"))
	if diff := cmp.Diff(map[string]string{"owner": "a", "user-b": "b"}, tags()); diff != "" {
		t.Errorf("tags after DeleteTags (-want +got):\n%s", diff)
	}

	cases := []struct {
		name, action string
		form         []string
		code         string
	}{
		{"unknown rule", "CreateTags", []string{"ResourceId.1", "sgr-0fff", "Tag.1.Key", "k", "Tag.1.Value", "v"}, "InvalidSecurityGroupRuleId.NotFound"},
		{"not a rule", "CreateTags", []string{"ResourceId.1", "i-0abc", "Tag.1.Key", "k", "Tag.1.Value", "v"}, "InvalidParameterValue"},
		{"reserved key", "CreateTags", []string{"ResourceId.1", id, "Tag.1.Key", "aws:k", "Tag.1.Value", "v"}, "InvalidParameterValue"},
		{"no tags", "CreateTags", []string{"ResourceId.1", id}, "MissingParameter"},
		{"no resource", "DeleteTags", []string{"Tag.1.Key", "owner"}, "MissingParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, s, ServiceEC2, ec2Form(tc.action, tc.form...))
			if status != http.StatusBadRequest || !strings.Contains(body, tc.code) {
				t.Errorf("%s = %d %s, want 400 %s", tc.action, status, body, tc.code)
			}
		})
	}

	var form []string
	for i := 1; i <= maxTagsPerResource; i++ {
		n := strconv.Itoa(i)
		form = append(form, "Tag."+n+".Key", "k"+n, "Tag."+n+".Value", "v")
	}
	status, body = post(t, s, ServiceEC2, ec2Form("CreateTags", append([]string{"ResourceId.1", id}, form...)...))
	if status != http.StatusBadRequest || !strings.Contains(body, "TagLimitExceeded") {
		t.Errorf("CreateTags beyond the limit = %d %s, want 400 TagLimitExceeded", status, body)
	}
	if diff := cmp.Diff(map[string]string{"owner": "a", "user-b": "b"}, tags()); diff != "" {
		t.Errorf("tags after a rejected CreateTags (-want +got):\n%s", diff)
	}
}

func TestSecurityGroupRuleDescriptionUpdate(t *testing.T) {
	s := startTest(t, Options{})
	if err := s.EnsureSecurityGroup("sg-0abc", "us-west-2", "vpc-0abc"); err != nil {
		t.Fatalf("EnsureSecurityGroup: %v", err)
	}
	status, body := post(t, s, ServiceEC2, ec2Form("AuthorizeSecurityGroupIngress",
		"GroupId", "sg-0abc", "IpPermissions.1.IpProtocol", "tcp", "IpPermissions.1.FromPort", "443",
		"IpPermissions.1.ToPort", "443", "IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.0/24",
		"IpPermissions.1.IpRanges.1.Description", "repolink request EA-1"))
	if status != http.StatusOK {
		t.Fatalf("AuthorizeSecurityGroupIngress = %d %s", status, body)
	}
	id := s.Snapshot().SecurityGroups["sg-0abc"].Rules[0].ID

	cases := []struct {
		name   string
		form   []string
		status int
		code   string
		want   string
	}{
		{"by rule ID", []string{"GroupId", "sg-0abc", "SecurityGroupRuleDescription.1.SecurityGroupRuleId", id,
			"SecurityGroupRuleDescription.1.Description", "repolink request EB-1"},
			http.StatusOK, "<return>true</return>", "repolink request EB-1"},
		{"unknown rule", []string{"GroupId", "sg-0abc", "SecurityGroupRuleDescription.1.SecurityGroupRuleId", "sgr-0fff",
			"SecurityGroupRuleDescription.1.Description", "other"},
			http.StatusBadRequest, "InvalidSecurityGroupRuleId.NotFound", "repolink request EB-1"},
		{"bad description", []string{"GroupId", "sg-0abc", "SecurityGroupRuleDescription.1.SecurityGroupRuleId", id,
			"SecurityGroupRuleDescription.1.Description", "naïve"},
			http.StatusBadRequest, "InvalidParameterValue", "repolink request EB-1"},
		{"unknown group", []string{"GroupId", "sg-0fff", "SecurityGroupRuleDescription.1.SecurityGroupRuleId", id,
			"SecurityGroupRuleDescription.1.Description", "other"},
			http.StatusBadRequest, "InvalidGroup.NotFound", "repolink request EB-1"},
		{"no rules", []string{"GroupId", "sg-0abc"},
			http.StatusBadRequest, "MissingParameter", "repolink request EB-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, s, ServiceEC2, ec2Form("UpdateSecurityGroupRuleDescriptionsIngress", tc.form...))
			if status != tc.status || !strings.Contains(body, tc.code) {
				t.Errorf("UpdateSecurityGroupRuleDescriptionsIngress = %d %s, want %d %s", status, body, tc.status, tc.code)
			}
			if got := s.Snapshot().SecurityGroups["sg-0abc"].Rules[0].Description; got != tc.want {
				t.Errorf("description = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSecurityGroupOfOtherRegion checks that a group is found only in its
// own region, as on EC2: the calls of another region get
// InvalidGroup.NotFound and change nothing.
func TestSecurityGroupOfOtherRegion(t *testing.T) {
	s := startTest(t, Options{})
	if err := s.EnsureSecurityGroup("sg-0abc", "eu-west-1", "vpc-0abc"); err != nil {
		t.Fatalf("EnsureSecurityGroup: %v", err)
	}

	calls := []struct {
		action string
		form   []string
	}{
		{"DescribeSecurityGroups", []string{"GroupId.1", "sg-0abc"}},
		{"AuthorizeSecurityGroupIngress", []string{"GroupId", "sg-0abc", "IpProtocol", "tcp", "FromPort", "443", "ToPort", "443", "CidrIp", "192.0.2.0/24"}},
		{"RevokeSecurityGroupIngress", []string{"GroupId", "sg-0abc", "IpProtocol", "tcp", "FromPort", "443", "ToPort", "443", "CidrIp", "192.0.2.0/24"}},
	}
	for _, call := range calls {
		status, body := post(t, s, ServiceEC2, ec2Form(call.action, call.form...))
		if status != http.StatusBadRequest || !strings.Contains(body, "InvalidGroup.NotFound") {
			t.Errorf("%s in us-west-2 = %d %s, want 400 InvalidGroup.NotFound", call.action, status, body)
		}
	}
	if rules := s.Snapshot().SecurityGroups["sg-0abc"].Rules; len(rules) != 0 {
		t.Errorf("rules after calls of another region = %+v, want none", rules)
	}
}

func TestEnsureSecurityGroupNeedsRegionAndVPC(t *testing.T) {
	s := startTest(t, Options{})
	if err := s.EnsureSecurityGroup("sg-0abc", "", "vpc-0abc"); err == nil {
		t.Error("EnsureSecurityGroup without a region = nil, want an error")
	}
	if err := s.EnsureSecurityGroup("sg-0abc", "us-west-2", ""); err == nil {
		t.Error("EnsureSecurityGroup without a VPC = nil, want an error")
	}
}
