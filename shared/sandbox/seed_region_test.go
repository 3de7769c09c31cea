package sandbox

import (
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// TestSeedSetsAccountRegionOnce checks that the first seeded private-link
// request of an account decides its region, and that a later request in
// another region leaves it.
func TestSeedSetsAccountRegionOnce(t *testing.T) {
	sb, secrets := startCorpSandbox(t.Context(), t)

	public := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	public.Route = request.RoutePublic
	public.AWS = nil
	if account := seedAccount(t, sb, public, secrets); account.AWSRegion != "" {
		t.Errorf("region after a public request = %q, want none", account.AWSRegion)
	}

	first := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	first.AWS.Region = "eu-west-1"
	if account := seedAccount(t, sb, first, secrets); account.AWSRegion != "eu-west-1" {
		t.Errorf("region after a request in eu-west-1 = %q, want eu-west-1", account.AWSRegion)
	}

	second := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	second.AWS.Region = "us-west-2"
	if account := seedAccount(t, sb, second, secrets); account.AWSRegion != "eu-west-1" {
		t.Errorf("region after a second request in us-west-2 = %q, want eu-west-1", account.AWSRegion)
	}
}
