package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// TestTeardownAzureKeptLoadBalancer tears down an Azure
// run whose load balancer frontend another request's Private Link Service
// also uses. Resource Manager rejects the load balancer's delete as in use
// by that service, so the teardown must keep the load balancer, name the
// service in the reason, delete everything else and succeed.
func TestTeardownAzureKeptLoadBalancer(t *testing.T) {
	rt, req := openSandbox(t, "azure-privatelink.json")
	name, provisioned := provision(t, rt, req)
	ctx := context.Background()

	// Another request puts its own Private Link Service on the frontend of
	// this request's load balancer.
	az := req.Azure
	network, err := rt.env.Azure(ctx, az.SubscriptionID)
	if err != nil {
		t.Fatalf("azure adapter: %v", err)
	}
	lbID := taggedOfType(rt, req.ID, "/loadBalancers/")
	lb, err := network.FindLoadBalancer(ctx, az.ResourceGroup, lbID[strings.LastIndex(lbID, "/")+1:])
	if err != nil || lb == nil || len(lb.Frontends) == 0 {
		t.Fatalf("find load balancer %s = %+v, %v", lbID, lb, err)
	}
	const otherRequest = "DATA-5000"
	other, err := network.CreatePrivateLinkService(ctx, cloud.AzurePrivateLinkServiceSpec{
		ResourceGroup: az.ResourceGroup,
		Location:      az.Location,
		Name:          "rl-data-5000-pls",
		RequestID:     otherRequest,
		FrontendID:    lb.Frontends[0].ID,
		NATSubnetID:   "/subscriptions/" + az.SubscriptionID + "/resourceGroups/" + az.ResourceGroup + "/providers/Microsoft.Network/virtualNetworks/" + az.VNetName + "/subnets/" + az.PLSSubnetName,
		NATConfig:     "nat",
	})
	if err != nil {
		t.Fatalf("create the other request's private link service: %v", err)
	}

	teardown := runMachine(t, rt, "teardown", name+"-teardown", provisioned.Input)
	if teardown.Status != "SUCCEEDED" {
		t.Fatalf("teardown = %s (%s: %s)", teardown.Status, teardown.Error, teardown.Cause)
	}
	actions := stepActions(t, teardown)
	for step, want := range map[string]string{
		"teardown_azure_private_link_service": workflow.Deleted,
		"teardown_azure_load_balancer":        workflow.Kept,
		"teardown_azure_proxy_vm":             workflow.Deleted,
	} {
		if actions[step] != want {
			t.Errorf("teardown step %s = %q, want %q (all: %v)", step, actions[step], want, actions)
		}
	}

	result := stepResult(t, teardown, "teardown_azure_load_balancer")
	if !strings.EqualFold(result.ID, lbID) {
		t.Errorf("kept ID = %q, want the load balancer %s", result.ID, lbID)
	}
	if !strings.Contains(strings.ToLower(result.Reason), strings.ToLower(other.ID)) {
		t.Errorf("reason %q does not name the other request's service %s", result.Reason, other.ID)
	}
	if !strings.Contains(result.Reason, "by hand") {
		t.Errorf("reason %q does not say what to do", result.Reason)
	}
	if lines := keptObjects(teardown.Output); len(lines) != 1 || !strings.HasPrefix(lines[0], "teardown_azure_load_balancer ") {
		t.Errorf("summary lists kept resources %v, want only the load balancer", lines)
	}

	left := rt.sandbox.Azure.Tagged(cloud.TagRequest, req.ID)
	if len(left) != 1 || !strings.EqualFold(left[0], lbID) {
		t.Errorf("after teardown the request's resources are %v, want only the load balancer %s", left, lbID)
	}
	if others := rt.sandbox.Azure.Tagged(cloud.TagRequest, otherRequest); !slices.ContainsFunc(others, func(id string) bool { return strings.EqualFold(id, other.ID) }) {
		t.Errorf("teardown removed the other request's service %s (left: %v)", other.ID, others)
	}
}

// taggedOfType returns the ID of the sandbox resource whose tag names the
// request and whose ID contains kind, such as "/loadBalancers/".
func taggedOfType(rt *runtime, requestID, kind string) string {
	for _, id := range rt.sandbox.Azure.Tagged(cloud.TagRequest, requestID) {
		if strings.Contains(strings.ToLower(id), strings.ToLower(kind)) {
			return id
		}
	}
	return ""
}

// stepResult returns the result that a step wrote under key in an
// execution's output.
func stepResult(t *testing.T, exec engine.Execution, key string) workflow.Result {
	t.Helper()
	var doc struct {
		Resources map[string]workflow.Result `json:"resources"`
	}
	if err := json.Unmarshal(exec.Output, &doc); err != nil {
		t.Fatalf("decode output of %s: %v", exec.Name, err)
	}
	return doc.Resources[key]
}
