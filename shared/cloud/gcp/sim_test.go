package gcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/option"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	project = "proj-one"
	region  = "us-central1"
	zone    = "us-central1-a"
)

// recorded is one request that the client sent.
type recorded struct {
	Method string
	Path   string
	Query  string
	Body   string
}

// recorder is an http.RoundTripper that keeps every request.
type recorder struct {
	mu       sync.Mutex
	requests []recorded
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.requests = append(r.requests, recorded{req.Method, req.URL.Path, req.URL.RawQuery, string(body)})
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// find returns the requests with the method whose path contains part.
func (r *recorder) find(method, part string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, req := range r.requests {
		if req.Method == method && strings.Contains(req.Path, part) {
			out = append(out, req)
		}
	}
	return out
}

func (r *recorder) mutations() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, req := range r.requests {
		if req.Method != http.MethodGet && !strings.HasSuffix(req.Path, "/listInstances") && !strings.HasSuffix(req.Path, "/getHealth") {
			n++
		}
	}
	return n
}

type harness struct {
	sim      *gcpsim.Server
	net      *Network
	provider *Provider
	rec      *recorder
	clock    *simtest.Clock
	launcher *simtest.Launcher
}

func start(t *testing.T, delays gcpsim.Delays) *harness {
	t.Helper()
	h := &harness{rec: &recorder{}, clock: simtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)), launcher: &simtest.Launcher{}}
	sim, err := gcpsim.Start(context.Background(), gcpsim.Options{Clock: h.clock.Now, Delays: delays, Launcher: h.launcher, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	h.sim = sim
	for _, err := range []error{
		sim.EnsureNetwork(project, "vpc-one"),
		sim.EnsureSubnetwork(project, region, "apps", "vpc-one", "10.0.0.0/24", "PRIVATE"),
		sim.EnsureNetwork(project, "vpc-two"),
		sim.EnsureSubnetwork(project, region, "other-psc", "vpc-two", "192.168.7.0/28", "PRIVATE_SERVICE_CONNECT"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := New(context.Background(), Options{
		Endpoint:      sim.URL() + "/",
		ClientOptions: []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: h.rec})},
		CallTimeout:   5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	h.provider, h.net = p, p.Network(project)
	return h
}

// bodyOf decodes a recorded JSON body.
func bodyOf(t *testing.T, r recorded) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("body of %s %s: %v", r.Method, r.Path, err)
	}
	return m
}

// buildLoadBalancer creates the proxy VM, its group, the health check, the
// firewall rules, the backend service and the forwarding rule.
func (h *harness) buildLoadBalancer(t *testing.T) (cloud.GCPInstanceGroup, cloud.GCPBackendService, cloud.GCPForwardingRule) {
	t.Helper()
	ctx := context.Background()
	inst, err := h.net.CreateInstance(ctx, cloud.GCPInstanceSpec{
		Name: "proxy", RequestID: "REQ-1", Zone: zone, MachineType: "e2-small", Image: "projects/debian-cloud/global/images/family/debian-12",
		Network: "vpc-one", Subnetwork: "apps", StartupScript: "#!/bin/bash\necho proxy\n", NetworkTags: []string{"rl-proxy"},
		ClientToken: "token-1", Tags: map[string]string{cloud.TagExecution: "exec-1"},
	})
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	group, err := h.net.CreateInstanceGroup(ctx, cloud.GCPInstanceGroupSpec{Name: "proxy-group", RequestID: "REQ-1", Zone: zone, Network: "vpc-one"})
	if err != nil {
		t.Fatalf("CreateInstanceGroup: %v", err)
	}
	for range 2 {
		if err := h.net.AddInstanceToGroup(ctx, zone, "proxy-group", inst.Name); err != nil {
			t.Fatalf("AddInstanceToGroup: %v", err)
		}
	}
	hc, err := h.net.CreateHealthCheck(ctx, cloud.GCPHealthCheckSpec{Name: "proxy-hc", RequestID: "REQ-1", Region: region, Port: 443})
	if err != nil {
		t.Fatalf("CreateHealthCheck: %v", err)
	}
	if _, err := h.net.CreateFirewallRule(ctx, cloud.GCPFirewallRuleSpec{
		Name: "proxy-hc-allow", RequestID: "REQ-1", Network: "vpc-one", TCPPorts: []string{"443"},
		SourceRanges: cloud.GCPHealthCheckRanges, TargetTags: []string{"rl-proxy"},
	}); err != nil {
		t.Fatalf("CreateFirewallRule: %v", err)
	}
	bs, err := h.net.CreateBackendService(ctx, cloud.GCPBackendServiceSpec{Name: "proxy-bs", RequestID: "REQ-1", Region: region, Network: "vpc-one", HealthCheck: hc.Path, Group: group.Path})
	if err != nil {
		t.Fatalf("CreateBackendService: %v", err)
	}
	fr, err := h.net.CreateForwardingRule(ctx, cloud.GCPForwardingRuleSpec{Name: "proxy-fr", RequestID: "REQ-1", Region: region, BackendService: bs.Path, Network: "vpc-one", Subnetwork: "apps", Port: 443})
	if err != nil {
		t.Fatalf("CreateForwardingRule: %v", err)
	}
	group.Instances = []string{inst.Path}
	return group, bs, fr
}

func TestRouteAgainstSim(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	group, bs, fr := h.buildLoadBalancer(t)

	inst, err := h.net.FindInstance(ctx, zone, "proxy")
	if err != nil || inst == nil {
		t.Fatalf("FindInstance = %v, %v", inst, err)
	}
	wantInst := &cloud.GCPInstance{
		Name: "proxy", Path: "projects/proj-one/zones/us-central1-a/instances/proxy", Zone: zone, Status: "RUNNING",
		NetworkIP: "10.0.0.2", Network: "projects/proj-one/global/networks/vpc-one",
		Subnetwork: "projects/proj-one/regions/us-central1/subnetworks/apps", NetworkTags: []string{"rl-proxy"},
		Tags: map[string]string{cloud.TagRequest: "REQ-1", cloud.TagExecution: "exec-1"},
	}
	if diff := cmp.Diff(wantInst, inst); diff != "" {
		t.Errorf("instance (-want +got):\n%s", diff)
	}
	byIP, err := h.net.FindInstanceByIP(ctx, zone, "10.0.0.2")
	if err != nil || byIP == nil || byIP.Name != "proxy" {
		t.Errorf("FindInstanceByIP = %v, %v; want proxy", byIP, err)
	}
	gotGroup, err := h.net.FindInstanceGroup(ctx, zone, "proxy-group")
	if err != nil || gotGroup == nil || !slices.Equal(gotGroup.Instances, group.Instances) {
		t.Errorf("FindInstanceGroup = %+v, %v; want members %v", gotGroup, err, group.Instances)
	}
	if adds := h.rec.find(http.MethodPost, "/instanceGroups/proxy-group/addInstances"); len(adds) != 1 {
		t.Errorf("addInstances sent %d times for two calls, want 1", len(adds))
	}

	health, err := h.net.BackendHealth(ctx, region, bs.Path, group.Path)
	if err != nil {
		t.Fatalf("BackendHealth: %v", err)
	}
	if diff := cmp.Diff([]cloud.GCPBackendHealth{{Instance: inst.Path, IPAddress: "10.0.0.2", State: "HEALTHY"}}, health); diff != "" {
		t.Errorf("backend health (-want +got):\n%s", diff)
	}

	psc, err := h.net.CreateSubnetwork(ctx, cloud.GCPSubnetworkSpec{Name: "psc-nat", RequestID: "REQ-1", Region: region, Network: "vpc-one", IPCIDRRange: "192.168.255.0/28", Purpose: cloud.GCPPurposePSC})
	if err != nil {
		t.Fatalf("CreateSubnetwork: %v", err)
	}
	sa, err := h.net.CreateServiceAttachment(ctx, cloud.GCPServiceAttachmentSpec{Name: "proxy-sa", RequestID: "REQ-1", Region: region, TargetService: fr.Path, NATSubnets: []string{psc.Path}})
	if err != nil {
		t.Fatalf("CreateServiceAttachment: %v", err)
	}
	if sa.ConnectionPreference != "ACCEPT_MANUAL" || sa.EnableProxyProtocol || sa.TargetService != fr.Path {
		t.Errorf("attachment = %+v; want ACCEPT_MANUAL, no PROXY protocol, target %s", sa, fr.Path)
	}

	endpoint, err := h.sim.Connect(sa.Path, "ignored")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	got, err := h.net.FindServiceAttachment(ctx, region, "proxy-sa")
	if err != nil || got == nil || len(got.ConnectedEndpoints) != 1 {
		t.Fatalf("FindServiceAttachment = %+v, %v; want one connected endpoint", got, err)
	}
	if ep := got.ConnectedEndpoints[0]; ep.Endpoint != endpoint || ep.Status != "PENDING" || ep.PSCConnectionID == 0 {
		t.Errorf("connected endpoint = %+v; want %s PENDING with a PSC connection ID", ep, endpoint)
	}
	accept := cloud.GCPConsumerAcceptList{EndpointURL: endpoint, ConnectionLimit: 1}
	for range 2 {
		if err := h.net.AddConsumerAcceptList(ctx, region, "proxy-sa", accept); err != nil {
			t.Fatalf("AddConsumerAcceptList: %v", err)
		}
	}
	got, _ = h.net.FindServiceAttachment(ctx, region, "proxy-sa")
	if diff := cmp.Diff([]cloud.GCPConsumerAcceptList{accept}, got.ConsumerAcceptLists); diff != "" {
		t.Errorf("accept list (-want +got):\n%s", diff)
	}
	if got.ConnectedEndpoints[0].Status != "ACCEPTED" {
		t.Errorf("status after accept = %s, want ACCEPTED", got.ConnectedEndpoints[0].Status)
	}

	// The NAT subnet's traffic is dropped until a firewall rule allows it.
	if _, err := h.sim.Address(sa.Path); !errors.Is(err, gcpsim.ErrNotServing) {
		t.Errorf("Address without a NAT firewall rule = %v, want ErrNotServing", err)
	}
	if _, err := h.net.CreateFirewallRule(ctx, cloud.GCPFirewallRuleSpec{Name: "proxy-psc-allow", RequestID: "REQ-1", Network: "vpc-one", TCPPorts: []string{"443"}, SourceRanges: []string{"192.168.255.0/28"}}); err != nil {
		t.Fatal(err)
	}
	if addr, err := h.sim.Address(sa.Path); err != nil || addr == "" {
		t.Errorf("Address = %q, %v; want the proxy VM", addr, err)
	}

	t.Run("requests sent", func(t *testing.T) {
		insert := h.rec.find(http.MethodPost, "/zones/us-central1-a/instances")
		insert = slices.DeleteFunc(insert, func(r recorded) bool { return !strings.HasSuffix(r.Path, "/instances") })
		if len(insert) != 1 || !strings.HasPrefix(insert[0].Query, "requestId=") {
			t.Fatalf("instance inserts = %+v; want one with a requestId", insert)
		}
		body := bodyOf(t, insert[0])
		items := body["metadata"].(map[string]any)["items"].([]any)
		if item := items[0].(map[string]any); item["key"] != "startup-script" || item["value"] != "#!/bin/bash\necho proxy\n" {
			t.Errorf("metadata item = %v; want the startup script", item)
		}

		fw := bodyOf(t, h.rec.find(http.MethodPost, "/global/firewalls")[0])
		wantFW := map[string]any{
			"name": "proxy-hc-allow", "network": "projects/proj-one/global/networks/vpc-one", "direction": "INGRESS", "priority": float64(1000),
			"allowed":      []any{map[string]any{"IPProtocol": "tcp", "ports": []any{"443"}}},
			"sourceRanges": []any{"35.191.0.0/16", "130.211.0.0/22"}, "targetTags": []any{"rl-proxy"},
		}
		delete(fw, "description")
		if diff := cmp.Diff(wantFW, fw); diff != "" {
			t.Errorf("firewall insert body (-want +got):\n%s", diff)
		}

		sab := bodyOf(t, h.rec.find(http.MethodPost, "/regions/us-central1/serviceAttachments")[0])
		for key, want := range map[string]any{
			"connectionPreference": "ACCEPT_MANUAL", "enableProxyProtocol": false,
			"targetService": fr.Path, "natSubnets": []any{psc.Path},
		} {
			if diff := cmp.Diff(want, sab[key]); diff != "" {
				t.Errorf("service attachment insert %s (-want +got):\n%s", key, diff)
			}
		}
		if _, ok := sab["consumerAcceptLists"]; ok {
			t.Errorf("service attachment insert has an accept list %v; want none until a connection is accepted", sab["consumerAcceptLists"])
		}

		patches := h.rec.find(http.MethodPatch, "/serviceAttachments/proxy-sa")
		if len(patches) != 1 {
			t.Fatalf("attachment patches = %d for two accepts of the same endpoint, want 1", len(patches))
		}
		pb := bodyOf(t, patches[0])
		wantList := []any{map[string]any{"endpointUrl": endpoint, "connectionLimit": float64(1)}}
		if diff := cmp.Diff(wantList, pb["consumerAcceptLists"]); diff != "" {
			t.Errorf("patch accept list (-want +got):\n%s", diff)
		}
		if pb["fingerprint"] == "" || pb["fingerprint"] == nil {
			t.Error("patch carries no fingerprint")
		}

		bsb := bodyOf(t, h.rec.find(http.MethodPost, "/regions/us-central1/backendServices")[0])
		if bsb["loadBalancingScheme"] != "INTERNAL" || bsb["protocol"] != "TCP" {
			t.Errorf("backend service insert = %v; want INTERNAL TCP", bsb)
		}
		frb := bodyOf(t, h.rec.find(http.MethodPost, "/regions/us-central1/forwardingRules")[0])
		if frb["IPProtocol"] != "TCP" || frb["loadBalancingScheme"] != "INTERNAL" || !cmp.Equal(frb["ports"], []any{"443"}) {
			t.Errorf("forwarding rule insert = %v; want INTERNAL TCP on 443", frb)
		}

		for _, suffix := range []string{"/zones/us-central1-a/operations/", "/regions/us-central1/operations/", "/global/operations/"} {
			found := false
			for _, r := range h.rec.find(http.MethodGet, "") {
				found = found || strings.Contains(r.Path, suffix)
			}
			if !found {
				t.Errorf("no operation poll to %s", suffix)
			}
		}
	})
}

func TestFindMissingReturnsNil(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	checks := map[string]func() (bool, error){
		"instance":       func() (bool, error) { v, err := h.net.FindInstance(ctx, zone, "nope"); return v == nil, err },
		"by ip":          func() (bool, error) { v, err := h.net.FindInstanceByIP(ctx, zone, "10.9.9.9"); return v == nil, err },
		"instance group": func() (bool, error) { v, err := h.net.FindInstanceGroup(ctx, zone, "nope"); return v == nil, err },
		"health check":   func() (bool, error) { v, err := h.net.FindHealthCheck(ctx, region, "nope"); return v == nil, err },
		"firewall":       func() (bool, error) { v, err := h.net.FindFirewallRule(ctx, "nope"); return v == nil, err },
		"backend":        func() (bool, error) { v, err := h.net.FindBackendService(ctx, region, "nope"); return v == nil, err },
		"forwarding":     func() (bool, error) { v, err := h.net.FindForwardingRule(ctx, region, "nope"); return v == nil, err },
		"subnetwork":     func() (bool, error) { v, err := h.net.FindSubnetwork(ctx, region, "nope"); return v == nil, err },
		"attachment":     func() (bool, error) { v, err := h.net.FindServiceAttachment(ctx, region, "nope"); return v == nil, err },
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) {
			isNil, err := check()
			if err != nil || !isNil {
				t.Errorf("find = nil %v, %v; want nil, nil", isNil, err)
			}
		})
	}
}

func TestOperationsWaitForDelay(t *testing.T) {
	h := start(t, gcpsim.Delays{Operation: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		// The operation completes only once the sandbox clock passes its
		// delay; Wait keeps polling until then.
		for ctx.Err() == nil {
			if len(h.rec.find(http.MethodGet, "/operations/")) > 0 {
				h.clock.Advance(time.Second)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	if _, err := h.net.CreateHealthCheck(ctx, cloud.GCPHealthCheckSpec{Name: "slow-hc", Region: region, Port: 443}); err != nil {
		t.Fatalf("CreateHealthCheck: %v", err)
	}
	if polls := h.rec.find(http.MethodGet, "/regions/us-central1/operations/"); len(polls) < 2 {
		t.Errorf("operation polled %d times, want at least 2 (RUNNING, then DONE)", len(polls))
	}
}

func TestErrorsAreNamed(t *testing.T) {
	tests := []struct {
		name  string
		fault gcpsim.Fault
		want  string
	}{
		{"quota in operation", gcpsim.Fault{Status: 403, Reason: "quotaExceeded", InOperation: true}, workflow.ErrConflict},
		{"rate limit", gcpsim.Fault{Status: 403, Reason: "rateLimitExceeded"}, workflow.ErrThrottled},
		{"quota", gcpsim.Fault{Status: 403, Reason: "quotaExceeded"}, workflow.ErrConflict},
		{"server error", gcpsim.Fault{Status: 500, Reason: "internalError"}, workflow.ErrTransient},
		{"conflict", gcpsim.Fault{Status: 409, Reason: "alreadyExists"}, workflow.ErrNotReady},
		{"forbidden", gcpsim.Fault{Status: 403, Reason: "forbidden"}, workflow.ErrPermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, gcpsim.Delays{})
			h.sim.SetFault(func(method, collection string) gcpsim.Fault {
				if method == http.MethodPost && collection == "healthChecks" {
					return tt.fault
				}
				return gcpsim.Fault{}
			})
			_, err := h.net.CreateHealthCheck(context.Background(), cloud.GCPHealthCheckSpec{Name: "hc", Region: region, Port: 443})
			if got := workflow.NameOf(err); got != tt.want {
				t.Errorf("error %v named %q, want %q", err, got, tt.want)
			}
		})
	}
}

func TestServiceAttachmentRejectsWrongNATSubnet(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	_, _, fr := h.buildLoadBalancer(t)
	ctx := context.Background()
	plain, err := h.net.FindSubnetwork(ctx, region, "apps")
	if err != nil || plain == nil {
		t.Fatal(err)
	}
	other, _ := h.net.FindSubnetwork(ctx, region, "other-psc")
	for name, subnet := range map[string]string{"purpose PRIVATE": plain.Path, "other VPC": other.Path} {
		t.Run(name, func(t *testing.T) {
			_, err := h.net.CreateServiceAttachment(ctx, cloud.GCPServiceAttachmentSpec{Name: "sa-bad", Region: region, TargetService: fr.Path, NATSubnets: []string{subnet}})
			if workflow.NameOf(err) != workflow.ErrInvalidRequest {
				t.Errorf("CreateServiceAttachment = %v; want InvalidRequest", err)
			}
		})
	}
}

func TestHealthNeedsFirewallRanges(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	group, bs, _ := h.buildLoadBalancer(t)
	narrow := cloud.GCPFirewallRuleSpec{Name: "proxy-hc-allow", RequestID: "REQ-1", Network: "vpc-one", TCPPorts: []string{"443"}, SourceRanges: []string{"35.191.0.0/16"}, TargetTags: []string{"rl-proxy"}}
	if err := h.net.UpdateFirewallRule(ctx, narrow); err != nil {
		t.Fatalf("UpdateFirewallRule: %v", err)
	}
	health, err := h.net.BackendHealth(ctx, region, bs.Path, group.Path)
	if err != nil || len(health) != 1 || health[0].State != "UNHEALTHY" {
		t.Errorf("health without 130.211.0.0/22 = %+v, %v; want UNHEALTHY", health, err)
	}
	rule, _ := h.net.FindFirewallRule(ctx, "proxy-hc-allow")
	if !slices.Equal(rule.SourceRanges, []string{"35.191.0.0/16"}) || !slices.Equal(rule.TCPPorts, []string{"443"}) {
		t.Errorf("rule after update = %+v", rule)
	}
}

func TestEgressFirewall(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	fw := h.provider.Firewall()
	target := cloud.FirewallTarget{RequestID: "EGRESS-1", Port: 443, Project: project, Network: "vpc-one", TargetTags: []string{"pypi"}}

	ranges := []string{"10.1.0.0/16", "34.1.0.0/24", "10.1.0.0/16"}
	if _, err := fw.SetIngressRanges(ctx, target, ranges); err != nil {
		t.Fatalf("SetIngressRanges: %v", err)
	}
	got, err := fw.IngressRanges(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10.1.0.0/16", "34.1.0.0/24"}, got); diff != "" {
		t.Errorf("ranges (-want +got):\n%s", diff)
	}
	before := h.rec.mutations()
	if _, err := fw.SetIngressRanges(ctx, target, []string{"34.1.0.0/24", "10.1.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	if after := h.rec.mutations(); after != before {
		t.Errorf("setting the same ranges sent %d changes, want 0", after-before)
	}

	// Another request's rules are neither read nor changed.
	other := target
	other.RequestID = "EGRESS-2"
	if got, _ := fw.IngressRanges(ctx, other); len(got) != 0 {
		t.Errorf("other request reads %v, want none", got)
	}

	if _, err := fw.SetIngressRanges(ctx, target, []string{"34.2.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := fw.IngressRanges(ctx, target); !slices.Equal(got, []string{"34.2.0.0/24"}) {
		t.Errorf("ranges after replace = %v", got)
	}
	if _, err := fw.SetIngressRanges(ctx, target, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := fw.IngressRanges(ctx, target); len(got) != 0 {
		t.Errorf("ranges after clearing = %v, want none", got)
	}
	if deletes := h.rec.find(http.MethodDelete, ""); len(deletes) != 1 {
		t.Errorf("clearing sent %d deletes, want 1 (no rule is left without sources)", len(deletes))
	}
}

func TestEgressFirewallTwoRequestsSameRanges(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	fw := h.provider.Firewall()
	first := cloud.FirewallTarget{RequestID: "DATA-4720", Port: 443, Project: project, Network: "vpc-one", TargetTags: []string{"pypi"}}
	second := first
	second.RequestID = "DATA-4730"
	ranges := []string{"192.0.2.0/24", "198.51.100.0/25"}

	for _, target := range []cloud.FirewallTarget{first, second} {
		change, err := fw.SetIngressRanges(ctx, target, ranges)
		if err != nil {
			t.Fatalf("SetIngressRanges of %s: %v", target.RequestID, err)
		}
		if diff := cmp.Diff(cloud.FirewallChange{Added: ranges}, change); diff != "" {
			t.Errorf("change of %s, which gets rules of its own (-want +got):\n%s", target.RequestID, diff)
		}
	}

	change, err := fw.SetIngressRanges(ctx, first, nil)
	if err != nil {
		t.Fatalf("remove the ranges of %s: %v", first.RequestID, err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Removed: ranges, Updated: true}, change); diff != "" {
		t.Errorf("change on removal (-want +got):\n%s", diff)
	}
	got, err := fw.IngressRanges(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ranges, got); diff != "" {
		t.Errorf("ranges of %s after %s let go (-want +got):\n%s", second.RequestID, first.RequestID, diff)
	}
	if deletes := h.rec.find(http.MethodDelete, ruleBase(second)); len(deletes) != 0 {
		t.Errorf("removing %s deleted %d rules of %s, want none", first.RequestID, len(deletes), second.RequestID)
	}
}

func TestEgressFirewallPortChangeDropsOldRule(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	fw := h.provider.Firewall()
	old := cloud.FirewallTarget{RequestID: "DATA-4720", Port: 443, Project: project, Network: "vpc-one", TargetTags: []string{"pypi"}}
	other := old
	other.RequestID = "DATA-4730"
	ranges := []string{"192.0.2.0/24"}
	for _, target := range []cloud.FirewallTarget{other, old} {
		if _, err := fw.SetIngressRanges(ctx, target, ranges); err != nil {
			t.Fatalf("SetIngressRanges of %s: %v", target.RequestID, err)
		}
	}

	moved := old
	moved.Port = 8443
	change, err := fw.SetIngressRanges(ctx, moved, ranges)
	if err != nil {
		t.Fatalf("move to port 8443: %v", err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Added: ranges, Updated: true}, change); diff != "" {
		t.Errorf("change on the port move (-want +got):\n%s", diff)
	}
	if rule, err := h.net.FindFirewallRule(ctx, ruleBase(old)+"0"); err != nil || rule != nil {
		t.Errorf("rule on port 443 after the move = %+v, %v; want none", rule, err)
	}
	if got, _ := fw.IngressRanges(ctx, moved); !slices.Equal(got, ranges) {
		t.Errorf("ranges on port 8443 = %v, want %v", got, ranges)
	}

	// A teardown names the current port but must also find a rule left on
	// an earlier one.
	if _, err := fw.SetIngressRanges(ctx, old, ranges); err != nil {
		t.Fatalf("set port 443 again: %v", err)
	}
	if _, err := fw.SetIngressRanges(ctx, moved, nil); err != nil {
		t.Fatalf("remove all ranges: %v", err)
	}
	for _, target := range []cloud.FirewallTarget{old, moved} {
		if rule, err := h.net.FindFirewallRule(ctx, ruleBase(target)+"0"); err != nil || rule != nil {
			t.Errorf("rule on port %d after removal = %+v, %v; want none", target.Port, rule, err)
		}
	}
	if got, _ := fw.IngressRanges(ctx, other); !slices.Equal(got, ranges) {
		t.Errorf("ranges of %s = %v, want its rule kept", other.RequestID, got)
	}
}

func TestEgressFirewallTargetTagsChange(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	fw := h.provider.Firewall()
	target := cloud.FirewallTarget{RequestID: "DATA-4720", Port: 443, Project: project, Network: "vpc-one", TargetTags: []string{"pypi"}}
	ranges := []string{"192.0.2.0/24"}
	if _, err := fw.SetIngressRanges(ctx, target, ranges); err != nil {
		t.Fatal(err)
	}

	target.TargetTags = []string{"other"}
	change, err := fw.SetIngressRanges(ctx, target, ranges)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cloud.FirewallChange{Updated: true}, change); diff != "" {
		t.Errorf("change of the target tags (-want +got):\n%s", diff)
	}
	rule, err := h.net.FindFirewallRule(ctx, ruleBase(target)+"0")
	if err != nil || rule == nil {
		t.Fatalf("find rule: %+v, %v", rule, err)
	}
	if !slices.Equal(rule.TargetTags, []string{"other"}) {
		t.Errorf("target tags = %v, want [other]", rule.TargetTags)
	}
}

func TestManyRangesSplitAcrossRules(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	fw := h.provider.Firewall()
	target := cloud.FirewallTarget{RequestID: "EGRESS-3", Port: 8443, Project: project, Network: "vpc-one"}
	var ranges []string
	for i := range 300 {
		ranges = append(ranges, net.IPv4(10, byte(i/256), byte(i%256), 0).String()+"/24")
	}
	if _, err := fw.SetIngressRanges(ctx, target, ranges); err != nil {
		t.Fatal(err)
	}
	got, err := fw.IngressRanges(ctx, target)
	if err != nil || len(got) != 300 {
		t.Fatalf("read %d ranges, %v; want 300", len(got), err)
	}
	if inserts := h.rec.find(http.MethodPost, "/global/firewalls"); len(inserts) != 2 {
		t.Errorf("inserted %d rules for 300 ranges, want 2", len(inserts))
	}
}

func TestEndpointStatusesFromSim(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := context.Background()
	_, _, fr := h.buildLoadBalancer(t)
	// A /30 has no address left after the four that Compute Engine
	// reserves, so an accepted endpoint gets no NAT address.
	tiny, err := h.net.CreateSubnetwork(ctx, cloud.GCPSubnetworkSpec{Name: "psc-tiny", Region: region, Network: "vpc-one", IPCIDRRange: "192.168.250.0/30", Purpose: cloud.GCPPurposePSC})
	if err != nil {
		t.Fatal(err)
	}
	sa, err := h.net.CreateServiceAttachment(ctx, cloud.GCPServiceAttachmentSpec{Name: "sa-tiny", Region: region, TargetService: fr.Path, NATSubnets: []string{tiny.Path}})
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := h.sim.Connect(sa.Path, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.net.AddConsumerAcceptList(ctx, region, "sa-tiny", cloud.GCPConsumerAcceptList{EndpointURL: endpoint, ConnectionLimit: 1}); err != nil {
		t.Fatal(err)
	}
	status := func() string {
		t.Helper()
		got, err := h.net.FindServiceAttachment(ctx, region, "sa-tiny")
		if err != nil || got == nil || len(got.ConnectedEndpoints) != 1 {
			t.Fatalf("FindServiceAttachment = %+v, %v", got, err)
		}
		return got.ConnectedEndpoints[0].Status
	}
	if got := status(); got != "NEEDS_ATTENTION" {
		t.Errorf("status without NAT addresses = %s, want NEEDS_ATTENTION", got)
	}
	if got, err := h.sim.ConnectionState(sa.Path, endpoint); err != nil || got != "NEEDS_ATTENTION" {
		t.Errorf("ConnectionState = %s, %v; want NEEDS_ATTENTION", got, err)
	}
	if err := h.sim.SetEndpointStatus(endpoint, "REJECTED"); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != "REJECTED" {
		t.Errorf("status after rejection = %s, want REJECTED", got)
	}
	if err := h.sim.Disconnect(sa.Path, endpoint); err != nil {
		t.Fatal(err)
	}
	if got, err := h.sim.ConnectionState(sa.Path, endpoint); err != nil || got != "CLOSED" {
		t.Errorf("ConnectionState after Disconnect = %s, %v; want CLOSED", got, err)
	}
}

func TestConnectionAcceptedAfterDelay(t *testing.T) {
	h := start(t, gcpsim.Delays{ConnectionAccepted: time.Minute})
	ctx := context.Background()
	_, _, fr := h.buildLoadBalancer(t)
	psc, err := h.net.CreateSubnetwork(ctx, cloud.GCPSubnetworkSpec{Name: "psc-nat", Region: region, Network: "vpc-one", IPCIDRRange: "192.168.255.0/28", Purpose: cloud.GCPPurposePSC})
	if err != nil {
		t.Fatal(err)
	}
	sa, err := h.net.CreateServiceAttachment(ctx, cloud.GCPServiceAttachmentSpec{Name: "sa", Region: region, TargetService: fr.Path, NATSubnets: []string{psc.Path},
		ConsumerAcceptLists: []cloud.GCPConsumerAcceptList{{ProjectIDOrNum: "sf-sandbox-psc", ConnectionLimit: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := h.sim.Connect(sa.Path, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := h.sim.ConnectionState(sa.Path, endpoint); got != "PENDING" {
		t.Errorf("status before the delay = %s, want PENDING", got)
	}
	h.clock.Advance(time.Minute)
	if got, _ := h.sim.ConnectionState(sa.Path, endpoint); got != "ACCEPTED" {
		t.Errorf("status after the delay = %s, want ACCEPTED for a project on the accept list", got)
	}
	second, err := h.sim.Connect(sa.Path, "")
	if err != nil || second != endpoint {
		t.Errorf("second Connect = %s, %v; want the same endpoint", second, err)
	}
}

func TestInstanceTagsReadBack(t *testing.T) {
	h := start(t, gcpsim.Delays{})
	ctx := t.Context()
	tags := map[string]string{"repolink:upstream": "10.9.9.9:8443", "repolink:proxy-hosts": "files.corp.example.com,pypi.corp.example.com"}
	if _, err := h.net.CreateInstance(ctx, cloud.GCPInstanceSpec{
		Name: "proxy", RequestID: "REQ-1", Zone: zone, MachineType: "e2-small", Image: "projects/debian-cloud/global/images/family/debian-12",
		Network: "vpc-one", Subnetwork: "apps", StartupScript: "#!/bin/bash\necho proxy\n", ClientToken: "token-1", Tags: tags,
	}); err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	inst, err := h.net.FindInstance(ctx, zone, "proxy")
	if err != nil || inst == nil {
		t.Fatalf("FindInstance = %v, %v", inst, err)
	}
	for key, want := range tags {
		if got := inst.Tags[key]; got != want {
			t.Errorf("tag %s = %q, want %q", key, got, want)
		}
	}
}
