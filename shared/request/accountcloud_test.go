package request

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestAccountCloud(t *testing.T) {
	tests := []struct {
		account, want string
	}{
		{"xy12345", "aws"},
		{"XY12345", "aws"},
		{"xy12345.us-east-1", "aws"},
		{"xy12345.us-west-2.aws", "aws"},
		{"XY12345.US-EAST-2.AWS", "aws"},
		{"xy12345.east-us-2.azure", "azure"},
		{"xy12345.East-US-2.Azure", "azure"},
		{"xy12345.us-central1.gcp", "gcp"},
		{"myorg-analytics", ""},
		{"myorg-my_account", ""},
		{"my_account", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := AccountCloud(tt.account); got != tt.want {
			t.Errorf("AccountCloud(%q) = %q, want %q", tt.account, got, tt.want)
		}
	}
}

// TestValidateAccountCloudPerRoute checks each account form against the
// private-link route of each cloud: a locator on another cloud than the
// route's is rejected at $.snowflake.account. The egress-ip route takes an
// account on any cloud.
func TestValidateAccountCloudPerRoute(t *testing.T) {
	tests := []struct {
		example, account string
		rejected         bool
	}{
		{"aws-privatelink.json", "xy12345", false},
		{"aws-privatelink.json", "xy12345.us-east-1", false},
		{"aws-privatelink.json", "xy12345.east-us-2.azure", true},
		{"aws-privatelink.json", "xy12345.us-central1.gcp", true},
		{"azure-privatelink.json", "xy12345", true},
		{"azure-privatelink.json", "xy12345.us-east-1", true},
		{"azure-privatelink.json", "xy12345.us-west-2.aws", true},
		{"azure-privatelink.json", "xy12345.east-us-2.azure", false},
		{"azure-privatelink.json", "myorg-analytics", false},
		{"gcp-privatelink.json", "xy12345", true},
		{"gcp-privatelink.json", "xy12345.us-east-1", true},
		{"gcp-privatelink.json", "xy12345.east-us-2.azure", true},
		{"gcp-privatelink.json", "xy12345.us-central1.gcp", false},
		{"gcp-privatelink.json", "myorg_analytics", false},
		// Snowflake's public egress ranges reach a firewall on any cloud.
		{"egress-ip.json", "xy12345.us-central1.gcp", false},
		{"egress-ip.json", "xy12345.east-us-2.azure", false},
	}
	for _, tt := range tests {
		data, err := os.ReadFile("../../examples/" + tt.example)
		if err != nil {
			t.Fatal(err)
		}
		req, err := Parse(data)
		if err != nil {
			t.Fatalf("parse %s: %v", tt.example, err)
		}
		req.Snowflake.Account = tt.account

		err = req.Validate()

		var invalid *ValidationError
		if !tt.rejected {
			if err != nil {
				t.Errorf("%s with account %q: %v", tt.example, tt.account, err)
			}
			continue
		}
		if !errors.As(err, &invalid) {
			t.Errorf("%s with account %q: error %v, want a validation error", tt.example, tt.account, err)
			continue
		}
		found := false
		for _, f := range invalid.Fields {
			if f.Path == "$.snowflake.account" && strings.Contains(f.Message, "names a Snowflake account on") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s with account %q: errors %v, want one at $.snowflake.account about the account's cloud", tt.example, tt.account, invalid.Fields)
		}
	}
}
