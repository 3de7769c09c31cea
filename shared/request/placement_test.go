package request

import (
	"slices"
	"strings"
	"testing"
)

func TestChangedPlacement(t *testing.T) {
	earlier := Request{Route: RouteAWSPrivateLink, Snowflake: Snowflake{Account: "Org-Acct"}, AWS: &AWS{Region: "us-west-2"}}
	earlier.Repository.Auth.Type = "password"
	tests := []struct {
		name string
		edit func(r *Request)
		want []string
	}{
		{name: "same placement", edit: func(r *Request) { r.Repository.Name = "other" }},
		{name: "account case", edit: func(r *Request) { r.Snowflake.Account = "org-acct" }},
		{name: "snowflake account", edit: func(r *Request) { r.Snowflake.Account = "org-other" }, want: []string{"snowflake.account"}},
		{name: "aws region", edit: func(r *Request) { r.AWS = &AWS{Region: "eu-west-1"} }, want: []string{"aws.region"}},
		{name: "route", edit: func(r *Request) {
			r.Route = RouteGCPPrivateLink
			r.AWS = nil
			r.GCP = &GCP{Project: "corp-packages", Region: "us-central1"}
		}, want: []string{"route", "aws.region", "gcp.project", "gcp.region", "aws.proxy", "gcp.proxy"}},
		{name: "aws proxy", edit: func(r *Request) { r.AWS.Proxy = "none" }, want: []string{"aws.proxy"}},
		{name: "aws default proxy", edit: func(r *Request) { r.AWS.Proxy = "nginx" }},
		{name: "azure proxy", edit: func(r *Request) {
			r.Route = RouteAzurePrivateLink
			r.AWS = nil
			r.Azure = &Azure{Proxy: "none"}
		}, want: []string{"route", "aws.region", "aws.proxy", "azure.proxy"}},
		{name: "auth token", edit: func(r *Request) { r.Repository.Auth.Type = "token" }, want: []string{"repository.auth.type"}},
		{name: "auth codeartifact", edit: func(r *Request) { r.Repository.Auth.Type = AuthCodeArtifact }},
		{name: "security group", edit: func(r *Request) {
			r.Egress = &Egress{Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0fffffffffffffff1"}
		}, want: []string{"egress.cloud", "egress.region", "egress.security_group_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			later := earlier
			later.AWS = &AWS{Region: earlier.AWS.Region}
			tt.edit(&later)
			if got := ChangedPlacement(earlier, later); !slices.Equal(got, tt.want) {
				t.Errorf("ChangedPlacement = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestChangedEgressGroup checks that moving an egress-ip request to another
// AWS security group, Azure network security group or Google Cloud network
// is a change, and that Azure resource IDs compare without case.
func TestChangedEgressGroup(t *testing.T) {
	const nsg = "/subscriptions/3f2b8c1e-6d4a-4b7e-9a15-2c8d7e6f5a40/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/"
	tests := []struct {
		name           string
		earlier, later Egress
		want           []string
	}{
		{
			name:    "aws group",
			earlier: Egress{Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0a1b2c3d4e5f60718"},
			later:   Egress{Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0fffffffffffffff1"},
			want:    []string{"egress.security_group_id"},
		},
		{
			name:    "azure group",
			earlier: Egress{Cloud: "azure", NetworkSecurityGroupID: nsg + "nsg-pypi"},
			later:   Egress{Cloud: "azure", NetworkSecurityGroupID: nsg + "nsg-other"},
			want:    []string{"egress.network_security_group_id"},
		},
		{
			name:    "azure group case",
			earlier: Egress{Cloud: "azure", NetworkSecurityGroupID: nsg + "nsg-pypi"},
			later:   Egress{Cloud: "azure", NetworkSecurityGroupID: strings.ToLower(nsg) + "NSG-PYPI"},
		},
		{
			name:    "gcp network",
			earlier: Egress{Cloud: "gcp", Project: "corp-packages", Network: "vpc-a"},
			later:   Egress{Cloud: "gcp", Project: "corp-packages", Network: "vpc-b"},
			want:    []string{"egress.network"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			earlier := Request{Route: RouteEgressIP, Egress: &tt.earlier}
			later := Request{Route: RouteEgressIP, Egress: &tt.later}
			if got := ChangedPlacement(earlier, later); !slices.Equal(got, tt.want) {
				t.Errorf("ChangedPlacement = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChangeConsequence(t *testing.T) {
	earlier := Request{Repository: Repository{Auth: Auth{Type: "token"}}}
	later := Request{Repository: Repository{Auth: Auth{Type: "password"}}}

	got := ChangeConsequence(earlier, later, []string{"repository.auth.type"}, "DATA-1")
	for _, want := range []string{"secret step", "DATA-1", "TYPE = GENERIC_STRING", "auth type password needs TYPE = PASSWORD"} {
		if !strings.Contains(got, want) {
			t.Errorf("auth type change: %q lacks %q", got, want)
		}
	}
	got = ChangeConsequence(earlier, later, []string{"aws.region", "repository.auth.type"}, "DATA-1")
	if want := "leave those of DATA-1 behind"; !strings.Contains(got, want) {
		t.Errorf("region change: %q lacks %q", got, want)
	}
}
