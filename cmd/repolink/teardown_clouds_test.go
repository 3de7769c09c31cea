package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestTeardownRemovesAzureAndGCPResources(t *testing.T) {
	cases := []struct {
		example string
		// deleted are the teardown steps that must report deleted on the
		// first teardown.
		deleted []string
	}{
		{"azure-privatelink.json", []string{"teardown_snowflake", "teardown_endpoint", "teardown_azure_private_link_service", "teardown_azure_load_balancer", "teardown_azure_proxy_vm"}},
		{"azure-privatelink-no-proxy.json", []string{"teardown_snowflake", "teardown_endpoint", "teardown_azure_private_link_service", "teardown_azure_load_balancer"}},
		{"gcp-privatelink.json", []string{"teardown_snowflake", "teardown_endpoint", "teardown_gcp_service_attachment", "teardown_gcp_forwarding_rule",
			"teardown_gcp_backend_service", "teardown_gcp_health_check", "teardown_gcp_instance_group", "teardown_gcp_proxy_vm", "teardown_gcp_firewall_rules"}},
		{"gcp-privatelink-no-proxy.json", []string{"teardown_snowflake", "teardown_endpoint", "teardown_gcp_service_attachment", "teardown_gcp_forwarding_rule",
			"teardown_gcp_backend_service", "teardown_gcp_health_check", "teardown_gcp_instance_group", "teardown_gcp_firewall_rules"}},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.example, ".json"), func(t *testing.T) {
			rt, req := openSandbox(t, tc.example)
			// A Private Service Connect subnet that existed before the run
			// is not the request's to delete.
			pscSeeded := req.GCP != nil && rt.sandbox.GCP.HasSubnetwork(pscSubnetPath(req))
			name, provisioned := provision(t, rt, req)
			if found := cloudObjects(t, rt, req); len(found) < 6 {
				t.Fatalf("after provisioning the sandbox holds only %v", found)
			}

			teardown := runMachine(t, rt, "teardown", name+"-teardown", provisioned.Input)
			if teardown.Status != "SUCCEEDED" {
				t.Fatalf("teardown = %s (%s: %s)", teardown.Status, teardown.Error, teardown.Cause)
			}
			actions := stepActions(t, teardown)
			for _, step := range tc.deleted {
				if actions[step] != workflow.Deleted {
					t.Errorf("teardown step %s = %q, want deleted (all: %v)", step, actions[step], actions)
				}
			}
			checkCloudsRemoved(t, rt, req, pscSeeded)

			// A second teardown finds nothing left to remove.
			again := runMachine(t, rt, "teardown", name+"-teardown-r2", provisioned.Input)
			if again.Status != "SUCCEEDED" {
				t.Fatalf("second teardown = %s (%s: %s)", again.Status, again.Error, again.Cause)
			}
			for step, action := range stepActions(t, again) {
				if action == workflow.Deleted || action == workflow.Updated {
					t.Errorf("second teardown step %s = %s, want nothing removed", step, action)
				}
			}
			checkCloudsRemoved(t, rt, req, pscSeeded)
		})
	}
}

// cloudObjects returns what the sandbox contains for the request. That is
// what requestObjects finds, plus the Azure and Compute Engine resources
// whose tags name the request and their live connections.
func cloudObjects(t *testing.T, rt *runtime, req request.Request) []string {
	t.Helper()
	found := requestObjects(t, rt, req)
	for _, id := range rt.sandbox.Azure.Tagged(cloud.TagRequest, req.ID) {
		found = append(found, "azure "+id)
	}
	for _, path := range rt.sandbox.GCP.Tagged(`"` + req.ID + `"`) {
		found = append(found, "gcp "+path)
	}
	slices.Sort(found)
	return found
}

func checkCloudsRemoved(t *testing.T, rt *runtime, req request.Request, pscSeeded bool) {
	t.Helper()
	if found := cloudObjects(t, rt, req); len(found) != 0 {
		t.Errorf("after teardown the sandbox still holds:\n  %s", strings.Join(found, "\n  "))
	}
	if req.Azure != nil {
		// The load balancer's name ends in -lb; every request's load
		// balancer lives in the request's resource group.
		group := "/subscriptions/" + req.Azure.SubscriptionID + "/resourceGroups/" + req.Azure.ResourceGroup + "/providers/Microsoft.Network/loadBalancers/"
		if members := rt.sandbox.Azure.PoolMembers(group); len(members) != 0 {
			t.Errorf("network interfaces still in load balancer pools of %s: %v", req.Azure.ResourceGroup, members)
		}
	}
	if pscSeeded && !rt.sandbox.GCP.HasSubnetwork(pscSubnetPath(req)) {
		t.Errorf("teardown deleted the Private Service Connect subnet %s, which existed before the run", pscSubnetPath(req))
	}
}

func pscSubnetPath(req request.Request) string {
	g := req.GCP
	return "projects/" + g.Project + "/regions/" + g.Region + "/subnetworks/" + g.PSCSubnet
}
