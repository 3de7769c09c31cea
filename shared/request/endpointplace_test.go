package request

import (
	"strings"
	"testing"
)

func TestTeardownEndpointCostByRoute(t *testing.T) {
	tests := []struct {
		route    Route
		wantCost bool
	}{
		{RouteAWSPrivateLink, true},
		{RouteAzurePrivateLink, true},
		{RouteGCPPrivateLink, true},
		{RouteEgressIP, false},
		{RoutePublic, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.route), func(t *testing.T) {
			cost := TeardownEndpointCost(Request{Route: tt.route})
			if got := cost != ""; got != tt.wantCost {
				t.Fatalf("TeardownEndpointCost = %q, want a sentence: %v", cost, tt.wantCost)
			}
			if tt.wantCost && !strings.Contains(cost, "maximum of 5 private endpoints for 7 days") {
				t.Errorf("TeardownEndpointCost = %q, want the limit and the days it counts", cost)
			}
		})
	}
}
