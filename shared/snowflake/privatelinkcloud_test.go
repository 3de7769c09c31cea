package snowflake

import "testing"

func TestPrivateLinkConfigCloud(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"aws vpce id", `{"privatelink-vpce-id": "com.amazonaws.vpce.us-west-2.vpce-svc-0abc"}`, "aws"},
		{"aws principal", `{"privatelink-account-principal": "arn:aws:iam::123456789012:root"}`, "aws"},
		{"azure", `{"privatelink-pls-id": "sf-pvlinksvc-eastus2.guid.eastus2.azure.privatelinkservice"}`, "azure"},
		{"gcp", `{"privatelink-gcp-service-attachment": "projects/sf/regions/us-central1/serviceAttachments/sa"}`, "gcp"},
		{"keys of every cloud", `{"privatelink-vpce-id": "com.amazonaws.vpce.us-west-2.vpce-svc-0abc", "privatelink-pls-id": "pls", ` +
			`"privatelink-gcp-service-attachment": "projects/sf/regions/us-central1/serviceAttachments/sa"}`, ""},
		{"shared keys only", `{"privatelink-account-url": "acct.privatelink.snowflakecomputing.com"}`, ""},
	}
	for _, tt := range tests {
		cfg, err := ParsePrivateLinkConfig(tt.raw)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := cfg.Cloud(); got != tt.want {
			t.Errorf("%s: Cloud() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
