package sfsim

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/snowflake"
)

// endpointStateCase is a connection state that the provider's side of
// Private Link sets, with the endpoint_state and status that
// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO reports for it.
type endpointStateCase struct {
	state         string
	endpointState string
	status        string
}

func TestAzureEndpointInfoFields(t *testing.T) {
	const service = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/privateLinkServices/pls1"
	tests := []endpointStateCase{
		{"Pending", "PENDING_CREATION", "PENDING"},
		{"Approved", "CREATED", "APPROVED"},
		{"Rejected", "FAILED", "REJECTED"},
		{"Disconnected", "FAILED", "DISCONNECTED"},
	}
	azureFields := map[string]any{"subresource": "", "additional_hostnames": []any{}}
	checkEndpointInfoFields(t, service, tests, azureFields)
}

func TestGCPEndpointInfoFields(t *testing.T) {
	const service = "projects/proj-one/regions/us-central1/serviceAttachments/sa1"
	tests := []endpointStateCase{
		{"PENDING", "PENDING_CREATION", "Pending"},
		{"ACCEPTED", "CREATED", "ACCEPTED"},
		{"NEEDS_ATTENTION", "PENDING_CREATION", "NEEDS_ATTENTION"},
		{"REJECTED", "FAILED", "REJECTED"},
		{"CLOSED", "FAILED", "CLOSED"},
	}
	checkEndpointInfoFields(t, service, tests, nil)
}

// checkEndpointInfoFields provisions an endpoint to service, sets each
// state of tests on the service and compares the endpoint's info with the
// fields that every provider reports plus providerFields.
func checkEndpointInfoFields(t *testing.T, service string, tests []endpointStateCase, providerFields map[string]any) {
	t.Helper()
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	sb.link.addService(service, AccountPrincipal, "127.0.0.1:1")
	mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint(service, testHost))

	for _, tt := range tests {
		sb.link.setState(service, tt.state)
		// An approved or accepted endpoint turns CREATED after the
		// endpoint delay.
		endpointsInfo(t, client)
		sb.clock.Advance(time.Hour)
		infos := endpointsInfo(t, client)
		if len(infos) != 1 {
			t.Fatalf("%s: got %d endpoints, want 1", tt.state, len(infos))
		}
		want := map[string]any{
			"provider_resource_id":  service,
			"snowflake_resource_id": "vpce-0001",
			"host":                  testHost,
			"endpoint_state":        tt.endpointState,
			"status":                tt.status,
		}
		maps.Copy(want, providerFields)
		if diff := cmp.Diff(want, infos[0]); diff != "" {
			t.Errorf("%s: endpoint info (-want +got):\n%s", tt.state, diff)
		}
	}
}

func endpointsInfo(t *testing.T, client snowflake.Conn) []map[string]any {
	t.Helper()
	var infos []map[string]any
	if err := json.Unmarshal([]byte(mustScalar(t, client, snowflake.GetPrivateLinkEndpointsInfo())), &infos); err != nil {
		t.Fatal(err)
	}
	return infos
}
