package azure

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/sandbox/azuresim"
	"github.com/repolink/repolink/shared/sandbox/pyindex"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	testSubscription = "00000000-0000-0000-0000-000000000001"
	testGroup        = "rg1"
	testLocation     = "eastus"
)

// staticToken is a credential with a fixed token, which the sandbox
// accepts.
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "sandbox-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// listenLauncher stands for proxy VMs: each launch opens a loopback
// listener that accepts connections, and records the custom data.
type listenLauncher struct {
	mu         sync.Mutex
	customData map[string]string
	listeners  map[string]net.Listener
}

func (l *listenLauncher) Launch(_ context.Context, vmID, customData string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ln, ok := l.listeners[vmID]; ok {
		return ln.Addr().String(), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	l.listeners[vmID] = ln
	l.customData[vmID] = customData
	return ln.Addr().String(), nil
}

func (l *listenLauncher) Stop(vmID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, ln := range l.listeners {
		if strings.EqualFold(id, vmID) {
			ln.Close()
			delete(l.listeners, id)
		}
	}
	return nil
}

func (l *listenLauncher) Remove(vmID string) error {
	return l.Stop(vmID)
}

// stepClock advances by step on every reading, so that provisioning delays
// pass after a few polls without the test waiting for them.
type stepClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

type fixture struct {
	sim      *azuresim.Server
	launcher *listenLauncher
	opts     Options
	provider *Provider
}

func newFixture(t *testing.T, delays azuresim.Delays) *fixture {
	t.Helper()
	ca, err := pyindex.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	launcher := &listenLauncher{customData: map[string]string{}, listeners: map[string]net.Listener{}}
	clock := &stepClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), step: 100 * time.Millisecond}
	sim, err := azuresim.Start(t.Context(), azuresim.Options{
		Dir:      t.TempDir(),
		CA:       ca,
		Clock:    clock.Now,
		Delays:   delays,
		Launcher: launcher,
		PageSize: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })

	opts := Options{
		SubscriptionID: testSubscription,
		Endpoint:       sim.URL(),
		Credential:     staticToken{},
		Transport:      &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}},
		MaxRetries:     -1,
		PollFrequency:  10 * time.Millisecond,
	}
	provider, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, subnet := range []struct{ name, prefix string }{{"sn1", "10.0.1.0/24"}, {"pls", "10.0.2.0/24"}} {
		if _, err := sim.EnsureSubnet(testSubscription, testGroup, testLocation, "vnet1", subnet.name, subnet.prefix); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{sim: sim, launcher: launcher, opts: opts, provider: provider}
}

func subnetID(name string) string {
	return "/subscriptions/" + testSubscription + "/resourceGroups/" + testGroup + "/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/" + name
}

// lastRequest returns the body of the last request with method whose path
// ends with suffix, decoded.
func lastRequest(t *testing.T, sim *azuresim.Server, method, suffix string) map[string]any {
	t.Helper()
	requests := sim.Requests()
	for i := len(requests) - 1; i >= 0; i-- {
		r := requests[i]
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			var body map[string]any
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
				t.Fatalf("%s %s body is not JSON: %v", method, r.Path, err)
			}
			return body
		}
	}
	t.Fatalf("no %s request to ...%s", method, suffix)
	return nil
}

// field returns the value at a path of keys in a decoded JSON document.
func field(doc map[string]any, keys ...string) any {
	var v any = doc
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func TestSubnetPolicyDisabledAndReadBack(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	ctx := t.Context()

	before, err := f.provider.Subnet(ctx, testGroup, "vnet1", "pls")
	if err != nil {
		t.Fatal(err)
	}
	if before.PrivateLinkServiceNetworkPolicies != "Enabled" {
		t.Errorf("seeded policies = %q, want Enabled", before.PrivateLinkServiceNetworkPolicies)
	}
	after, err := f.provider.DisablePrivateLinkServicePolicies(ctx, testGroup, "vnet1", "pls")
	if err != nil {
		t.Fatal(err)
	}
	want := cloud.AzureSubnet{ID: subnetID("pls"), Name: "pls", AddressPrefix: "10.0.2.0/24", PrivateLinkServiceNetworkPolicies: "Disabled", ProvisioningState: "Succeeded"}
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("subnet after disabling (-want +got):\n%s", diff)
	}

	body := lastRequest(t, f.sim, http.MethodPut, "/subnets/pls")
	if got := field(body, "properties", "privateLinkServiceNetworkPolicies"); got != "Disabled" {
		t.Errorf("PUT privateLinkServiceNetworkPolicies = %v, want Disabled", got)
	}
	if got := field(body, "properties", "addressPrefix"); got != "10.0.2.0/24" {
		t.Errorf("PUT addressPrefix = %v, want the prefix read before", got)
	}

	puts := countRequests(f.sim, http.MethodPut, "/subnets/pls")
	if _, err := f.provider.DisablePrivateLinkServicePolicies(ctx, testGroup, "vnet1", "pls"); err != nil {
		t.Fatal(err)
	}
	if again := countRequests(f.sim, http.MethodPut, "/subnets/pls"); again != puts {
		t.Errorf("disabling again sent %d more PUTs, want none", again-puts)
	}

	missing, err := f.provider.Subnet(ctx, testGroup, "vnet1", "absent")
	if err != nil || missing != nil {
		t.Errorf("Subnet of a missing subnet = %v, %v; want nil, nil", missing, err)
	}
}

func countRequests(sim *azuresim.Server, method, suffix string) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func anyRequest(sim *azuresim.Server, method, fragment string) bool {
	for _, r := range sim.Requests() {
		if r.Method == method && strings.Contains(r.Path, fragment) {
			return true
		}
	}
	return false
}

func TestLinkServiceRejectedWhilePoliciesEnabled(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	lb := createLoadBalancer(t, f)
	_, err := f.provider.CreatePrivateLinkService(t.Context(), linkServiceSpec(lb))
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) || respErr.ErrorCode != "PrivateLinkServiceCannotBeCreatedInSubnetThatHasNetworkPoliciesEnabled" {
		t.Fatalf("CreatePrivateLinkService error = %v, want the network policies error", err)
	}
	if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
		t.Errorf("error name = %q, want %q", name, workflow.ErrInvalidRequest)
	}
}

func createLoadBalancer(t *testing.T, f *fixture) cloud.AzureLoadBalancer {
	t.Helper()
	lb, err := f.provider.CreateLoadBalancer(t.Context(), cloud.AzureLoadBalancerSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "lb1", RequestID: "REQ-1", SubnetID: subnetID("sn1"), Port: 443,
		Frontend: "fe", BackendPool: "be", Probe: "probe", Rule: "rule",
		Tags: map[string]string{cloud.TagExecution: "exec-1"},
	})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	return lb
}

func linkServiceSpec(lb cloud.AzureLoadBalancer) cloud.AzurePrivateLinkServiceSpec {
	return cloud.AzurePrivateLinkServiceSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "pls1", RequestID: "REQ-1",
		FrontendID: lb.Frontends[0].ID, NATSubnetID: subnetID("pls"), NATConfig: "nat",
	}
}

func TestProxyRouteEndToEnd(t *testing.T) {
	f := newFixture(t, azuresim.Delays{VMRunning: time.Second, LoadBalancerReady: time.Second})
	ctx := t.Context()

	nic, err := f.provider.CreateNetworkInterface(ctx, cloud.AzureNetworkInterfaceSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "vm1-nic", RequestID: "REQ-1", SubnetID: subnetID("sn1"),
	})
	if err != nil {
		t.Fatalf("CreateNetworkInterface: %v", err)
	}
	if nic.PrivateIP != "10.0.1.4" {
		t.Errorf("NIC private IP = %q, want the first host 10.0.1.4", nic.PrivateIP)
	}
	const customData = "#cloud-config\n# repolink-proxy-config: {}\n"
	vm, err := f.provider.CreateVM(ctx, cloud.AzureVMSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "vm1", RequestID: "REQ-1", NetworkInterfaceID: nic.ID,
		Size: "Standard_B1s", Image: "Canonical:ubuntu-24_04-lts:server:latest", AdminUsername: "repolink",
		SSHPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlMo11XfqCChrS6Z4OHdJnmzhN9sBl98OJJxQ0JlFUu", CustomData: customData,
	})
	if err != nil {
		t.Fatalf("CreateVM: %v", err)
	}
	if vm.ProvisioningState != "Succeeded" {
		t.Errorf("VM state after the poller = %q, want Succeeded", vm.ProvisioningState)
	}
	vmBody := lastRequest(t, f.sim, http.MethodPut, "/virtualMachines/vm1")
	if got := field(vmBody, "properties", "osProfile", "customData"); got != base64.StdEncoding.EncodeToString([]byte(customData)) {
		t.Errorf("customData on the wire = %v, want base64 of the document", got)
	}
	if got := f.launcher.customData[vm.ID]; got != customData {
		t.Errorf("launcher got custom data %q, want %q", got, customData)
	}
	if !anyRequest(f.sim, http.MethodGet, "/providers/Microsoft.Compute/locations/eastus/operations/") {
		t.Error("the VM poller did not follow Azure-AsyncOperation")
	}

	lb := createLoadBalancer(t, f)
	if lb.SKU != "Standard" || len(lb.Rules) != 1 || lb.Rules[0].FloatingIP {
		t.Errorf("load balancer = %+v, want Standard with one rule without floating IP", lb)
	}
	lbBody := lastRequest(t, f.sim, http.MethodPut, "/loadBalancers/lb1")
	if got := field(lbBody, "sku", "name"); got != "Standard" {
		t.Errorf("LB sku on the wire = %v", got)
	}
	if err := f.provider.JoinBackendPool(ctx, nic.ID, lb.BackendPools[0].ID); err != nil {
		t.Fatalf("JoinBackendPool: %v", err)
	}
	if err := f.provider.JoinBackendPool(ctx, nic.ID, lb.BackendPools[0].ID); err != nil {
		t.Fatalf("JoinBackendPool again: %v", err)
	}
	joined, err := f.provider.FindLoadBalancer(ctx, testGroup, "lb1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{nic.IPConfigurationID}, joined.BackendPools[0].IPConfigurationIDs); diff != "" {
		t.Errorf("pool members (-want +got):\n%s", diff)
	}
	health, err := f.provider.RuleHealth(ctx, testGroup, "lb1", "rule")
	if err != nil {
		t.Fatalf("RuleHealth: %v", err)
	}
	wantHealth := []cloud.AzureBackendHealth{{IPAddress: "10.0.1.4", IPConfigurationID: nic.IPConfigurationID, State: "Up"}}
	if diff := cmp.Diff(wantHealth, health); diff != "" {
		t.Errorf("rule health (-want +got):\n%s", diff)
	}

	if _, err := f.provider.DisablePrivateLinkServicePolicies(ctx, testGroup, "vnet1", "pls"); err != nil {
		t.Fatal(err)
	}
	svc, err := f.provider.CreatePrivateLinkService(ctx, linkServiceSpec(lb))
	if err != nil {
		t.Fatalf("CreatePrivateLinkService: %v", err)
	}
	if svc.ProxyProtocol || svc.Alias == "" || len(svc.AutoApproval) != 0 {
		t.Errorf("link service = %+v, want PROXY protocol off, an alias and no auto-approval", svc)
	}
	plsBody := lastRequest(t, f.sim, http.MethodPut, "/privateLinkServices/pls1")
	frontends, _ := field(plsBody, "properties", "loadBalancerFrontendIpConfigurations").([]any)
	if len(frontends) != 1 {
		t.Errorf("PUT body has loadBalancerFrontendIpConfigurations %v, want one frontend", field(plsBody, "properties"))
	}
	if got := field(plsBody, "properties", "enableProxyProtocol"); got != false {
		t.Errorf("enableProxyProtocol on the wire = %v, want false", got)
	}

	// Snowflake connects twice, so the list needs two pages.
	first, err := f.sim.Connect(svc.ID, "snowflake-a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sim.Connect(svc.ID, "snowflake-b"); err != nil {
		t.Fatal(err)
	}
	conns, err := f.provider.PrivateEndpointConnections(ctx, svc.ID)
	if err != nil {
		t.Fatalf("PrivateEndpointConnections: %v", err)
	}
	if len(conns) != 2 {
		t.Fatalf("got %d connections over the pages, want 2", len(conns))
	}
	var target cloud.AzureEndpointConnection
	for _, c := range conns {
		if strings.EqualFold(c.PrivateEndpointID, first) {
			target = c
		}
	}
	if target.Status != cloud.AzurePending || target.Name == "" || strings.HasSuffix(first, "/"+target.Name) {
		t.Fatalf("connection of %s = %+v, want Pending with a connection name that is not the endpoint name", first, target)
	}

	approved, err := f.provider.ApproveEndpointConnection(ctx, svc.ID, target.Name, "approved by repolink")
	if err != nil {
		t.Fatalf("ApproveEndpointConnection: %v", err)
	}
	if approved.Status != cloud.AzureApproved {
		t.Errorf("status after approval = %q, want Approved", approved.Status)
	}
	approveBody := lastRequest(t, f.sim, http.MethodPut, "/privateEndpointConnections/"+target.Name)
	if got := field(approveBody, "properties", "privateLinkServiceConnectionState", "status"); got != "Approved" {
		t.Errorf("approve PUT status = %v, want Approved", got)
	}
	if got := field(approveBody, "properties", "privateEndpoint", "id"); got != first {
		t.Errorf("approve PUT echoes privateEndpoint.id %v, want %s", got, first)
	}
	state, err := f.sim.ConnectionState(svc.ID, first)
	if err != nil || state != "Approved" {
		t.Errorf("ConnectionState = %q, %v; want Approved", state, err)
	}
	addr, err := f.sim.Address(svc.ID)
	if err != nil {
		t.Fatalf("Address: %v", err)
	}
	if want := f.launcher.listeners[vm.ID].Addr().String(); addr != want {
		t.Errorf("Address = %s, want the VM's %s", addr, want)
	}

	found, err := f.provider.FindNetworkInterfaceByIP(ctx, "/subscriptions/"+testSubscription+"/resourceGroups/"+testGroup+"/providers/Microsoft.Network/virtualNetworks/vnet1", "10.0.1.4")
	if err != nil || found == nil || found.ID != nic.ID || found.VirtualMachineID != vm.ID {
		t.Errorf("FindNetworkInterfaceByIP = %+v, %v; want %s attached to %s", found, err, nic.ID, vm.ID)
	}
}

func TestFindMissingResourcesReturnsNil(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	ctx := t.Context()
	checks := map[string]func() (bool, error){
		"vm": func() (bool, error) { v, err := f.provider.FindVM(ctx, testGroup, "absent"); return v == nil, err },
		"nic": func() (bool, error) {
			v, err := f.provider.FindNetworkInterface(ctx, testGroup, "absent")
			return v == nil, err
		},
		"lb": func() (bool, error) {
			v, err := f.provider.FindLoadBalancer(ctx, testGroup, "absent")
			return v == nil, err
		},
		"pls": func() (bool, error) {
			v, err := f.provider.FindPrivateLinkService(ctx, testGroup, "absent")
			return v == nil, err
		},
	}
	for name, check := range checks {
		isNil, err := check()
		if err != nil || !isNil {
			t.Errorf("%s: find of a missing resource = not nil or error %v", name, err)
		}
	}
}

func TestVMTagsReadBack(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	ctx := t.Context()
	nic, err := f.provider.CreateNetworkInterface(ctx, cloud.AzureNetworkInterfaceSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "vm1-nic", RequestID: "REQ-1", SubnetID: subnetID("sn1"),
	})
	if err != nil {
		t.Fatalf("CreateNetworkInterface: %v", err)
	}
	tags := map[string]string{"repolink:upstream": "10.9.9.9:8443", "repolink:proxy-hosts": "files.corp.example.com,pypi.corp.example.com"}
	if _, err := f.provider.CreateVM(ctx, cloud.AzureVMSpec{
		ResourceGroup: testGroup, Location: testLocation, Name: "vm1", RequestID: "REQ-1", NetworkInterfaceID: nic.ID,
		Size: "Standard_B1s", Image: "Canonical:ubuntu-24_04-lts:server:latest", AdminUsername: "repolink",
		SSHPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlMo11XfqCChrS6Z4OHdJnmzhN9sBl98OJJxQ0JlFUu", CustomData: "#cloud-config\n", Tags: tags,
	}); err != nil {
		t.Fatalf("CreateVM: %v", err)
	}
	vm, err := f.provider.FindVM(ctx, testGroup, "vm1")
	if err != nil || vm == nil {
		t.Fatalf("FindVM = %v, %v", vm, err)
	}
	for key, want := range tags {
		if got := vm.Tags[key]; got != want {
			t.Errorf("tag %s = %q, want %q", key, got, want)
		}
	}
}

// TestTagKeysIgnoreCase checks that repolink's tags on a resource tagged
// by hand read back under repolink's keys when the keys are spelled in
// another case, because Azure tag names are case-insensitive. A request tag
// missed that way would let a step adopt another request's resource.
func TestTagKeysIgnoreCase(t *testing.T) {
	f := newFixture(t, azuresim.Delays{})
	ctx := t.Context()
	nic := armnetwork.Interface{
		Location: to(testLocation),
		Tags:     map[string]*string{"Repolink:Request": to("OTHER-1"), "REPOLINK:EXECUTION": to("exec-1"), "CostCenter": to("4711")},
		Properties: &armnetwork.InterfacePropertiesFormat{
			IPConfigurations: []*armnetwork.InterfaceIPConfiguration{{
				Name: to("ipconfig1"),
				Properties: &armnetwork.InterfaceIPConfigurationPropertiesFormat{
					PrivateIPAllocationMethod: to(armnetwork.IPAllocationMethodDynamic),
					Subnet:                    &armnetwork.Subnet{ID: to(subnetID("sn1"))},
				},
			}},
		},
	}
	poller, err := f.provider.interfaces.BeginCreateOrUpdate(ctx, testGroup, "by-hand-nic", nic, nil)
	if _, err := wait(ctx, poller, err, f.provider.poll); err != nil {
		t.Fatalf("create network interface by hand: %v", err)
	}

	found, err := f.provider.FindNetworkInterface(ctx, testGroup, "by-hand-nic")
	if err != nil || found == nil {
		t.Fatalf("FindNetworkInterface = %v, %v", found, err)
	}
	want := map[string]string{cloud.TagRequest: "OTHER-1", cloud.TagExecution: "exec-1", "CostCenter": "4711"}
	if diff := cmp.Diff(want, found.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}
