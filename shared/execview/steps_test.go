package execview

import "testing"

func TestResultStepsOfEachRoute(t *testing.T) {
	tests := []struct {
		machine, route string
		want           map[string]string
	}{
		{Provision, "aws-privatelink", map[string]string{
			"proxy_vm": "proxy_vm", "load_balancer": "load_balancer", "endpoint_service": "endpoint_service",
			"connection": "connection", "endpoint_live": "await_endpoint", "verification": "verification"}},
		{Provision, "azure-privatelink", map[string]string{
			"proxy_vm": "azure_proxy_vm", "load_balancer": "azure_load_balancer", "endpoint_service": "azure_private_link_service",
			"connection": "azure_connection", "endpoint_live": "await_endpoint", "default": "default"}},
		{Provision, "gcp-privatelink", map[string]string{
			"proxy_vm": "gcp_proxy_vm", "load_balancer": "gcp_load_balancer", "endpoint_service": "gcp_service_attachment",
			"connection": "gcp_connection", "endpoint_live": "await_endpoint"}},
		{Provision, "egress-ip", map[string]string{"egress_ranges": "egress_ranges", "secret": "secret"}},
		{Teardown, "azure-privatelink", map[string]string{
			"teardown_endpoint": "teardown_endpoint", "teardown_azure_proxy_vm": "teardown_azure_proxy_vm",
			"teardown_azure_reject_connections": "teardown_azure_reject_connections"}},
	}
	for _, tt := range tests {
		t.Run(tt.machine+" "+tt.route, func(t *testing.T) {
			steps := ResultSteps(tt.machine, tt.route)
			for key, want := range tt.want {
				if got := steps[key]; got != want {
					t.Errorf("step of %s = %q, want %q", key, got, want)
				}
			}
		})
	}
}

func TestResultStepsLeaveOutOtherRoutes(t *testing.T) {
	steps := ResultSteps(Provision, "public")
	for _, key := range []string{"proxy_vm", "endpoint_live", "egress_ranges"} {
		if step, ok := steps[key]; ok {
			t.Errorf("public route maps %s to %s, want no step", key, step)
		}
	}
	if got := steps["repository"]; got != "repository" {
		t.Errorf("step of repository = %q, want repository", got)
	}
}

func TestResultStepsOfOtherMachine(t *testing.T) {
	if steps := ResultSteps("egress-refresh", "egress-ip"); len(steps) != 0 {
		t.Errorf("ResultSteps of egress-refresh = %v, want none", steps)
	}
}
