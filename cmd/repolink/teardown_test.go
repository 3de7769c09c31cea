package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// startEngine runs the engine and the poller of rt until the test ends.
func startEngine(t *testing.T, rt *runtime) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = rt.engine.Run(ctx) })
	wg.Go(func() { rt.pollLoop(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// runMachine starts an execution of machine and waits until it closes.
func runMachine(t *testing.T, rt *runtime, machine, name string, input []byte) engine.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := rt.engine.Start(ctx, machine, name, input); err != nil {
		t.Fatalf("start %s execution %s: %v", machine, name, err)
	}
	exec, err := rt.engine.Wait(ctx, name)
	if err != nil {
		t.Fatalf("wait for %s: %v", name, err)
	}
	return exec
}

// stepActions returns the action of every step result in an execution's
// output, by result key.
func stepActions(t *testing.T, exec engine.Execution) map[string]string {
	t.Helper()
	var doc struct {
		Resources map[string]struct {
			Action string `json:"action"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(exec.Output, &doc); err != nil {
		t.Fatalf("decode output of %s: %v", exec.Name, err)
	}
	out := map[string]string{}
	for key, result := range doc.Resources {
		out[key] = result.Action
	}
	return out
}

// openSandbox reads the example request, opens a runtime on the sandbox
// clouds in a test directory and seeds them for the request.
func openSandbox(t *testing.T, example string) (*runtime, request.Request) {
	t.Helper()
	req, err := readRequest(filepath.Join("..", "..", "examples", example))
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	ctx := context.Background()
	rt, err := openRuntime(ctx, runtimeOptions{
		dir:     t.TempDir(),
		sandbox: true,
		hosts:   requestHosts(req),
		logger:  slog.New(slog.DiscardHandler),
		poll:    20 * time.Millisecond,
		instant: true,
	})
	if err != nil {
		t.Fatalf("open runtime: %v", err)
	}
	t.Cleanup(rt.Close)
	if err := rt.seed(ctx, req); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return rt, req
}

// provision starts the engine of rt and runs the provisioning of req. It
// fails the test unless the execution succeeds, and returns its name and
// the closed execution.
func provision(t *testing.T, rt *runtime, req request.Request) (string, engine.Execution) {
	t.Helper()
	startEngine(t, rt)
	ctx := context.Background()
	name, err := startExecution(ctx, rt.engine, req)
	if err != nil {
		t.Fatalf("start provision: %v", err)
	}
	provisioned, err := rt.engine.Wait(ctx, name)
	if err != nil || provisioned.Status != "SUCCEEDED" {
		t.Fatalf("provision = %s, %v (%s: %s)", provisioned.Status, err, provisioned.Error, provisioned.Cause)
	}
	return name, provisioned
}

func TestTeardownRemovesRequestResources(t *testing.T) {
	cases := []struct {
		example string
		// deleted are the teardown steps that must report deleted on the
		// first teardown.
		deleted []string
	}{
		{"aws-privatelink.json", []string{"teardown_snowflake", "teardown_endpoint", "teardown_endpoint_service", "teardown_load_balancer", "teardown_target_group", "teardown_proxy_vm"}},
		{"aws-privatelink-no-proxy.json", []string{"teardown_snowflake", "teardown_endpoint", "teardown_endpoint_service", "teardown_load_balancer", "teardown_target_group"}},
		{"egress-ip.json", []string{"teardown_snowflake", "teardown_egress"}},
		{"public.json", []string{"teardown_snowflake"}},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.example, ".json"), func(t *testing.T) {
			rt, req := openSandbox(t, tc.example)
			name, provisioned := provision(t, rt, req)
			checkBuilt(t, rt, req)

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
			checkRemoved(t, rt, req)

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
			checkRemoved(t, rt, req)
		})
	}
}

// requestObjects returns what the sandbox holds for the request: live AWS
// resources tagged with its ID, its security group rules, and its Snowflake
// objects, grants, default parameters and active endpoints.
func requestObjects(t *testing.T, rt *runtime, req request.Request) []string {
	t.Helper()
	var found []string
	world := rt.sandbox.AWS.Snapshot()
	for id, inst := range world.Instances {
		if inst.Tags[cloud.TagRequest] == req.ID && inst.State != "terminated" {
			found = append(found, "instance "+id+" "+inst.State)
		}
	}
	for arn, tg := range world.TargetGroups {
		if tg.Tags[cloud.TagRequest] == req.ID {
			found = append(found, "target group "+arn)
		}
	}
	var loadBalancers []string
	for arn, lb := range world.LoadBalancers {
		if lb.Tags[cloud.TagRequest] == req.ID {
			found = append(found, "load balancer "+arn)
			loadBalancers = append(loadBalancers, arn)
		}
	}
	for arn, l := range world.Listeners {
		if slices.Contains(loadBalancers, l.LoadBalancerARN) {
			found = append(found, "listener "+arn)
		}
	}
	var services []string
	for id, svc := range world.EndpointServices {
		if svc.Tags[cloud.TagRequest] == req.ID {
			found = append(found, "endpoint service "+id)
			services = append(services, id)
		}
	}
	for id, conn := range world.Connections {
		if slices.Contains(services, conn.ServiceID) && conn.State != "deleted" && conn.State != "rejected" {
			found = append(found, "connection "+id+" "+conn.State)
		}
	}
	for id, sg := range world.SecurityGroups {
		for _, rule := range sg.Rules {
			if rule.Tags[cloud.TagRequest] == req.ID {
				found = append(found, "rule "+rule.CIDR+" in "+id)
			}
		}
	}

	sf := req.Snowflake
	names := workflow.NamesFor(req)
	account, err := rt.sandbox.Snowflake.Snapshot(sf.Account)
	if err != nil {
		t.Fatalf("snowflake snapshot: %v", err)
	}
	schema := account.Databases[sf.Database].Schemas[sf.Schema]
	if schema.Secrets[snowflake.StoredName(names.Secret)] != nil {
		found = append(found, "secret "+names.Secret)
	}
	if schema.Repositories[snowflake.StoredName(names.Repository)] != nil {
		found = append(found, "repository "+names.Repository)
	}
	if account.Integrations[snowflake.StoredName(names.Integration)] != nil {
		found = append(found, "integration "+names.Integration)
	}
	repo := snowflake.StoredName(names.Repository)
	for _, g := range account.Grants {
		if strings.HasSuffix(g.ObjectName, "."+repo) || g.ObjectName == snowflake.StoredName(names.Integration) {
			found = append(found, "grant "+g.Privilege+" on "+g.ObjectName)
		}
	}
	for level, params := range map[string]map[string]string{
		"account":  account.Parameters,
		"database": account.Databases[sf.Database].Parameters,
		"schema":   schema.Parameters,
	} {
		if value := params[snowflake.DefaultRepositoryParameter]; strings.HasSuffix(value, "."+repo) {
			found = append(found, "default on the "+level)
		}
	}
	host := requestHosts(req)[0]
	for _, ep := range account.Endpoints {
		if ep.DeletedOn == nil && strings.EqualFold(ep.Host, host) {
			found = append(found, "endpoint "+ep.ServiceName)
		}
	}
	slices.Sort(found)
	return found
}

// checkBuilt checks that provisioning left objects behind, so that
// checkRemoved proves something.
func checkBuilt(t *testing.T, rt *runtime, req request.Request) {
	t.Helper()
	if found := requestObjects(t, rt, req); len(found) < 4 {
		t.Fatalf("after provisioning the sandbox holds only %v", found)
	}
}

func checkRemoved(t *testing.T, rt *runtime, req request.Request) {
	t.Helper()
	if found := requestObjects(t, rt, req); len(found) != 0 {
		t.Errorf("after teardown the sandbox still holds:\n  %s", strings.Join(found, "\n  "))
	}
}

func TestEgressRefreshRestoresRanges(t *testing.T) {
	rt, req := openSandbox(t, "egress-ip.json")
	name, _ := provision(t, rt, req)
	ctx := context.Background()

	// Someone removes a range from the security group.
	firewall, err := rt.adapters.Firewall(ctx, "aws")
	if err != nil {
		t.Fatalf("firewall: %v", err)
	}
	target := cloud.FirewallTarget{RequestID: req.ID, Port: req.Egress.Port, AWSRegion: req.Egress.Region, SecurityGroupID: req.Egress.SecurityGroupID}
	if _, err := firewall.SetIngressRanges(ctx, target, []string{"192.0.2.0/24"}); err != nil {
		t.Fatalf("remove a range: %v", err)
	}

	// A scheduler passes the request alone.
	input, _ := json.Marshal(map[string]any{"request": req})
	refresh := runMachine(t, rt, "egress-refresh", name+"-refresh-1", input)
	if refresh.Status != "SUCCEEDED" {
		t.Fatalf("refresh = %s (%s: %s)", refresh.Status, refresh.Error, refresh.Cause)
	}
	if action := stepActions(t, refresh)["egress_ranges"]; action != workflow.Updated {
		t.Errorf("refresh action = %q, want updated", action)
	}
	ranges, err := firewall.IngressRanges(ctx, target)
	if err != nil {
		t.Fatalf("IngressRanges: %v", err)
	}
	if want := []string{"192.0.2.0/24", "198.51.100.0/25"}; !slices.Equal(ranges, want) {
		t.Errorf("ranges after refresh = %v, want %v", ranges, want)
	}

	again := runMachine(t, rt, "egress-refresh", name+"-refresh-2", input)
	if action := stepActions(t, again)["egress_ranges"]; again.Status != "SUCCEEDED" || action != workflow.Adopted {
		t.Errorf("second refresh = %s with action %q, want SUCCEEDED and adopted", again.Status, action)
	}
}
