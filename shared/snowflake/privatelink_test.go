package snowflake

import "testing"

func TestPrivateLinkConfigAWSRegion(t *testing.T) {
	tests := []struct {
		name string
		vpce string
		want string
	}{
		{"commercial", "com.amazonaws.vpce.us-west-2.vpce-svc-0123456789abcdef0", "us-west-2"},
		{"china", "cn.com.amazonaws.vpce.cn-north-1.vpce-svc-0123456789abcdef0", "cn-north-1"},
		{"absent", "", ""},
		{"other form", "vpce-svc-0123456789abcdef0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (PrivateLinkConfig{VPCEID: tt.vpce}).AWSRegion(); got != tt.want {
				t.Errorf("AWSRegion() of %q = %q, want %q", tt.vpce, got, tt.want)
			}
		})
	}
}

func TestPrivateLinkConfigGCPRegion(t *testing.T) {
	tests := []struct {
		name       string
		attachment string
		want       string
	}{
		{"service attachment", "projects/sf-prod/regions/europe-west4/serviceAttachments/sf-pl", "europe-west4"},
		{"absent", "", ""},
		{"other form", "projects/sf-prod/global/serviceAttachments/sf-pl", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (PrivateLinkConfig{GCPServiceAttachment: tt.attachment}).GCPRegion(); got != tt.want {
				t.Errorf("GCPRegion() of %q = %q, want %q", tt.attachment, got, tt.want)
			}
		})
	}
}

func TestParsePrivateLinkConfigVPCEID(t *testing.T) {
	cfg, err := ParsePrivateLinkConfig(`{"privatelink-vpce-id": "com.amazonaws.vpce.eu-west-1.vpce-svc-0abc"}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.AWSRegion(); got != "eu-west-1" {
		t.Errorf("AWSRegion() = %q, want eu-west-1", got)
	}
}
