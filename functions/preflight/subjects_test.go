package preflight

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// TestRequestCheckSubjectsFitRoute checks that the subject of every check
// that applies to a private-link request names only fields that the
// request's route has, so that a passed check does not show a block of
// another cloud.
func TestRequestCheckSubjectsFitRoute(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*request.Request)
		own     string
		account string
	}{
		{"aws-privatelink", func(r *request.Request) {
			r.Route = request.RouteAWSPrivateLink
			r.AWS = &request.AWS{Region: "us-west-2", VPCID: "vpc-1", SubnetIDs: []string{"subnet-1"}}
		}, "$.aws.", "the Snowflake account of $.snowflake.account is on AWS, and $.aws.region is its region"},
		{"azure-privatelink", func(r *request.Request) {
			r.Route = request.RouteAzurePrivateLink
			r.Azure = &request.Azure{Location: "eastus2"}
		}, "$.azure.", "the Snowflake account of $.snowflake.account is on Azure"},
		{"gcp-privatelink", func(r *request.Request) {
			r.Route = request.RouteGCPPrivateLink
			r.GCP = &request.GCP{Region: "us-central1", Zone: "us-central1-a"}
		}, "$.gcp.", "the Snowflake account of $.snowflake.account is on Google Cloud, and $.gcp.region is its region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := document().Request
			tt.edit(&req)
			for _, check := range RequestChecks(req) {
				for _, block := range []string{"$.aws.", "$.azure.", "$.gcp.", "$.egress."} {
					if block != tt.own && strings.Contains(check.Subject, block) {
						t.Errorf("check %s: subject %q names a field of %s, which a %s request does not have", check.Name, check.Subject, block, tt.name)
					}
				}
				if check.Name == "account_region" && check.Subject != tt.account {
					t.Errorf("account_region subject = %q, want %q", check.Subject, tt.account)
				}
			}
		})
	}
}
