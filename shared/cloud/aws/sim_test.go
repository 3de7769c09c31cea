package aws

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/workflow"
)

const snowflakePrincipal = "arn:aws:iam::444455556666:root"

type simEnv struct {
	sim      *awssim.Server
	clock    *simtest.Clock
	launcher *simtest.Launcher
	opts     awssim.Options
}

var simDelays = awssim.Delays{
	InstanceRunning:     30 * time.Second,
	LoadBalancerActive:  2 * time.Minute,
	TargetHealthy:       20 * time.Second,
	ConnectionAvailable: time.Minute,
}

func startSim(t *testing.T, dir string) *simEnv {
	t.Helper()
	env := &simEnv{
		clock:    simtest.NewClock(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)),
		launcher: &simtest.Launcher{},
	}
	env.opts = awssim.Options{Dir: dir, Clock: env.clock.Now, Delays: simDelays, Launcher: env.launcher}
	env.restart(t)
	return env
}

// restart starts a new sandbox process on the same directory.
func (e *simEnv) restart(t *testing.T) {
	t.Helper()
	if e.sim != nil {
		if err := e.sim.Close(); err != nil {
			t.Fatalf("close sandbox: %v", err)
		}
	}
	sim, err := awssim.Start(context.Background(), e.opts)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	e.sim = sim
	t.Cleanup(func() { sim.Close() })
}

// request is what the steps of one provision run would create.
type request struct {
	id, name string
}

var testRequest = request{id: "DATA-4711", name: "repolink-data-4711"}

// provision runs the aws-privatelink network steps the way the workflow
// does: find first, create only what is missing. It returns the endpoint
// service and whether anything was created.
func provision(t *testing.T, ctx context.Context, p *Provider, env *simEnv) (cloud.EndpointService, bool) {
	t.Helper()
	created := false

	inst, err := p.FindInstance(ctx, testRequest.id, testRequest.name)
	if err != nil {
		t.Fatalf("FindInstance: %v", err)
	}
	if inst == nil {
		got, err := p.RunInstance(ctx, cloud.InstanceSpec{
			Name: testRequest.name, RequestID: testRequest.id, SubnetID: "subnet-01", InstanceType: "t3.micro",
			ImageID:  "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
			UserData: "#cloud-config\n", ClientToken: testRequest.id + "-proxy",
		})
		if err != nil {
			t.Fatalf("RunInstance: %v", err)
		}
		inst, created = &got, true
	}

	tg, err := p.FindTargetGroup(ctx, testRequest.name)
	if err != nil {
		t.Fatalf("FindTargetGroup: %v", err)
	}
	if tg == nil {
		got, err := p.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: testRequest.name, RequestID: testRequest.id, VPCID: "vpc-0abc", Port: 443})
		if err != nil {
			t.Fatalf("CreateTargetGroup: %v", err)
		}
		tg, created = &got, true
	}
	if err := p.RegisterTarget(ctx, tg.ARN, inst.ID, 443); err != nil {
		t.Fatalf("RegisterTarget: %v", err)
	}

	lb, err := p.FindLoadBalancer(ctx, testRequest.name)
	if err != nil {
		t.Fatalf("FindLoadBalancer: %v", err)
	}
	if lb == nil {
		got, err := p.CreateLoadBalancer(ctx, cloud.LoadBalancerSpec{Name: testRequest.name, RequestID: testRequest.id, SubnetIDs: []string{"subnet-01", "subnet-02"}})
		if err != nil {
			t.Fatalf("CreateLoadBalancer: %v", err)
		}
		lb, created = &got, true
	}
	if err := p.SetLoadBalancerAttributes(ctx, lb.ARN, map[string]string{"load_balancing.cross_zone.enabled": "true"}); err != nil {
		t.Fatalf("SetLoadBalancerAttributes: %v", err)
	}
	listener, err := p.FindListener(ctx, lb.ARN, 443)
	if err != nil {
		t.Fatalf("FindListener: %v", err)
	}
	if listener == nil {
		if _, err := p.CreateListener(ctx, lb.ARN, tg.ARN, 443); err != nil {
			t.Fatalf("CreateListener: %v", err)
		}
		created = true
	}

	svc, err := p.FindEndpointService(ctx, testRequest.id)
	if err != nil {
		t.Fatalf("FindEndpointService: %v", err)
	}
	if svc == nil {
		got, err := p.CreateEndpointService(ctx, testRequest.id, lb.ARN, testRequest.id+"-service")
		if err != nil {
			t.Fatalf("CreateEndpointService: %v", err)
		}
		svc, created = &got, true
	}
	if err := p.AddAllowedPrincipal(ctx, svc.ID, snowflakePrincipal); err != nil {
		t.Fatalf("AddAllowedPrincipal: %v", err)
	}
	return *svc, created
}

func TestSandboxProvisionAndAdopt(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())

	svc, created := provision(t, ctx, p, env)
	if !created {
		t.Fatal("first provision created nothing")
	}
	wantCounts := map[string]int{
		"instances": 1, "target_groups": 1, "load_balancers": 1, "listeners": 1,
		"endpoint_services": 1, "endpoint_connections": 0, "secrets": 0,
	}
	if diff := cmp.Diff(wantCounts, env.sim.Counts()); diff != "" {
		t.Errorf("counts after first pass (-want +got):\n%s", diff)
	}

	// A second process on the same state adopts everything.
	env.restart(t)
	p = newTestProvider(t, env.sim.URL())
	again, created := provision(t, ctx, p, env)
	if created {
		t.Error("second provision created a resource, want all adopted")
	}
	if again.ID != svc.ID {
		t.Errorf("second pass service = %s, want %s", again.ID, svc.ID)
	}
	if diff := cmp.Diff(wantCounts, env.sim.Counts()); diff != "" {
		t.Errorf("counts after second pass (-want +got):\n%s", diff)
	}
}

func TestSandboxResourceShapes(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	svc, _ := provision(t, ctx, p, env)

	inst, err := p.FindInstance(ctx, testRequest.id, testRequest.name)
	if err != nil || inst == nil {
		t.Fatalf("FindInstance = %v, %v", inst, err)
	}
	if inst.State != "pending" {
		t.Errorf("instance state = %q, want pending", inst.State)
	}
	lb, err := p.FindLoadBalancer(ctx, testRequest.name)
	if err != nil || lb == nil {
		t.Fatalf("FindLoadBalancer = %v, %v", lb, err)
	}
	if lb.State != "provisioning" || lb.Scheme != "internal" {
		t.Errorf("load balancer state, scheme = %q, %q; want provisioning, internal", lb.State, lb.Scheme)
	}
	if diff := cmp.Diff([]string{"us-west-2a", "us-west-2b"}, lb.Zones); diff != "" {
		t.Errorf("load balancer zones (-want +got):\n%s", diff)
	}
	if len(lb.SecurityGroups) != 0 {
		t.Errorf("load balancer security groups = %v, want none", lb.SecurityGroups)
	}
	attrs, err := p.LoadBalancerAttributes(ctx, lb.ARN)
	if err != nil {
		t.Fatalf("LoadBalancerAttributes: %v", err)
	}
	if got := attrs["load_balancing.cross_zone.enabled"]; got != "true" {
		t.Errorf("cross-zone attribute = %q, want true", got)
	}
	tg, err := p.FindTargetGroup(ctx, testRequest.name)
	if err != nil || tg == nil {
		t.Fatalf("FindTargetGroup = %v, %v", tg, err)
	}
	wantTG := cloud.TargetGroup{
		ARN: tg.ARN, Name: testRequest.name, Protocol: "TCP", Port: 443, HealthCheckProtocol: "TCP", TargetType: "instance",
		Tags: map[string]string{"Name": testRequest.name, cloud.TagRequest: testRequest.id},
	}
	if diff := cmp.Diff(wantTG, *tg); diff != "" {
		t.Errorf("target group (-want +got):\n%s", diff)
	}
	listener, err := p.FindListener(ctx, lb.ARN, 443)
	if err != nil || listener == nil {
		t.Fatalf("FindListener = %v, %v", listener, err)
	}
	if listener.Protocol != "TCP" || listener.TargetGroupARN != tg.ARN {
		t.Errorf("listener = %+v, want TCP forwarding to %s", listener, tg.ARN)
	}
	if !svc.AcceptanceRequired || !strings.HasPrefix(svc.Name, "com.amazonaws.vpce.us-west-2.vpce-svc-") {
		t.Errorf("endpoint service = %+v, want acceptance required and a vpce-svc name", svc)
	}
	if diff := cmp.Diff([]string{lb.ARN}, svc.LoadBalancerARNs); diff != "" {
		t.Errorf("endpoint service load balancers (-want +got):\n%s", diff)
	}
}

func TestSandboxTargetHealthProgress(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	provision(t, ctx, p, env)
	tg, err := p.FindTargetGroup(ctx, testRequest.name)
	if err != nil || tg == nil {
		t.Fatalf("FindTargetGroup = %v, %v", tg, err)
	}

	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, "initial"},                         // instance still pending
		{simDelays.InstanceRunning, "initial"}, // running, first checks in progress
		{simDelays.TargetHealthy, "healthy"},   // the VM accepts connections
	}
	for _, step := range steps {
		env.clock.Advance(step.advance)
		health, err := p.TargetHealth(ctx, tg.ARN)
		if err != nil {
			t.Fatalf("TargetHealth: %v", err)
		}
		if len(health) != 1 || health[0].State != step.want {
			t.Errorf("after %v more: health = %+v, want one %s target", step.advance, health, step.want)
		}
	}

	// A VM that stops answering fails the real connect check.
	inst, _ := p.FindInstance(ctx, testRequest.id, testRequest.name)
	env.launcher.Stop(inst.ID)
	health, err := p.TargetHealth(ctx, tg.ARN)
	if err != nil {
		t.Fatalf("TargetHealth: %v", err)
	}
	if len(health) != 1 || health[0].State != "unhealthy" {
		t.Errorf("after the VM stopped: health = %+v, want one unhealthy target", health)
	}
}

func TestSandboxTargetUnusedWithoutListener(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())

	inst, err := p.RunInstance(ctx, cloud.InstanceSpec{Name: "vm", RequestID: "R1", SubnetID: "subnet-01", ImageID: "ami-0a1b2c3d4e5f60101", UserData: "x"})
	if err != nil {
		t.Fatalf("RunInstance: %v", err)
	}
	tg, err := p.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: "tg", RequestID: "R1", VPCID: "vpc-0abc", Port: 443})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	if err := p.RegisterTarget(ctx, tg.ARN, inst.ID, 443); err != nil {
		t.Fatalf("RegisterTarget: %v", err)
	}
	env.clock.Advance(time.Hour)

	health, err := p.TargetHealth(ctx, tg.ARN)
	if err != nil {
		t.Fatalf("TargetHealth: %v", err)
	}
	if len(health) != 1 || health[0].State != "unused" {
		t.Errorf("health = %+v, want one unused target while no load balancer uses the group", health)
	}
}

func TestSandboxConnectionAcceptFlow(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	svc, _ := provision(t, ctx, p, env)

	if _, err := env.sim.Connect(svc.Name, "arn:aws:iam::999999999999:root"); !errors.Is(err, awssim.ErrNotAllowed) {
		t.Errorf("Connect with a foreign principal = %v, want ErrNotAllowed", err)
	}
	endpointID, err := env.sim.Connect(svc.Name, snowflakePrincipal)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if again, err := env.sim.Connect(svc.Name, snowflakePrincipal); err != nil || again != endpointID {
		t.Errorf("second Connect = %q, %v; want %q", again, err, endpointID)
	}

	conns, err := p.EndpointConnections(ctx, svc.ID)
	if err != nil {
		t.Fatalf("EndpointConnections: %v", err)
	}
	want := []cloud.EndpointConnection{{EndpointID: endpointID, State: "pendingAcceptance", Owner: "444455556666"}}
	if diff := cmp.Diff(want, conns); diff != "" {
		t.Errorf("connections (-want +got):\n%s", diff)
	}

	if err := p.AcceptEndpointConnection(ctx, svc.ID, endpointID); err != nil {
		t.Fatalf("AcceptEndpointConnection: %v", err)
	}
	if err := p.AcceptEndpointConnection(ctx, svc.ID, endpointID); err != nil {
		t.Errorf("accepting again: %v, want success", err)
	}
	states := []struct {
		advance time.Duration
		want    string
	}{
		{0, "pending"},
		{simDelays.ConnectionAvailable, "available"},
	}
	for _, step := range states {
		env.clock.Advance(step.advance)
		conns, err := p.EndpointConnections(ctx, svc.ID)
		if err != nil {
			t.Fatalf("EndpointConnections: %v", err)
		}
		if len(conns) != 1 || conns[0].State != step.want {
			t.Errorf("after %v more: connections = %+v, want one %s", step.advance, conns, step.want)
		}
		got, err := env.sim.ConnectionState(svc.Name, endpointID)
		if err != nil || got != step.want {
			t.Errorf("ConnectionState = %q, %v; want %q", got, err, step.want)
		}
	}

	// By now the load balancer is active and the target healthy, so the
	// service leads to the VM.
	env.clock.Advance(simDelays.LoadBalancerActive)
	addr, err := env.sim.Address(svc.Name)
	if err != nil {
		t.Fatalf("Address: %v", err)
	}
	inst, _ := p.FindInstance(ctx, testRequest.id, testRequest.name)
	wantAddr, _ := env.launcher.Launch(ctx, inst.ID, "")
	if addr != wantAddr {
		t.Errorf("Address = %q, want the VM at %q", addr, wantAddr)
	}
}

func TestSandboxAddressNotServingYet(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	svc, _ := provision(t, ctx, p, env)

	if _, err := env.sim.Address(svc.Name); !errors.Is(err, awssim.ErrNotServing) {
		t.Errorf("Address while provisioning = %v, want ErrNotServing", err)
	}
	if _, err := env.sim.Address("com.amazonaws.vpce.us-west-2.vpce-svc-unknown"); !errors.Is(err, awssim.ErrNotFound) {
		t.Errorf("Address of an unknown service = %v, want ErrNotFound", err)
	}
}

func TestSandboxPrincipalsMerge(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	svc, _ := provision(t, ctx, p, env)

	other := "arn:aws:iam::111122223333:role/platform"
	if err := p.AddAllowedPrincipal(ctx, svc.ID, other); err != nil {
		t.Fatalf("AddAllowedPrincipal: %v", err)
	}
	if err := p.AddAllowedPrincipal(ctx, svc.ID, snowflakePrincipal); err != nil {
		t.Fatalf("AddAllowedPrincipal again: %v", err)
	}

	got, err := p.AllowedPrincipals(ctx, svc.ID)
	if err != nil {
		t.Fatalf("AllowedPrincipals: %v", err)
	}
	if diff := cmp.Diff([]string{snowflakePrincipal, other}, got); diff != "" {
		t.Errorf("principals (-want +got):\n%s", diff)
	}
}

func TestSandboxPrincipalsPaginate(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	env.opts.PageSize = 1
	env.restart(t)
	p := newTestProvider(t, env.sim.URL())
	svc, _ := provision(t, ctx, p, env)

	other := "arn:aws:iam::111122223333:root"
	if err := p.AddAllowedPrincipal(ctx, svc.ID, other); err != nil {
		t.Fatalf("AddAllowedPrincipal: %v", err)
	}
	got, err := p.AllowedPrincipals(ctx, svc.ID)
	if err != nil {
		t.Fatalf("AllowedPrincipals: %v", err)
	}
	if diff := cmp.Diff([]string{snowflakePrincipal, other}, got); diff != "" {
		t.Errorf("principals over two pages (-want +got):\n%s", diff)
	}
}

func TestSandboxErrorNames(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	svc, _ := provision(t, ctx, p, env)

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"unknown target group health", func() error {
			_, err := p.TargetHealth(ctx, "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/none/0")
			return err
		}, workflow.ErrNotReady},
		{"unknown endpoint service", func() error {
			_, err := p.AllowedPrincipals(ctx, "vpce-svc-00000000000000000")
			return err
		}, workflow.ErrNotReady},
		{"assumed-role principal", func() error {
			return p.AddAllowedPrincipal(ctx, svc.ID, "arn:aws:sts::444455556666:assumed-role/snowflake/session")
		}, workflow.ErrInvalidRequest},
		{"target group name reused", func() error {
			_, err := p.CreateTargetGroup(ctx, cloud.TargetGroupSpec{Name: testRequest.name, RequestID: "other", VPCID: "vpc-0abc", Port: 8443})
			return err
		}, workflow.ErrConflict},
		{"malformed image", func() error {
			_, err := p.RunInstance(ctx, cloud.InstanceSpec{Name: "x", RequestID: "R", SubnetID: "subnet-01", ImageID: "ubuntu"})
			return err
		}, workflow.ErrInvalidRequest},
		{"invalid attribute", func() error {
			lb, _ := p.FindLoadBalancer(ctx, testRequest.name)
			return p.SetLoadBalancerAttributes(ctx, lb.ARN, map[string]string{"no.such.attribute": "1"})
		}, workflow.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := workflow.NameOf(err); got != tt.want {
				t.Errorf("error name = %q, want %q (error: %v)", got, tt.want, err)
			}
		})
	}
}

func TestSandboxThrottlingRetried(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())

	var mu sync.Mutex
	attempts, failures := 0, 2
	env.sim.SetFault(func(service, action string) (int, string) {
		if action != "DescribeTargetGroups" {
			return 0, ""
		}
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts <= failures {
			return 400, "Throttling"
		}
		return 0, ""
	})

	if _, err := p.FindTargetGroup(ctx, "absent"); err != nil {
		t.Fatalf("FindTargetGroup after two throttles: %v", err)
	}
	if attempts != 3 {
		t.Errorf("attempts = %d, want 3", attempts)
	}

	mu.Lock()
	attempts, failures = 0, 100
	mu.Unlock()
	_, err := p.FindTargetGroup(ctx, "absent")
	if got := workflow.NameOf(err); got != workflow.ErrThrottled {
		t.Errorf("error name = %q, want %q (error: %v)", got, workflow.ErrThrottled, err)
	}
	if attempts != 3 {
		t.Errorf("attempts while always throttled = %d, want 3", attempts)
	}
}

func TestSandboxServerErrorTransient(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	env.sim.SetFault(func(service, action string) (int, string) {
		if service == awssim.ServiceEC2 {
			return 503, "Unavailable"
		}
		return 0, ""
	})

	_, err := p.FindInstance(ctx, "R", "vm")
	if got := workflow.NameOf(err); got != workflow.ErrTransient {
		t.Errorf("error name = %q, want %q (error: %v)", got, workflow.ErrTransient, err)
	}
}

// TestResolveARNOfOtherRegion checks that Resolve reads a secret by ARN
// from the ARN's region, not from the region of its options.
func TestResolveARNOfOtherRegion(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	arn, err := env.sim.PutSecret("repo-password", "hunter2-value")
	if err != nil {
		t.Fatalf("PutSecret: %v", err)
	}
	opts := testOptions(env.sim.URL())
	opts.Region = "eu-west-1"
	sm, err := NewSecretsManager(ctx, opts)
	if err != nil {
		t.Fatalf("NewSecretsManager: %v", err)
	}

	got, err := sm.Resolve(ctx, "aws-secretsmanager:"+arn)
	if err != nil {
		t.Fatalf("Resolve by ARN of us-west-2 from eu-west-1: %v", err)
	}
	if got != "hunter2-value" {
		t.Errorf("Resolve by ARN returned a value of length %d, want the secret", len(got))
	}
	_, err = sm.Resolve(ctx, "aws-secretsmanager:repo-password")
	if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
		t.Errorf("Resolve by name in eu-west-1: error name = %q, want %q", name, workflow.ErrInvalidRequest)
	}
}

func TestSecretsManagerResolve(t *testing.T) {
	ctx := context.Background()
	env := startSim(t, t.TempDir())
	arn, err := env.sim.PutSecret("repolink/sf-key", `{"pem":"-----BEGIN PRIVATE KEY-----\nMIIB\n","n":7}`)
	if err != nil {
		t.Fatalf("PutSecret: %v", err)
	}
	if _, err := env.sim.PutSecret("repo-password", "hunter2-value"); err != nil {
		t.Fatalf("PutSecret: %v", err)
	}
	sm, err := NewSecretsManager(ctx, testOptions(env.sim.URL()))
	if err != nil {
		t.Fatalf("NewSecretsManager: %v", err)
	}

	tests := []struct {
		name     string
		ref      string
		want     string
		wantName string
	}{
		{name: "plain by name", ref: "aws-secretsmanager:repo-password", want: "hunter2-value"},
		{name: "json key by arn", ref: "aws-secretsmanager:" + arn + "#pem", want: "-----BEGIN PRIVATE KEY-----\nMIIB\n"},
		{name: "missing key", ref: "aws-secretsmanager:repolink/sf-key#user", wantName: workflow.ErrInvalidRequest},
		{name: "non-string key", ref: "aws-secretsmanager:repolink/sf-key#n", wantName: workflow.ErrInvalidRequest},
		{name: "key of plain secret", ref: "aws-secretsmanager:repo-password#pem", wantName: workflow.ErrInvalidRequest},
		{name: "unknown secret", ref: "aws-secretsmanager:nope", wantName: workflow.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sm.Resolve(ctx, tt.ref)
			if tt.wantName != "" {
				if name := workflow.NameOf(err); name != tt.wantName {
					t.Fatalf("error name = %q, want %q", name, tt.wantName)
				}
				for _, secret := range []string{"hunter2", "MIIB", "PRIVATE KEY"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error message contains secret material %q", secret)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got != tt.want {
				t.Errorf("Resolve returned a different value (length %d, want length %d)", len(got), len(tt.want))
			}
		})
	}
}

func TestRunInstanceMalformedImage(t *testing.T) {
	env := startSim(t, t.TempDir())
	p := newTestProvider(t, env.sim.URL())
	_, err := p.RunInstance(t.Context(), cloud.InstanceSpec{Name: "x", RequestID: "R", SubnetID: "subnet-01", ImageID: "ubuntu"})
	if !errors.Is(err, cloud.ErrInvalidImage) {
		t.Errorf("RunInstance with image ubuntu = %v, want cloud.ErrInvalidImage in the chain", err)
	}
	if errors.Is(err, cloud.ErrInvalidSecurityGroup) {
		t.Errorf("RunInstance with image ubuntu = %v, has cloud.ErrInvalidSecurityGroup in the chain", err)
	}
}
