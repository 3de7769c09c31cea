package request

import (
	"errors"
	"strings"
	"testing"
)

// TestGCPZoneOfOtherRegionParses checks that the request check accepts a
// gcp.zone outside gcp.region, because a misspelt region and a misspelt
// zone look the same here. The gcp_region check decides which field is
// wrong from the project's region list.
func TestGCPZoneOfOtherRegionParses(t *testing.T) {
	if _, err := Parse(exampleWith(t, "gcp-privatelink.json", "gcp", "zone", "europe-west1-b")); err != nil {
		t.Errorf("Parse with a zone of another region: %v, want no error", err)
	}
	if _, err := Parse(exampleWith(t, "gcp-privatelink.json", "gcp", "region", "us-cental1")); err != nil {
		t.Errorf("Parse with a misspelt region: %v, want no error", err)
	}
}

// TestGCPZoneNameForm checks that a gcp.zone that is not a zone name is
// rejected on $.gcp.zone with an example of the form.
func TestGCPZoneNameForm(t *testing.T) {
	for _, zone := range []string{"us-central1", "US-CENTRAL1-A", "us-central1-", "central1-a"} {
		_, err := Parse(exampleWith(t, "gcp-privatelink.json", "gcp", "zone", zone))
		var invalid *ValidationError
		if !errors.As(err, &invalid) {
			t.Errorf("zone %q: Parse error = %v, want *ValidationError", zone, err)
			continue
		}
		if len(invalid.Fields) != 1 || invalid.Fields[0].Path != "$.gcp.zone" {
			t.Errorf("zone %q: field errors = %+v, want one on $.gcp.zone", zone, invalid.Fields)
			continue
		}
		if message := invalid.Fields[0].Message; !strings.Contains(message, "such as us-central1-a") {
			t.Errorf("zone %q: message %q gives no example of a zone name", zone, message)
		}
	}
}
