package plan

import (
	"context"
	"testing"
)

// Snowflake may list an endpoint that a teardown deprovisioned before the
// live one to a service with the same ID, as on Azure and Google Cloud.
func TestPlanEndpointSkipsDeprovisioned(t *testing.T) {
	network, conn := settledWorld(t)
	conn.endpoints = `[{"provider_service_name": "com.amazonaws.vpce.us-west-2.vpce-svc-1", "endpoint_state": "PENDING_DELETION", "status": "Deleting", "host": "pypi.corp.example.com"},` +
		`{"provider_service_name": "com.amazonaws.vpce.us-west-2.vpce-svc-1", "endpoint_state": "CREATED", "status": "Available", "host": "pypi.corp.example.com"}]`

	report := Plan(context.Background(), env(network, conn, nil), exampleRequest(t))

	it := item(t, report, "endpoint")
	if it.State != Adopt {
		t.Errorf("state = %q, want %q (detail %q)", it.State, Adopt, it.Detail)
	}
}
