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
		{name: "snowflake account", edit: func(r *Request) { r.Snowflake.Account = "org-other" }, want: []string{"$.snowflake.account"}},
		{name: "aws region", edit: func(r *Request) { r.AWS = &AWS{Region: "eu-west-1"} }, want: []string{"$.aws.region"}},
		{name: "route", edit: func(r *Request) {
			r.Route = RouteGCPPrivateLink
			r.AWS = nil
			r.GCP = &GCP{Project: "corp-packages", Region: "us-central1"}
		}, want: []string{"$.route", "$.aws.region", "$.gcp.project", "$.gcp.region", "$.gcp.psc_subnet_cidr", "$.aws.proxy", "$.gcp.proxy"}},
		{name: "aws proxy", edit: func(r *Request) { r.AWS.Proxy = "none" }, want: []string{"$.aws.proxy"}},
		{name: "aws default proxy", edit: func(r *Request) { r.AWS.Proxy = "nginx" }},
		{name: "azure proxy", edit: func(r *Request) {
			r.Route = RouteAzurePrivateLink
			r.AWS = nil
			r.Azure = &Azure{Proxy: "none"}
		}, want: []string{"$.route", "$.aws.region", "$.aws.proxy", "$.azure.proxy"}},
		{name: "auth token", edit: func(r *Request) { r.Repository.Auth.Type = "token" }, want: []string{"$.repository.auth.type"}},
		{name: "auth codeartifact", edit: func(r *Request) { r.Repository.Auth.Type = AuthCodeArtifact }},
		{name: "security group", edit: func(r *Request) {
			r.Egress = &Egress{Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0fffffffffffffff1"}
		}, want: []string{"$.egress.cloud", "$.egress.region", "$.egress.security_group_id"}},
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
			want:    []string{"$.egress.security_group_id"},
		},
		{
			name:    "azure group",
			earlier: Egress{Cloud: "azure", NetworkSecurityGroupID: nsg + "nsg-pypi"},
			later:   Egress{Cloud: "azure", NetworkSecurityGroupID: nsg + "nsg-other"},
			want:    []string{"$.egress.network_security_group_id"},
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
			want:    []string{"$.egress.network"},
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

// TestChangedNetwork checks that moving a request to another network,
// subnet or security group is a change, while adding AWS subnets, which the
// load_balancer step applies, is not.
func TestChangedNetwork(t *testing.T) {
	aws := func() *AWS {
		return &AWS{
			Region:           "us-west-2",
			VPCID:            "vpc-0a1b2c3d4e5f60718",
			SubnetIDs:        []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"},
			SecurityGroupIDs: []string{"sg-0a1b2c3d4e5f60003", "sg-0a1b2c3d4e5f60004"},
		}
	}
	azure := func() *Azure {
		return &Azure{VNetName: "vnet-packages", SubnetName: "snet-proxy", PLSSubnetName: "snet-pls"}
	}
	gcp := func() *GCP {
		return &GCP{Zone: "us-central1-a", Network: "vpc-a", Subnet: "proxy", PSCSubnet: "psc"}
	}
	tests := []struct {
		name    string
		earlier Request
		edit    func(r *Request)
		want    []string
	}{
		{name: "aws same", earlier: Request{AWS: aws()}, edit: func(r *Request) {}},
		{name: "aws vpc", earlier: Request{AWS: aws()}, edit: func(r *Request) { r.AWS.VPCID = "vpc-0000000000000000b" },
			want: []string{"$.aws.vpc_id"}},
		{name: "aws subnets replaced", earlier: Request{AWS: aws()}, edit: func(r *Request) {
			r.AWS.SubnetIDs = []string{"subnet-0a1b2c3d4e5f69991", "subnet-0a1b2c3d4e5f69992"}
		}, want: []string{"$.aws.subnet_ids"}},
		{name: "aws subnet added", earlier: Request{AWS: aws()}, edit: func(r *Request) {
			r.AWS.SubnetIDs = append(r.AWS.SubnetIDs, "subnet-0a1b2c3d4e5f60005")
		}},
		{name: "aws subnet dropped", earlier: Request{AWS: aws()}, edit: func(r *Request) {
			r.AWS.SubnetIDs = r.AWS.SubnetIDs[:1]
		}, want: []string{"$.aws.subnet_ids"}},
		{name: "aws proxy subnet moved", earlier: Request{AWS: aws()}, edit: func(r *Request) {
			slices.Reverse(r.AWS.SubnetIDs)
		}, want: []string{"$.aws.subnet_ids"}},
		{name: "aws subnets reordered without proxy", earlier: Request{AWS: &AWS{Proxy: "none", SubnetIDs: aws().SubnetIDs}},
			edit: func(r *Request) { slices.Reverse(r.AWS.SubnetIDs) }},
		{name: "aws groups reordered", earlier: Request{AWS: aws()}, edit: func(r *Request) {
			slices.Reverse(r.AWS.SecurityGroupIDs)
		}},
		{name: "aws group replaced", earlier: Request{AWS: aws()}, edit: func(r *Request) {
			r.AWS.SecurityGroupIDs = []string{"sg-0000000000000000c"}
		}, want: []string{"$.aws.security_group_ids"}},
		{name: "azure same case", earlier: Request{Azure: azure()}, edit: func(r *Request) {
			r.Azure.VNetName = "VNet-Packages"
		}},
		{name: "azure networks", earlier: Request{Azure: azure()}, edit: func(r *Request) {
			r.Azure.VNetName = "vnet-other"
			r.Azure.SubnetName = "snet-other"
			r.Azure.PLSSubnetName = "snet-other-pls"
		}, want: []string{"$.azure.vnet_name", "$.azure.subnet_name", "$.azure.pls_subnet_name"}},
		{name: "gcp networks", earlier: Request{GCP: gcp()}, edit: func(r *Request) {
			r.GCP.Zone = "us-central1-b"
			r.GCP.Network = "vpc-b"
			r.GCP.Subnet = "proxy-b"
			r.GCP.PSCSubnet = "psc-b"
			r.GCP.PSCSubnetCIDR = "192.168.254.0/28"
		}, want: []string{"$.gcp.zone", "$.gcp.network", "$.gcp.subnet", "$.gcp.psc_subnet", "$.gcp.psc_subnet_cidr"}},
		{name: "gcp default cidr", earlier: Request{GCP: gcp()}, edit: func(r *Request) {
			r.GCP.PSCSubnetCIDR = DefaultPSCSubnetCIDR
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			later := tt.earlier
			if tt.earlier.AWS != nil {
				copied := *tt.earlier.AWS
				copied.SubnetIDs = slices.Clone(copied.SubnetIDs)
				copied.SecurityGroupIDs = slices.Clone(copied.SecurityGroupIDs)
				later.AWS = &copied
			}
			if tt.earlier.Azure != nil {
				copied := *tt.earlier.Azure
				later.Azure = &copied
			}
			if tt.earlier.GCP != nil {
				copied := *tt.earlier.GCP
				later.GCP = &copied
			}
			tt.edit(&later)
			if got := ChangedPlacement(tt.earlier, later); !slices.Equal(got, tt.want) {
				t.Errorf("ChangedPlacement = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChangeConsequence(t *testing.T) {
	earlier := Request{Repository: Repository{Auth: Auth{Type: "token"}}}
	later := Request{Repository: Repository{Auth: Auth{Type: "password"}}}

	got := ChangeConsequence(earlier, later, []string{"$.repository.auth.type"}, "DATA-1")
	for _, want := range []string{"secret step", "DATA-1", "TYPE = GENERIC_STRING", "auth type password needs TYPE = PASSWORD"} {
		if !strings.Contains(got, want) {
			t.Errorf("auth type change: %q lacks %q", got, want)
		}
	}
	got = ChangeConsequence(earlier, later, []string{"$.aws.vpc_id", "$.aws.subnet_ids"}, "DATA-1")
	if want := "keep them where they are"; !strings.Contains(got, want) {
		t.Errorf("network change: %q lacks %q", got, want)
	}
	got = ChangeConsequence(earlier, later, []string{"$.aws.region", "$.repository.auth.type"}, "DATA-1")
	if want := "leave those of DATA-1 behind"; !strings.Contains(got, want) {
		t.Errorf("region change: %q lacks %q", got, want)
	}
}
