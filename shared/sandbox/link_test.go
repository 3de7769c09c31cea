package sandbox

import (
	"strings"
	"testing"
)

// recordingLink records which cloud received a call.
type recordingLink struct {
	name  string
	calls *[]string
}

func (l recordingLink) Connect(serviceID, principal string) (string, error) {
	*l.calls = append(*l.calls, l.name)
	return l.name + "-endpoint", nil
}

func (l recordingLink) ConnectionState(serviceID, endpointID string) (string, error) {
	*l.calls = append(*l.calls, l.name)
	return "pending", nil
}

func (l recordingLink) Address(serviceID string) (string, error) {
	*l.calls = append(*l.calls, l.name)
	return "127.0.0.1:1", nil
}

func (l recordingLink) Disconnect(serviceID, endpointID string) error {
	*l.calls = append(*l.calls, l.name)
	return nil
}

func TestLinkMuxRoutesByServiceID(t *testing.T) {
	tests := []struct {
		serviceID string
		want      string
	}{
		{"com.amazonaws.vpce.us-west-2.vpce-svc-0123456789abcdef0", "aws"},
		{"cn.com.amazonaws.vpce.cn-north-1.vpce-svc-0123456789abcdef0", "aws"},
		{"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/pls", "azure"},
		{"/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.network/privatelinkservices/pls", "azure"},
		{"projects/proj1/regions/us-central1/serviceAttachments/sa1", "gcp"},
		{"https://www.googleapis.com/compute/v1/projects/proj1/regions/us-central1/serviceAttachments/sa1", "gcp"},
	}
	for _, tt := range tests {
		t.Run(tt.want+"/"+tt.serviceID[:12], func(t *testing.T) {
			var calls []string
			mux := linkMux{
				AWS:   recordingLink{"aws", &calls},
				Azure: recordingLink{"azure", &calls},
				GCP:   recordingLink{"gcp", &calls},
			}
			endpointID, err := mux.Connect(tt.serviceID, "principal")
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if endpointID != tt.want+"-endpoint" {
				t.Errorf("Connect returned %q, want %q", endpointID, tt.want+"-endpoint")
			}
			if _, err := mux.ConnectionState(tt.serviceID, endpointID); err != nil {
				t.Fatalf("ConnectionState: %v", err)
			}
			if _, err := mux.Address(tt.serviceID); err != nil {
				t.Fatalf("Address: %v", err)
			}
			if err := mux.Disconnect(tt.serviceID, endpointID); err != nil {
				t.Fatalf("Disconnect: %v", err)
			}
			for _, got := range calls {
				if got != tt.want {
					t.Errorf("call went to %s, want %s", got, tt.want)
				}
			}
		})
	}
}

func TestLinkMuxRejectsUnknownAndAbsentClouds(t *testing.T) {
	var calls []string
	mux := linkMux{AWS: recordingLink{"aws", &calls}}
	tests := []struct {
		serviceID string
		wantText  string
	}{
		{"vpce-svc-0123", "is not an AWS endpoint service name"},
		{"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/pls", "names azure"},
	}
	for _, tt := range tests {
		_, err := mux.Connect(tt.serviceID, "principal")
		if err == nil || !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("Connect(%q) error = %v, want it to contain %q", tt.serviceID, err, tt.wantText)
		}
	}
	if len(calls) != 0 {
		t.Errorf("calls reached a cloud: %v", calls)
	}
}
