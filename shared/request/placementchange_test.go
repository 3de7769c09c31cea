package request

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDescribeChangesValues(t *testing.T) {
	earlier := Request{Route: RouteAWSPrivateLink, Snowflake: Snowflake{Account: "org-acct"}, AWS: &AWS{
		Region:           "us-west-2",
		SubnetIDs:        []string{"subnet-a", "subnet-b", "subnet-c"},
		SecurityGroupIDs: []string{"sg-2", "sg-1"},
	}}
	earlier.Repository.Auth.Type = "password"
	tests := []struct {
		name string
		edit func(r *Request)
		want []string
	}{
		{name: "region", edit: func(r *Request) { r.AWS.Region = "eu-west-1" },
			want: []string{"$.aws.region from us-west-2 to eu-west-1"}},
		{name: "dropped subnet", edit: func(r *Request) { r.AWS.SubnetIDs = []string{"subnet-a", "subnet-c", "subnet-d"} },
			want: []string{"$.aws.subnet_ids from [subnet-a, subnet-b, subnet-c] to [subnet-a, subnet-c, subnet-d], which drops subnet-b"}},
		{name: "first subnet moved", edit: func(r *Request) { r.AWS.SubnetIDs = []string{"subnet-c", "subnet-b", "subnet-a"} },
			want: []string{"$.aws.subnet_ids from [subnet-a, subnet-b, subnet-c] to [subnet-c, subnet-b, subnet-a], " +
				"and the first subnet, where the proxy VM runs, changes from subnet-a to subnet-c"}},
		{name: "security groups", edit: func(r *Request) { r.AWS.SecurityGroupIDs = []string{"sg-3"} },
			want: []string{"$.aws.security_group_ids from [sg-1, sg-2] to [sg-3]"}},
		{name: "auth type", edit: func(r *Request) { r.Repository.Auth.Type = "token" },
			want: []string{"$.repository.auth.type from password to token"}},
		{name: "two fields", edit: func(r *Request) {
			r.Snowflake.Account = "org-other"
			r.AWS.VPCID = "vpc-1"
		}, want: []string{"$.snowflake.account from org-acct to org-other", "$.aws.vpc_id from unset to vpc-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			later := earlier
			aws := *earlier.AWS
			later.AWS = &aws
			tt.edit(&later)

			got := DescribeChanges(earlier, later, ChangedPlacement(earlier, later))

			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DescribeChanges (-want +got):\n%s", diff)
			}
		})
	}
}
