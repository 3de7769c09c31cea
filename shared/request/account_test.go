package request

import (
	"errors"
	"strings"
	"testing"
)

func TestAccountKey(t *testing.T) {
	tests := []struct {
		account, want string
	}{
		{"myorg-analytics", "myorg-analytics"},
		{"MyOrg-Analytics", "myorg-analytics"},
		{"myorg-analytics.us-west-2", "myorg-analytics"},
		{"myorg-analytics.us-east-1.aws", "myorg-analytics"},
		{"myorg-my_account", "myorg-my-account"},
		{"myorg_analytics", "myorg-analytics"},
		{"MyOrg_Analytics.us-west-2", "myorg-analytics"},
		{"xy12345", "xy12345"},
		{"XY12345.us-west-2", "xy12345"},
		{"xy12345.us-west-2.aws", "xy12345"},
		{"xy12345.us-east-1", "xy12345.us-east-1"},
		{"xy12345.us-east-1.aws", "xy12345.us-east-1"},
		{"xy12345.east-us-2.azure", "xy12345.east-us-2.azure"},
		{"xy12345.us-central1.gcp", "xy12345.us-central1.gcp"},
	}
	for _, tt := range tests {
		if got := AccountKey(tt.account); got != tt.want {
			t.Errorf("AccountKey(%q) = %q, want %q", tt.account, got, tt.want)
		}
	}
}

func TestAccountKeyKeepsRegionsApart(t *testing.T) {
	pairs := [][2]string{
		{"xy12345.us-east-1", "xy12345.eu-west-1"},
		{"xy12345", "xy12345.us-east-1"},
		{"xy12345.east-us-2.azure", "xy12345.us-central1.gcp"},
		{"myorg-analytics", "myorg-finance"},
	}
	for _, p := range pairs {
		if SameAccount(p[0], p[1]) {
			t.Errorf("SameAccount(%q, %q) = true, want false", p[0], p[1])
		}
	}
}

func TestLegacyAccountKeyIsLowerText(t *testing.T) {
	if got := LegacyAccountKey("MyOrg-Analytics.US-West-2"); got != "myorg-analytics.us-west-2" {
		t.Errorf("LegacyAccountKey = %q, want myorg-analytics.us-west-2", got)
	}
}

func TestValidateAccountForms(t *testing.T) {
	accepted := []string{
		"myorg-analytics", "MyOrg-Analytics", "myorg-my_account", "xy12345",
		"xy12345.us-east-1", "xy12345.us-east-2.aws", "XY12345.US-WEST-2.AWS",
	}
	for _, account := range accepted {
		req := parsedExample(t)
		req.Snowflake.Account = account
		if err := req.Validate(); err != nil {
			t.Errorf("account %q: %v", account, err)
		}
	}

	rejected := []struct {
		account, message string
	}{
		{"myorg-analytics.us-west-2", "write myorg-analytics without the suffix"},
		{"myorg-analytics.us-west-2.aws", "write myorg-analytics without the suffix"},
		{"myorg-my_account.eu-west-1", "write myorg-my_account without the suffix"},
		{"my_account.us-east-1", "write my_account without the suffix"},
		{"myorg.analytics", "write myorg-analytics with a hyphen"},
		{"xy12345.us-east-1.privatelink", "end an account locator in .aws, .azure or .gcp"},
	}
	for _, tt := range rejected {
		req := parsedExample(t)
		req.Snowflake.Account = tt.account
		var invalid *ValidationError
		if !errors.As(req.Validate(), &invalid) {
			t.Errorf("account %q: no validation error", tt.account)
			continue
		}
		found := false
		for _, f := range invalid.Fields {
			if f.Path == "$.snowflake.account" && strings.Contains(f.Message, tt.message) {
				found = true
			}
		}
		if !found {
			t.Errorf("account %q: errors %v, want one at $.snowflake.account containing %q", tt.account, invalid.Fields, tt.message)
		}
	}
}

func TestTeardownAcceptsAccountWithSuffix(t *testing.T) {
	// A request that a run accepted before the account forms were checked
	// must stay possible to tear down.
	req := parsedExample(t)
	req.Snowflake.Account = "myorg-analytics.us-west-2"
	if err := req.ValidateForTeardown(); err != nil {
		t.Errorf("ValidateForTeardown: %v", err)
	}
}

func TestSameDefaultLevelAcrossSpellings(t *testing.T) {
	a := parsedExample(t)
	b := a
	b.ID = "DEF-2"
	b.Snowflake.Account = "myorg-analytics.us-west-2"
	if !SameDefaultLevel(a, b) {
		t.Error("SameDefaultLevel = false for myorg-analytics and myorg-analytics.us-west-2, want true")
	}
}

func TestClaimKeysAcrossSpellings(t *testing.T) {
	a := parsedExample(t)
	b := a
	b.Snowflake.Account = "myorg-analytics.us-west-2"
	claimsA, claimsB := Claims(a), Claims(b)
	for i := range claimsA {
		if claimsA[i].Key() != claimsB[i].Key() {
			t.Errorf("claim %s: keys %q and %q, want one key", claimsA[i], claimsA[i].Key(), claimsB[i].Key())
		}
	}
	defaultA, _ := DefaultClaim(a)
	defaultB, _ := DefaultClaim(b)
	if defaultA.Key() != defaultB.Key() {
		t.Errorf("default claims: keys %q and %q, want one key", defaultA.Key(), defaultB.Key())
	}
}

func TestClaimLegacyKey(t *testing.T) {
	a := parsedExample(t)
	claim, _ := DefaultClaim(a)
	if claim.LegacyKey() != claim.Key() {
		t.Errorf("LegacyKey = %q, want Key %q for an account without suffix", claim.LegacyKey(), claim.Key())
	}

	a.Snowflake.Account = "XY12345.us-east-1.aws"
	claim, _ = DefaultClaim(a)
	want := "xy12345.us-east-1.aws\x00default level\x00SCHEMA PLATFORM.PACKAGES"
	if claim.LegacyKey() != want {
		t.Errorf("LegacyKey = %q, want %q", claim.LegacyKey(), want)
	}
	if claim.Key() == claim.LegacyKey() {
		t.Errorf("Key = LegacyKey = %q, want the key of xy12345.us-east-1", claim.Key())
	}
}

func TestPlacementIgnoresAccountSpelling(t *testing.T) {
	a := parsedExample(t)
	a.Snowflake.Account = "xy12345"
	b := a
	b.Snowflake.Account = "XY12345.us-west-2.aws"
	for _, f := range b.placementFields() {
		if f.path != "$.snowflake.account" {
			continue
		}
		for _, g := range a.placementFields() {
			if g.path == f.path && g.value != f.value {
				t.Errorf("placement value %q and %q, want one value", g.value, f.value)
			}
		}
	}
}

func parsedExample(t *testing.T) Request {
	t.Helper()
	req, err := Parse([]byte(validJSON()))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return req
}
