package sfsim

import (
	"testing"

	"github.com/repolink/repolink/shared/snowflake"
)

// TestPendingRegionFixedByProvision checks that a proposed region is
// replaced by the next proposal until an endpoint is provisioned in its
// cloud, and that it is fixed from then on, even after a restart.
func TestPendingRegionFixedByProvision(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, dir)
	client := sb.connect(t)
	sb.link.addService(testService, AccountPrincipal, "127.0.0.1:1")

	configuredVPCEID := func(c snowflake.Conn) string {
		t.Helper()
		cfg, err := snowflake.ParsePrivateLinkConfig(mustScalar(t, c, snowflake.GetPrivateLinkConfig()))
		if err != nil {
			t.Fatal(err)
		}
		return cfg.VPCEID
	}
	propose := func(region string) {
		t.Helper()
		if err := sb.ProposeAccountRegions(testAccount, region, ""); err != nil {
			t.Fatal(err)
		}
	}

	propose("us-west-9")
	if got := configuredVPCEID(client); got != vpceID("us-west-9") {
		t.Errorf("privatelink-vpce-id after a proposal of us-west-9 = %q, want %q", got, vpceID("us-west-9"))
	}
	propose("us-west-2")
	if got := configuredVPCEID(client); got != vpceID("us-west-2") {
		t.Errorf("privatelink-vpce-id after a second proposal of us-west-2 = %q, want %q", got, vpceID("us-west-2"))
	}

	mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint(testService, testHost))
	propose("eu-west-1")
	if got := configuredVPCEID(client); got != vpceID("us-west-2") {
		t.Errorf("privatelink-vpce-id after a provision and a proposal of eu-west-1 = %q, want %q", got, vpceID("us-west-2"))
	}
	account, err := sb.Snapshot(testAccount)
	if err != nil {
		t.Fatal(err)
	}
	if account.AWSRegion != "us-west-2" {
		t.Errorf("fixed AWS region = %q, want us-west-2", account.AWSRegion)
	}
	if account.PendingAWSRegion != "" {
		t.Errorf("pending AWS region after the provision = %q, want none", account.PendingAWSRegion)
	}

	sb.Close()
	reopened := startSandbox(t, dir)
	if got := configuredVPCEID(reopened.connect(t)); got != vpceID("us-west-2") {
		t.Errorf("privatelink-vpce-id after a restart = %q, want %q", got, vpceID("us-west-2"))
	}
}
