package request

import (
	"errors"
	"strings"
	"testing"
)

// TestGCPZoneOfOtherRegion checks that a gcp.zone outside gcp.region gets
// a message that names no made-up zone, because not every region has a
// zone -a.
func TestGCPZoneOfOtherRegion(t *testing.T) {
	_, err := Parse(exampleWith(t, "gcp-privatelink.json", "gcp", "zone", "europe-west1-b"))
	var invalid *ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("Parse error = %v, want *ValidationError", err)
	}
	if len(invalid.Fields) != 1 || invalid.Fields[0].Path != "$.gcp.zone" {
		t.Fatalf("field errors = %+v, want one on $.gcp.zone", invalid.Fields)
	}
	message := invalid.Fields[0].Message
	if !strings.Contains(message, "whose name starts with us-central1-") {
		t.Errorf("message %q does not say that the zone's name starts with the region", message)
	}
	if strings.Contains(message, "us-central1-a") {
		t.Errorf("message %q suggests a zone that the region may lack", message)
	}
}
