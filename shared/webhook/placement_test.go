package webhook

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

func TestMayHaveEndpoint(t *testing.T) {
	tests := []struct {
		name      string
		lastTask  string
		resources string
		want      bool
	}{
		{name: "created", lastTask: "Connection", resources: `{"endpoint": {"action": "created", "id": "e-1"}}`, want: true},
		{name: "adopted", lastTask: "Connection", resources: `{"endpoint": {"action": "adopted", "id": "e-1"}}`, want: true},
		{name: "failed in endpoint step", lastTask: "Endpoint", resources: `{"proxy_vm": {"action": "created", "id": "i-1"}}`, want: true},
		{name: "stopped in proxy VM step", lastTask: "ProxyVM", resources: `{"preflight": {"action": "checked"}}`},
		{name: "skipped endpoint", lastTask: "Secret", resources: `{"endpoint": {"action": "skipped"}}`},
		{name: "no resources", lastTask: "ProxyVM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MayHaveEndpoint(tt.lastTask, json.RawMessage(tt.resources)); got != tt.want {
				t.Errorf("MayHaveEndpoint(%q, %s) = %v, want %v", tt.lastTask, tt.resources, got, tt.want)
			}
		})
	}
}

func TestPlacementChangeEndpointCost(t *testing.T) {
	earlier := request.Request{ID: "V-1", Route: request.RouteAWSPrivateLink}
	later := earlier
	change := PlacementChange{Earlier: earlier, Later: later, Fields: []string{"$.aws.region"}, Execution: "V-1",
		Status: "ABORTED", Stopped: true}
	const cost = "deprovisions its Snowflake private endpoint"
	if reason := change.Conflict().Reason; !strings.Contains(reason, cost) {
		t.Errorf("reason without NoEndpoint lacks %q:\n%s", cost, reason)
	}
	change.NoEndpoint = true
	if reason := change.Conflict().Reason; strings.Contains(reason, cost) {
		t.Errorf("reason with NoEndpoint contains %q:\n%s", cost, reason)
	}
}

func TestPlacementChangeRunningEarlierRun(t *testing.T) {
	earlier := request.Request{ID: "V-1", Route: request.RouteAWSPrivateLink}
	change := PlacementChange{Earlier: earlier, Later: earlier, Fields: []string{"$.aws.region"}, Execution: "V-1",
		Status: "RUNNING"}

	reason := change.Conflict().Reason

	if want := "Wait for execution V-1 to close, or stop it, then tear down the request"; !strings.Contains(reason, want) {
		t.Errorf("reason lacks %q:\n%s", want, reason)
	}
	if strings.Contains(reason, "Tear down the request first") {
		t.Errorf("reason advises a teardown, which a running execution rejects:\n%s", reason)
	}
}
