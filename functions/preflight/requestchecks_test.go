package preflight

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
)

// TestRequestChecksApply checks that RequestChecks leaves out every check
// that has nothing to check for the request, so that no report lists an
// AWS or private endpoint check as passed on a route that builds neither.
func TestRequestChecksApply(t *testing.T) {
	awsBlock := &request.AWS{Region: "us-west-2", VPCID: "vpc-1", SubnetIDs: []string{"subnet-1"}}
	tests := []struct {
		name string
		edit func(*request.Request)
		want []string
	}{
		{
			name: "public",
			edit: func(r *request.Request) { r.Route = request.RoutePublic },
			want: []string{"snowflake_location", "session_warehouse", "object_names"},
		},
		{
			name: "egress-ip",
			edit: func(r *request.Request) { r.Route = request.RouteEgressIP },
			want: []string{"snowflake_location", "session_warehouse", "object_names"},
		},
		{
			name: "egress-ip on aws",
			edit: func(r *request.Request) {
				r.Route = request.RouteEgressIP
				r.Egress = &request.Egress{Cloud: "aws", Region: "us-west-2", SecurityGroupID: "sg-0123456789abcdef0"}
			},
			want: []string{"snowflake_location", "session_warehouse", "object_names", "egress_security_group"},
		},
		{
			name: "egress-ip on azure",
			edit: func(r *request.Request) {
				r.Route = request.RouteEgressIP
				r.Egress = &request.Egress{Cloud: "azure", NetworkSecurityGroupID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/n"}
			},
			want: []string{"snowflake_location", "session_warehouse", "object_names"},
		},
		{
			name: "gcp-privatelink",
			edit: func(r *request.Request) { r.Route = request.RouteGCPPrivateLink },
			want: []string{"snowflake_location", "session_warehouse", "account_region", "object_names", "endpoint_capacity"},
		},
		{
			name: "gcp-privatelink with gcp block",
			edit: func(r *request.Request) {
				r.Route = request.RouteGCPPrivateLink
				r.GCP = &request.GCP{Project: "corp-prod", Region: "us-central1", Network: "vpc", PSCSubnet: "psc-nat", Proxy: "nginx"}
			},
			want: []string{"snowflake_location", "session_warehouse", "account_region", "object_names", "gcp_region", "psc_subnet", "gcp_machine_type", "endpoint_capacity"},
		},
		{
			name: "gcp-privatelink without proxy",
			edit: func(r *request.Request) {
				r.Route = request.RouteGCPPrivateLink
				r.GCP = &request.GCP{Project: "corp-prod", Region: "us-central1", Network: "vpc", PSCSubnet: "psc-nat", Proxy: "none"}
			},
			want: []string{"snowflake_location", "session_warehouse", "account_region", "object_names", "gcp_region", "psc_subnet", "gcp_target_vm", "endpoint_capacity"},
		},
		{
			name: "azure-privatelink",
			edit: func(r *request.Request) { r.Route = request.RouteAzurePrivateLink },
			want: []string{"snowflake_location", "session_warehouse", "account_region", "object_names", "endpoint_capacity"},
		},
		{
			name: "azure-privatelink with azure block",
			edit: func(r *request.Request) {
				r.Route = request.RouteAzurePrivateLink
				r.Azure = &request.Azure{SubscriptionID: "00000000-0000-0000-0000-000000000001", Location: "eastus2"}
			},
			want: []string{"snowflake_location", "session_warehouse", "account_region", "object_names", "azure_location", "azure_vm_size", "endpoint_capacity"},
		},
		{
			name: "azure-privatelink without proxy",
			edit: func(r *request.Request) {
				r.Route = request.RouteAzurePrivateLink
				r.Azure = &request.Azure{SubscriptionID: "00000000-0000-0000-0000-000000000001", Location: "eastus2", Proxy: "none"}
			},
			want: []string{"snowflake_location", "session_warehouse", "account_region", "object_names", "azure_location", "endpoint_capacity"},
		},
		{
			name: "aws-privatelink",
			edit: func(r *request.Request) {
				r.Route = request.RouteAWSPrivateLink
				r.AWS = awsBlock
			},
			want: []string{"snowflake_location", "session_warehouse", "account_region", "object_names", "aws_region", "vpc_subnets",
				"proxy_vm_launch", "availability_zones", "endpoint_capacity"},
		},
		{
			name: "aws-privatelink without proxy",
			edit: func(r *request.Request) {
				r.Route = request.RouteAWSPrivateLink
				direct := *awsBlock
				direct.Proxy = "none"
				r.AWS = &direct
			},
			want: []string{"snowflake_location", "session_warehouse", "account_region", "object_names", "aws_region", "vpc_subnets",
				"availability_zones", "endpoint_capacity"},
		},
		{
			name: "roles and default level",
			edit: func(r *request.Request) {
				r.Route = request.RoutePublic
				r.Repository.GrantToRoles = []string{"DATA_SCIENCE"}
				r.Repository.DefaultFor = "account"
			},
			want: []string{"snowflake_location", "session_warehouse", "object_names", "grant_roles", "default_level"},
		},
		{
			name: "default level none",
			edit: func(r *request.Request) {
				r.Route = request.RoutePublic
				r.Repository.DefaultFor = "none"
			},
			want: []string{"snowflake_location", "session_warehouse", "object_names"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := document().Request
			tt.edit(&req)
			var got []string
			for _, check := range RequestChecks(req) {
				got = append(got, check.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RequestChecks names (-want +got):\n%s", diff)
			}
		})
	}
}
