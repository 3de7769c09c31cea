package provisionendpoint

import (
	"fmt"
	"testing"

	"github.com/repolink/repolink/shared/workflow"
)

func endpointsFor(hosts ...string) []EndpointInfo {
	var infos []EndpointInfo
	for i, host := range hosts {
		infos = append(infos, EndpointInfo{ProviderServiceName: fmt.Sprintf("svc-%d", i), Host: host})
	}
	return infos
}

func TestCheckCapacity(t *testing.T) {
	tests := []struct {
		name     string
		infos    []EndpointInfo
		own      string
		conflict bool
	}{
		{"empty account", nil, "", false},
		{"room for one more", endpointsFor("a", "b", "c", "d"), "", false},
		{"full account", endpointsFor("a", "b", "c", "d", "e"), "", true},
		{"full with the request's own endpoint", endpointsFor("a", "b", "c", "d", "e"), "SVC-4", false},
		{"full with another request's endpoint for the same host",
			endpointsFor("a", "b", "c", "d", "pypi.corp.example.com"), "svc-9", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCapacity("acme-prod", tt.infos, ServiceIs(tt.own))
			if got := workflow.NameOf(err) == workflow.ErrConflict; got != tt.conflict {
				t.Errorf("CheckCapacity() = %v, want conflict %v", err, tt.conflict)
			}
		})
	}
}
