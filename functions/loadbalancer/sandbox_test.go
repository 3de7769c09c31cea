package loadbalancer

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/awssandbox"
	"github.com/repolink/repolink/functions/targetgroup"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// sandboxDocument returns the document of an aws-privatelink request
// without a proxy, in two subnets of the sandbox region.
func sandboxDocument() workflow.Document {
	aws := request.AWS{
		Region: "us-west-2", VPCID: "vpc-0abc", SubnetIDs: []string{"subnet-01", "subnet-02"},
		Proxy: "none", TargetAddress: "10.0.1.26", Upstream: "pypi.internal.example.com:443",
	}
	return workflow.Document{Request: request.Request{ID: "DATA-4722", AWS: &aws}, Execution: "DATA-4722"}
}

func TestSandboxDeletedTargetGroupConflicts(t *testing.T) {
	env, provider := awssandbox.Start(t)
	ctx := t.Context()
	doc := sandboxDocument()
	tg, err := targetgroup.Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("target group step: %v", err)
	}
	// A teardown between a failed run and its redrive deletes the group
	// that the document still names.
	if err := provider.DeleteTargetGroup(ctx, tg.ID); err != nil {
		t.Fatalf("DeleteTargetGroup: %v", err)
	}
	doc.Resources.TargetGroup = &tg

	_, err = Run(ctx, env, doc)
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with a deleted target group = %v, want Conflict", err)
	}
	if !strings.Contains(err.Error(), tg.ID) || !strings.Contains(err.Error(), "new run") {
		t.Errorf("error %q does not name the group and the fix", err)
	}
}

func TestSandboxListenerToOtherGroupConflicts(t *testing.T) {
	env, provider := awssandbox.Start(t)
	ctx := t.Context()
	doc := sandboxDocument()
	tg, err := targetgroup.Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("target group step: %v", err)
	}
	doc.Resources.TargetGroup = &tg
	// The first run creates the listener to tg and then waits for a
	// healthy target, which the sandbox address never becomes.
	if _, err := Run(ctx, env, doc); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("first Run = %v, want NotReady until a target is healthy", err)
	}

	other, err := provider.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "other-tg", RequestID: "DATA-4722", VPCID: "vpc-0abc", Port: 443, TargetType: "ip"})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	doc.Resources.TargetGroup = &workflow.TargetGroup{Result: workflow.Result{ID: other.ARN}}
	_, err = Run(ctx, env, doc)
	if workflow.NameOf(err) != workflow.ErrConflict {
		t.Fatalf("Run with another target group = %v, want Conflict", err)
	}
	if !strings.Contains(err.Error(), tg.ID) || !strings.Contains(err.Error(), other.ARN) {
		t.Errorf("error %q does not name both target groups", err)
	}
}

func TestSandboxAddsZoneToExistingLoadBalancer(t *testing.T) {
	env, provider, sim := awssandbox.StartSim(t)
	ctx := t.Context()
	doc := sandboxDocument()
	tg, err := targetgroup.Run(ctx, env, doc)
	if err != nil {
		t.Fatalf("target group step: %v", err)
	}
	doc.Resources.TargetGroup = &tg
	// The first run creates the load balancer in two zones and then waits
	// for a healthy target, which the sandbox address never becomes.
	if _, err := Run(ctx, env, doc); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("first Run = %v, want NotReady until a target is healthy", err)
	}
	name := workflow.NamesFor(doc.Request).LoadBalancer
	lb, err := provider.FindLoadBalancer(ctx, name)
	if err != nil || lb == nil {
		t.Fatalf("FindLoadBalancer = %v, %v", lb, err)
	}
	svc, err := provider.CreateEndpointService(ctx, "DATA-4722", lb.ARN, "token-1")
	if err != nil {
		t.Fatalf("CreateEndpointService: %v", err)
	}

	// The region gains a zone, and the request a subnet in it.
	if err := sim.SetZoneCount(3); err != nil {
		t.Fatal(err)
	}
	// The endpoint service exists, so a rerun without a subnet there goes
	// on with a warning and leaves the load balancer's subnets alone.
	if _, err := Run(ctx, env, doc); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("Run without a subnet in usw2-az3 = %v, want NotReady until a target is healthy", err)
	}
	if lb, err := provider.FindLoadBalancer(ctx, name); err != nil || lb == nil || strings.Join(lb.SubnetIDs, ",") != "subnet-01,subnet-02" {
		t.Fatalf("load balancer after the rerun = %+v, %v, want subnets subnet-01,subnet-02", lb, err)
	}
	doc.Request.AWS.SubnetIDs = append(doc.Request.AWS.SubnetIDs, "subnet-03")
	if _, err := Run(ctx, env, doc); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("Run with a third subnet = %v, want NotReady until a target is healthy", err)
	}
	lb, err = provider.FindLoadBalancer(ctx, name)
	if err != nil || lb == nil {
		t.Fatalf("FindLoadBalancer = %v, %v", lb, err)
	}
	if got, want := strings.Join(lb.SubnetIDs, ","), "subnet-01,subnet-02,subnet-03"; got != want {
		t.Errorf("load balancer subnets = %s, want %s", got, want)
	}
	if got, want := strings.Join(lb.Zones, ","), "us-west-2a,us-west-2b,us-west-2c"; got != want {
		t.Errorf("load balancer zones = %s, want %s", got, want)
	}

	// A second run finds every zone served and changes nothing.
	if _, err := Run(ctx, env, doc); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("second Run = %v, want NotReady until a target is healthy", err)
	}
	again, err := provider.FindLoadBalancer(ctx, name)
	if err != nil || again == nil {
		t.Fatalf("FindLoadBalancer = %v, %v", again, err)
	}
	if got, want := strings.Join(again.SubnetIDs, ","), strings.Join(lb.SubnetIDs, ","); got != want {
		t.Errorf("subnets after the second run = %s, want unchanged %s", got, want)
	}

	// The endpoint service keeps the zones it took at association.
	found, err := provider.FindEndpointService(ctx, "DATA-4722")
	if err != nil || found == nil {
		t.Fatalf("FindEndpointService = %v, %v", found, err)
	}
	if found.ID != svc.ID || strings.Join(found.Zones, ",") != "us-west-2a,us-west-2b" {
		t.Errorf("endpoint service %s zones = %v, want %s in us-west-2a and us-west-2b", found.ID, found.Zones, svc.ID)
	}
}
