package gcp

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
)

// secondGroup creates a second group with the VM of buildLoadBalancer and
// a health check for a second backend service.
func (h *harness) secondGroup(t *testing.T) (cloud.GCPInstanceGroup, cloud.GCPHealthCheck) {
	t.Helper()
	ctx := context.Background()
	group, err := h.net.CreateInstanceGroup(ctx, cloud.GCPInstanceGroupSpec{Name: "other-group", RequestID: "REQ-2", Zone: zone, Network: "vpc-one"})
	if err != nil {
		t.Fatalf("CreateInstanceGroup: %v", err)
	}
	hc, err := h.net.CreateHealthCheck(ctx, cloud.GCPHealthCheckSpec{Name: "other-hc", RequestID: "REQ-2", Region: region, Port: 443})
	if err != nil {
		t.Fatalf("CreateHealthCheck: %v", err)
	}
	return group, hc
}

func TestBackendServiceRejectsVMInTwoBalancedGroups(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	h.buildLoadBalancer(t)
	group, hc := h.secondGroup(t)
	if err := h.net.AddInstanceToGroup(ctx, zone, group.Name, "proxy"); err != nil {
		t.Fatalf("AddInstanceToGroup to a group without a backend service: %v", err)
	}

	_, err := h.net.CreateBackendService(ctx, cloud.GCPBackendServiceSpec{
		Name: "other-bs", RequestID: "REQ-2", Region: region, Network: "vpc-one", HealthCheck: hc.Path, Group: group.Path})
	if err == nil {
		t.Fatal("CreateBackendService succeeded with a VM that is in another load-balanced group")
	}
	if got := reasonOf(err); got != "instanceInMultipleLoadBalancedIgs" {
		t.Errorf("reason %q, want instanceInMultipleLoadBalancedIgs", got)
	}
	if !strings.Contains(err.Error(), "instance may belong to at most one load-balanced instance group") {
		t.Errorf("error %v does not give Compute Engine's message", err)
	}
}

func TestAddInstancesRejectsVMInTwoBalancedGroups(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	h.buildLoadBalancer(t)
	group, hc := h.secondGroup(t)
	if err := h.sim.EnsureInstance(project, zone, "helper", "apps", "10.0.0.40", []string{"rl-proxy"}); err != nil {
		t.Fatal(err)
	}
	if err := h.net.AddInstanceToGroup(ctx, zone, group.Name, "helper"); err != nil {
		t.Fatalf("AddInstanceToGroup: %v", err)
	}
	if _, err := h.net.CreateBackendService(ctx, cloud.GCPBackendServiceSpec{
		Name: "other-bs", RequestID: "REQ-2", Region: region, Network: "vpc-one", HealthCheck: hc.Path, Group: group.Path}); err != nil {
		t.Fatalf("CreateBackendService: %v", err)
	}

	err := h.net.AddInstanceToGroup(ctx, zone, group.Name, "proxy")
	if got := reasonOf(err); got != "instanceInMultipleLoadBalancedIgs" {
		t.Errorf("AddInstanceToGroup error %v with reason %q, want instanceInMultipleLoadBalancedIgs", err, got)
	}
}

func TestListInstanceGroupsWithMembers(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	first, _, _ := h.buildLoadBalancer(t)
	second, _ := h.secondGroup(t)
	third, err := h.net.CreateInstanceGroup(ctx, cloud.GCPInstanceGroupSpec{Name: "third-group", RequestID: "REQ-3", Zone: zone, Network: "vpc-one"})
	if err != nil {
		t.Fatal(err)
	}

	groups, err := h.net.ListInstanceGroups(ctx, zone)
	if err != nil {
		t.Fatalf("ListInstanceGroups: %v", err)
	}
	members := map[string][]string{}
	for _, g := range groups {
		members[g.Path] = g.Instances
	}
	if len(groups) != 3 {
		t.Errorf("listed %d groups, want 3 across two pages", len(groups))
	}
	if got := members[first.Path]; len(got) != 1 || got[0] != first.Instances[0] {
		t.Errorf("members of %s = %v, want %v", first.Path, got, first.Instances)
	}
	for _, path := range []string{second.Path, third.Path} {
		if got, ok := members[path]; !ok || len(got) != 0 {
			t.Errorf("members of %s = %v (listed %t), want none", path, got, ok)
		}
	}
}
