package sfsim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/snowflake"
)

func TestGCPEndpointInfoFields(t *testing.T) {
	const service = "projects/proj-one/regions/us-central1/serviceAttachments/sa1"
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	sb.link.addService(service, AccountPrincipal, "127.0.0.1:1")
	mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint(service, testHost))

	tests := []struct {
		state         string
		endpointState string
		status        string
	}{
		{"PENDING", "PENDING_CREATION", "Pending"},
		{"ACCEPTED", "CREATED", "ACCEPTED"},
		{"NEEDS_ATTENTION", "PENDING_CREATION", "NEEDS_ATTENTION"},
		{"REJECTED", "FAILED", "REJECTED"},
		{"CLOSED", "FAILED", "CLOSED"},
	}
	for _, tt := range tests {
		sb.link.setState(service, tt.state)
		// An accepted endpoint turns CREATED after the endpoint delay.
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
		if diff := cmp.Diff(want, infos[0]); diff != "" {
			t.Errorf("%s: endpoint info (-want +got):\n%s", tt.state, diff)
		}
	}
}

func TestPrivateLinkConfigNamesGCPProject(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	var config map[string]any
	if err := json.Unmarshal([]byte(mustScalar(t, client, snowflake.GetPrivateLinkConfig())), &config); err != nil {
		t.Fatal(err)
	}
	want := "projects/" + GCPProject + "/regions/us-central1/serviceAttachments/sf-sandbox-privatelink"
	if got := config["privatelink-gcp-service-attachment"]; got != want {
		t.Errorf("privatelink-gcp-service-attachment = %v, want %s", got, want)
	}
}
