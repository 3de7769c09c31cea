package sfsim

import (
	"testing"
	"time"
)

// A deprovisioned endpoint reports a status that Snowflake documents for
// its cloud: DISCONNECTED on Azure and NO CONNECTION on Google Cloud.
func TestDeprovisionedEndpointStatus(t *testing.T) {
	deleted := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		service string
		want    string
	}{
		{"aws", "com.amazonaws.vpce.us-west-2.vpce-svc-0123", "Deleting"},
		{"azure", "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/pls", "DISCONNECTED"},
		{"gcp", "projects/p/regions/us-central1/serviceAttachments/sa", "NO CONNECTION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Server
			got, err := s.endpointState(Endpoint{ServiceName: tt.service, DeletedOn: &deleted})
			if err != nil {
				t.Fatalf("endpointState: %v", err)
			}
			if got.endpointState != "PENDING_DELETION" {
				t.Errorf("endpoint_state = %q, want PENDING_DELETION", got.endpointState)
			}
			if got.status != tt.want {
				t.Errorf("status = %q, want %q", got.status, tt.want)
			}
		})
	}
}
