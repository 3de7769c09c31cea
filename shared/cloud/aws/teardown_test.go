package aws

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/workflow"
)

func TestSandboxTeardownInReverseOrder(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	svc, _ := provision(t, ctx, p, env)
	endpointID, err := env.sim.Connect(svc.Name, snowflakePrincipal)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	inst, _ := p.FindInstance(ctx, testRequest.id, testRequest.name)
	tg, _ := p.FindTargetGroup(ctx, testRequest.name)
	lb, _ := p.FindLoadBalancer(ctx, testRequest.name)
	listener, _ := p.FindListener(ctx, lb.ARN, 443)

	// What is still in use cannot go yet.
	for name, del := range map[string]func() error{
		"endpoint service with a live connection": func() error { return p.DeleteEndpointService(ctx, svc.ID) },
		"load balancer of an endpoint service":    func() error { return p.DeleteLoadBalancer(ctx, lb.ARN) },
		"target group behind a listener":          func() error { return p.DeleteTargetGroup(ctx, tg.ARN) },
	} {
		if err := del(); workflow.NameOf(err) != workflow.ErrNotReady {
			t.Errorf("delete %s: error = %v, want NotReady", name, err)
		}
	}

	steps := []struct {
		name string
		run  func() error
	}{
		{"reject connection", func() error { return p.RejectEndpointConnection(ctx, svc.ID, endpointID) }},
		{"delete endpoint service", func() error { return p.DeleteEndpointService(ctx, svc.ID) }},
		{"delete listener", func() error { return p.DeleteListener(ctx, listener.ARN) }},
		{"delete load balancer", func() error { return p.DeleteLoadBalancer(ctx, lb.ARN) }},
		{"delete target group", func() error { return p.DeleteTargetGroup(ctx, tg.ARN) }},
		{"terminate instance", func() error { return p.TerminateInstance(ctx, inst.ID) }},
	}
	for _, step := range steps {
		if err := step.run(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	// Each delete succeeds again once its resource is gone.
	for _, step := range steps {
		if err := step.run(); err != nil {
			t.Errorf("%s again: %v, want success", step.name, err)
		}
	}

	if got, err := p.FindEndpointService(ctx, testRequest.id); err != nil || got != nil {
		t.Errorf("FindEndpointService after teardown = %v, %v; want nil", got, err)
	}
	if got, err := p.FindLoadBalancer(ctx, testRequest.name); err != nil || got != nil {
		t.Errorf("FindLoadBalancer after teardown = %v, %v; want nil", got, err)
	}
	if got, err := p.FindTargetGroup(ctx, testRequest.name); err != nil || got != nil {
		t.Errorf("FindTargetGroup after teardown = %v, %v; want nil", got, err)
	}
	if got, err := p.FindInstance(ctx, testRequest.id, testRequest.name); err != nil || got != nil {
		t.Errorf("FindInstance after teardown = %v, %v; want nil", got, err)
	}
	wantCounts := map[string]int{
		"instances": 1, "target_groups": 0, "load_balancers": 0, "listeners": 0,
		"endpoint_services": 0, "endpoint_connections": 1, "secrets": 0,
	}
	if diff := cmp.Diff(wantCounts, env.sim.Counts()); diff != "" {
		t.Errorf("counts after teardown, terminated instance and rejected connection kept (-want +got):\n%s", diff)
	}
}

func TestDeleteEndpointServiceUnsuccessful(t *testing.T) {
	cases := []struct {
		name string
		body string
		want string
	}{
		{"deleted", `<R><unsuccessful/></R>`, ""},
		{"not found", `<R><unsuccessful><item><error><code>InvalidVpcEndpointServiceId.NotFound</code><message>gone</message></error><resourceId>vpce-svc-1</resourceId></item></unsuccessful></R>`, ""},
		{"connections", `<R><unsuccessful><item><error><code>ExistingVpcEndpointConnections</code><message>Service has existing active VPC Endpoint connections</message></error><resourceId>vpce-svc-1</resourceId></item></unsuccessful></R>`, workflow.ErrNotReady},
		{"other", `<R><unsuccessful><item><error><code>InvalidState</code><message>busy</message></error><resourceId>vpce-svc-1</resourceId></item></unsuccessful></R>`, workflow.ErrConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, map[string][]reply{"DeleteVpcEndpointServiceConfigurations": {{body: tc.body}}})
			p := newTestProvider(t, rec.server.URL)
			err := p.DeleteEndpointService(context.Background(), "vpce-svc-1")
			if got := workflow.NameOf(err); got != tc.want || (tc.want == "") != (err == nil) {
				t.Errorf("DeleteEndpointService = %v (name %q), want name %q", err, got, tc.want)
			}
			checkForm(t, rec.form("DeleteVpcEndpointServiceConfigurations"), map[string]string{"ServiceId.1": "vpce-svc-1"})
		})
	}
}

func TestSandboxIPTarget(t *testing.T) {
	ctx := context.Background()
	clock := simtest.NewClock(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	index, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer index.Close()
	go func() {
		for {
			conn, err := index.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	var mu sync.Mutex
	var resolved []string
	sim, err := awssim.Start(ctx, awssim.Options{
		Clock: clock.Now,
		ResolveIP: func(ip string, port int) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			resolved = append(resolved, net.JoinHostPort(ip, strconv.Itoa(port)))
			return index.Addr().String(), nil
		},
	})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	defer sim.Close()
	p := newTestProvider(t, sim.URL())

	tg, err := p.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "rl-ip", RequestID: "DATA-1", VPCID: "vpc-0abc", Port: 443, TargetType: "ip"})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	if tg.TargetType != "ip" {
		t.Errorf("target type = %q, want ip", tg.TargetType)
	}
	for _, bad := range []string{"203.0.113.10", "i-0123456789abcdef0"} {
		if err := p.RegisterTarget(ctx, tg.ARN, bad, 443); workflow.NameOf(err) != workflow.ErrInvalidRequest {
			t.Errorf("RegisterTarget(%s) = %v, want InvalidRequest", bad, err)
		}
	}
	if err := p.RegisterTarget(ctx, tg.ARN, "10.0.1.25", 443); err != nil {
		t.Fatalf("RegisterTarget: %v", err)
	}

	lb, err := p.CreateLoadBalancer(ctx, cloud.LoadBalancerSpec{Name: "rl-ip-lb", RequestID: "DATA-1", SubnetIDs: []string{"subnet-01"}})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	if _, err := p.CreateListener(ctx, lb.ARN, tg.ARN, 443); err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
	health, err := p.TargetHealth(ctx, tg.ARN)
	if err != nil {
		t.Fatalf("TargetHealth: %v", err)
	}
	if diff := cmp.Diff([]cloud.TargetHealth{{ID: "10.0.1.25", Port: 443, State: "healthy"}}, health); diff != "" {
		t.Errorf("health (-want +got):\n%s", diff)
	}
	svc, err := p.CreateEndpointService(ctx, "DATA-1", lb.ARN, "token")
	if err != nil {
		t.Fatalf("CreateEndpointService: %v", err)
	}
	addr, err := sim.Address(svc.Name)
	if err != nil || addr != index.Addr().String() {
		t.Errorf("Address = %q, %v; want %s", addr, err, index.Addr())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(resolved) == 0 || resolved[0] != "10.0.1.25:443" {
		t.Errorf("resolved %v, want 10.0.1.25:443 first", resolved)
	}
}
