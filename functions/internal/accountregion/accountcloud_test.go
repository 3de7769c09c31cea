package accountregion

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// TestCompareAccountCloud checks each private-link route against a config
// of each cloud: another cloud fails at $.snowflake.account.
func TestCompareAccountCloud(t *testing.T) {
	configs := map[string]snowflake.PrivateLinkConfig{
		"aws":   {VPCEID: "com.amazonaws.vpce.us-west-2.vpce-svc-0abc", AccountPrincipal: "arn:aws:iam::123456789012:root"},
		"azure": {AzurePLSID: "sf-pvlinksvc-eastus2.guid.eastus2.azure.privatelinkservice"},
		"gcp":   {GCPServiceAttachment: "projects/sf/regions/us-central1/serviceAttachments/sf-pl"},
	}
	requests := map[string]request.Request{
		"aws":   {Route: request.RouteAWSPrivateLink, AWS: &request.AWS{Region: "us-west-2"}},
		"azure": {Route: request.RouteAzurePrivateLink, Azure: &request.Azure{Location: "eastus2"}},
		"gcp":   {Route: request.RouteGCPPrivateLink, GCP: &request.GCP{Region: "us-central1"}},
	}
	for routeCloud, req := range requests {
		req.Snowflake = request.Snowflake{Account: "myorg-analytics"}
		for accountCloud, cfg := range configs {
			err := Compare(req, cfg, "")
			if accountCloud == routeCloud {
				if err != nil {
					t.Errorf("%s route, account on %s: %v", routeCloud, accountCloud, err)
				}
				continue
			}
			if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
				t.Errorf("%s route, account on %s: error name %q, want %s; error: %v", routeCloud, accountCloud, name, workflow.ErrInvalidRequest, err)
				continue
			}
			for _, want := range []string{"$.snowflake.account myorg-analytics", "on " + accountCloud, "builds on " + routeCloud} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s route, account on %s: error %q does not contain %q", routeCloud, accountCloud, err, want)
				}
			}
		}
	}
}

// TestCheckSandboxAccountCloud checks that the sandbox Snowflake shows the
// cloud of an account fixed on AWS, so that Check rejects an Azure or
// Google Cloud request for it.
func TestCheckSandboxAccountCloud(t *testing.T) {
	sb := sfsandbox.Start(t)
	account := sb.Request.Snowflake.Account
	if err := sb.Server.SetAccountCloud(account, "aws"); err != nil {
		t.Fatal(err)
	}
	for _, req := range []request.Request{
		{Route: request.RouteAzurePrivateLink, Azure: &request.Azure{Location: "eastus2"}},
		{Route: request.RouteGCPPrivateLink, GCP: &request.GCP{Region: "us-central1"}},
	} {
		req.Snowflake = sb.Request.Snowflake
		err := Check(t.Context(), sb.Conn, req)
		if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
			t.Errorf("%s request for an account on aws: error name %q, want %s; error: %v", req.Route, name, workflow.ErrInvalidRequest, err)
		}
	}
	req := request.Request{Route: request.RouteAWSPrivateLink, AWS: &request.AWS{Region: "us-west-2"}, Snowflake: sb.Request.Snowflake}
	if err := Check(t.Context(), sb.Conn, req); err != nil {
		t.Errorf("aws request for an account on aws: %v", err)
	}
}
