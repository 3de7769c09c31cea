package sandbox

import (
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// TestSeedSetsAccountRegionOnce checks that each seeded private-link
// request of an account gives it a pending region, which the next request
// replaces, and that a fixed region stays.
func TestSeedSetsAccountRegionOnce(t *testing.T) {
	sb, secrets := startCorpSandbox(t.Context(), t)

	public := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	public.Route = request.RoutePublic
	public.AWS = nil
	if account := seedAccount(t, sb, public, secrets); account.PendingAWSRegion != "" {
		t.Errorf("pending region after a public request = %q, want none", account.PendingAWSRegion)
	}

	first := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	first.AWS.Region = "eu-west-1"
	if account := seedAccount(t, sb, first, secrets); account.PendingAWSRegion != "eu-west-1" {
		t.Errorf("pending region after a request in eu-west-1 = %q, want eu-west-1", account.PendingAWSRegion)
	}

	second := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	second.AWS.Region = "us-west-2"
	account := seedAccount(t, sb, second, secrets)
	if account.PendingAWSRegion != "us-west-2" {
		t.Errorf("pending region after a second request in us-west-2 = %q, want us-west-2", account.PendingAWSRegion)
	}
	if account.AWSRegion != "" {
		t.Errorf("fixed region before any endpoint = %q, want none", account.AWSRegion)
	}

	if err := sb.Snowflake.SetAccountRegions(first.Snowflake.Account, "us-west-2", ""); err != nil {
		t.Fatal(err)
	}
	if account := seedAccount(t, sb, first, secrets); account.AWSRegion != "us-west-2" {
		t.Errorf("fixed region after a request in eu-west-1 = %q, want us-west-2", account.AWSRegion)
	}
}
