package sfsim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/snowflake"
)

func TestAzureEndpointInfoFields(t *testing.T) {
	const service = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/privateLinkServices/pls1"
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	sb.link.addService(service, AccountPrincipal, "127.0.0.1:1")
	mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint(service, testHost))

	tests := []struct {
		state         string
		endpointState string
		status        string
	}{
		{"Pending", "PENDING_CREATION", "PENDING"},
		{"Approved", "CREATED", "APPROVED"},
		{"Rejected", "FAILED", "REJECTED"},
		{"Disconnected", "FAILED", "DISCONNECTED"},
	}
	for _, tt := range tests {
		sb.link.setState(service, tt.state)
		// An approved endpoint turns CREATED after the endpoint delay.
		endpointsInfo(t, client)
		sb.clock.Advance(time.Hour)
		infos := endpointsInfo(t, client)
		if len(infos) != 1 {
			t.Fatalf("%s: got %d endpoints, want 1", tt.state, len(infos))
		}
		want := map[string]any{
			"provider_resource_id":  service,
			"subresource":           "",
			"snowflake_resource_id": "vpce-0001",
			"host":                  testHost,
			"endpoint_state":        tt.endpointState,
			"status":                tt.status,
			"additional_hostnames":  []any{},
		}
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
