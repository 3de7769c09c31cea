package sfsim

import (
	"encoding/json"
	"testing"

	"github.com/repolink/repolink/shared/snowflake"
)

// cloudKeys are the keys of SYSTEM$GET_PRIVATELINK_CONFIG that Snowflake
// returns for an account on one cloud only.
var cloudKeys = map[string][]string{
	"aws":   {"privatelink-vpce-id", "privatelink-account-principal", "app-service-privatelink-url", "app-service-privatelink-url-next"},
	"azure": {"privatelink-pls-id"},
	"gcp":   {"privatelink-gcp-service-attachment"},
}

// configKeys returns the keys of the account's SYSTEM$GET_PRIVATELINK_CONFIG.
func configKeys(t *testing.T, c snowflake.Conn) map[string]any {
	t.Helper()
	var config map[string]any
	if err := json.Unmarshal([]byte(mustScalar(t, c, snowflake.GetPrivateLinkConfig())), &config); err != nil {
		t.Fatal(err)
	}
	return config
}

// checkConfigCloud checks that the config has the keys of cloud and none
// of another cloud.
func checkConfigCloud(t *testing.T, c snowflake.Conn, cloud, when string) {
	t.Helper()
	config := configKeys(t, c)
	for keyCloud, keys := range cloudKeys {
		for _, key := range keys {
			_, found := config[key]
			if keyCloud == cloud && !found {
				t.Errorf("%s: config of an account on %s lacks %s", when, cloud, key)
			}
			if keyCloud != cloud && found {
				t.Errorf("%s: config of an account on %s has %s of %s", when, cloud, key, keyCloud)
			}
		}
	}
}

func TestPrivateLinkConfigKeysPerCloud(t *testing.T) {
	for _, cloud := range []string{"aws", "azure", "gcp"} {
		t.Run(cloud, func(t *testing.T) {
			sb := startSandbox(t, "")
			if err := sb.ProposeAccountCloud(testAccount, cloud); err != nil {
				t.Fatal(err)
			}
			checkConfigCloud(t, sb.connect(t), cloud, "pending cloud")
		})
	}
}

// TestAccountCloudFixedByProvision checks that the first provisioned
// endpoint fixes the account's cloud, so that a later proposal of another
// cloud changes nothing, even after a restart.
func TestAccountCloudFixedByProvision(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, dir)
	client := sb.connect(t)
	sb.link.addService(testService, AccountPrincipal, "127.0.0.1:1")
	if err := sb.ProposeAccountCloud(testAccount, "gcp"); err != nil {
		t.Fatal(err)
	}
	if err := sb.ProposeAccountCloud(testAccount, "aws"); err != nil {
		t.Fatal(err)
	}
	checkConfigCloud(t, client, "aws", "second proposal")

	mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint(testService, testHost))
	if err := sb.ProposeAccountCloud(testAccount, "azure"); err != nil {
		t.Fatal(err)
	}
	checkConfigCloud(t, client, "aws", "proposal of azure after a provision")
	account, err := sb.Snapshot(testAccount)
	if err != nil {
		t.Fatal(err)
	}
	if account.Cloud != "aws" {
		t.Errorf("fixed cloud = %q, want aws", account.Cloud)
	}
	if account.PendingCloud != "" {
		t.Errorf("pending cloud after the provision = %q, want none", account.PendingCloud)
	}

	sb.Close()
	reopened := startSandbox(t, dir)
	checkConfigCloud(t, reopened.connect(t), "aws", "restart")
}

func TestServiceCloud(t *testing.T) {
	tests := map[string]string{
		"com.amazonaws.vpce.us-west-2.vpce-svc-0abc":                                                 "aws",
		"cn.com.amazonaws.vpce.cn-north-1.vpce-svc-0abc":                                             "aws",
		"/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/pls":  "azure",
		"/SUBSCRIPTIONS/0000/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/pls":  "azure",
		"projects/corp/regions/us-central1/serviceAttachments/sa":                                    "gcp",
		"sf-pvlinksvc-eastus2.5a1d2c3b-0000-4000-8000-00000000a2a5.eastus2.azure.privatelinkservice": "",
	}
	for service, want := range tests {
		if got := serviceCloud(service); got != want {
			t.Errorf("serviceCloud(%q) = %q, want %q", service, got, want)
		}
	}
}
