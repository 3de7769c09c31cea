package teardownazure

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

const requestID = "DATA-4822"

var mine = map[string]string{cloud.TagRequest: requestID}

// network is an Azure subscription with at most one resource of each kind;
// it records the calls that change something.
type network struct {
	cloud.AzureNetwork
	svc       *cloud.AzurePrivateLinkService
	conns     []cloud.AzureEndpointConnection
	lb        *cloud.AzureLoadBalancer
	vm        *cloud.AzureVM
	nic       *cloud.AzureNetworkInterface
	deleteErr error
	calls     []string
}

func (n *network) FindPrivateLinkService(context.Context, string, string) (*cloud.AzurePrivateLinkService, error) {
	return n.svc, nil
}

func (n *network) PrivateEndpointConnections(context.Context, string) ([]cloud.AzureEndpointConnection, error) {
	return n.conns, nil
}

func (n *network) RejectEndpointConnection(_ context.Context, _, name, _ string) (cloud.AzureEndpointConnection, error) {
	n.calls = append(n.calls, "reject "+name)
	for i := range n.conns {
		if n.conns[i].Name == name {
			n.conns[i].Status = cloud.AzureRejected
		}
	}
	return cloud.AzureEndpointConnection{Name: name, Status: cloud.AzureRejected}, nil
}

func (n *network) DeletePrivateLinkService(_ context.Context, _, name string) error {
	n.calls = append(n.calls, "delete pls "+name)
	return n.deleteErr
}

func (n *network) FindLoadBalancer(context.Context, string, string) (*cloud.AzureLoadBalancer, error) {
	return n.lb, nil
}

func (n *network) LeaveBackendPool(_ context.Context, nicID, poolID string) error {
	n.calls = append(n.calls, "leave "+nicID+" "+poolID)
	return nil
}

func (n *network) DeleteLoadBalancer(_ context.Context, _, name string) error {
	n.calls = append(n.calls, "delete lb "+name)
	return n.deleteErr
}

func (n *network) FindVM(context.Context, string, string) (*cloud.AzureVM, error) { return n.vm, nil }

func (n *network) DeleteVM(_ context.Context, _, name string) error {
	n.calls = append(n.calls, "delete vm "+name)
	return nil
}

func (n *network) FindNetworkInterface(context.Context, string, string) (*cloud.AzureNetworkInterface, error) {
	return n.nic, nil
}

func (n *network) DeleteNetworkInterface(_ context.Context, _, name string) error {
	n.calls = append(n.calls, "delete nic "+name)
	return n.deleteErr
}

func run(t *testing.T, n *network, step func(context.Context, *workflow.Env, workflow.Document) (Output, error)) (Output, error) {
	t.Helper()
	env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return n, nil }}
	doc := workflow.Document{Request: request.Request{ID: requestID, Route: request.RouteAzurePrivateLink,
		Azure: &request.Azure{SubscriptionID: "sub", ResourceGroup: "rg"}}}
	return step(context.Background(), env, doc)
}

func TestConnectionsWaitsForLiveConnections(t *testing.T) {
	n := &network{
		svc: &cloud.AzurePrivateLinkService{ID: "/pls/1", Name: "pls", Tags: mine},
		conns: []cloud.AzureEndpointConnection{
			{Name: "old", Status: cloud.AzureRejected},
			{Name: "sf", Status: cloud.AzureApproved},
		},
	}
	if _, err := run(t, n, Connections); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Fatalf("Connections with an approved connection = %v, want NotReady", err)
	}

	n.conns[1].Status = cloud.AzureDisconnected
	out, err := run(t, n, Connections)
	if err != nil {
		t.Fatalf("Connections with no live connection: %v", err)
	}
	if diff := cmp.Diff(Output{Action: workflow.Checked, ID: "/pls/1"}, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestRejectConnectionsRejectsLiveOnes(t *testing.T) {
	n := &network{
		svc: &cloud.AzurePrivateLinkService{ID: "/pls/1", Name: "pls", Tags: mine},
		conns: []cloud.AzureEndpointConnection{
			{Name: "old", Status: cloud.AzureDisconnected},
			{Name: "sf", Status: cloud.AzurePending},
		},
	}
	out, err := run(t, n, RejectConnections)
	if err != nil || out.Action != workflow.Updated {
		t.Fatalf("RejectConnections = %+v, %v; want updated", out, err)
	}
	if diff := cmp.Diff([]string{"reject sf"}, n.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	again, err := run(t, n, RejectConnections)
	if err != nil || again.Action != workflow.Skipped {
		t.Errorf("second RejectConnections = %+v, %v; want skipped", again, err)
	}
}

func TestLinkService(t *testing.T) {
	cases := []struct {
		name       string
		n          *network
		wantAction string
		wantErr    string
		wantCalls  int
	}{
		{"own service", &network{svc: &cloud.AzurePrivateLinkService{ID: "/pls/1", Name: "pls", Tags: mine}}, workflow.Deleted, "", 1},
		{"connections left", &network{svc: &cloud.AzurePrivateLinkService{ID: "/pls/1", Name: "pls", Tags: mine}, deleteErr: workflow.NotReady("connections left")}, "", workflow.ErrNotReady, 1},
		{"another request's service", &network{svc: &cloud.AzurePrivateLinkService{ID: "/pls/1", Name: "pls", Tags: map[string]string{cloud.TagRequest: "DATA-1"}}}, "", workflow.ErrConflict, 0},
		{"untagged service", &network{svc: &cloud.AzurePrivateLinkService{ID: "/pls/1", Name: "pls"}}, "", workflow.ErrConflict, 0},
		{"no service", &network{}, workflow.Skipped, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, tc.n, LinkService)
			if got := workflow.NameOf(err); got != tc.wantErr {
				t.Errorf("error = %v, want name %q", err, tc.wantErr)
			}
			if out.Action != tc.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tc.wantAction)
			}
			if len(tc.n.calls) != tc.wantCalls {
				t.Errorf("calls = %v, want %d", tc.n.calls, tc.wantCalls)
			}
		})
	}
}

func TestLoadBalancerLeavesPoolsFirst(t *testing.T) {
	n := &network{lb: &cloud.AzureLoadBalancer{
		ID: "/lb/1", Name: "lb", Tags: mine,
		BackendPools: []cloud.AzureBackendPool{{ID: "/lb/1/backendAddressPools/proxies", IPConfigurationIDs: []string{"/nic/repo/ipConfigurations/ipconfig1"}}},
	}}
	out, err := run(t, n, LoadBalancer)
	if err != nil || out.Action != workflow.Deleted {
		t.Fatalf("LoadBalancer = %+v, %v; want deleted", out, err)
	}
	want := []string{"leave /nic/repo /lb/1/backendAddressPools/proxies", "delete lb lb"}
	if diff := cmp.Diff(want, n.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestProxyVM(t *testing.T) {
	cases := []struct {
		name       string
		n          *network
		wantAction string
		wantCalls  []string
		// wantRelated are the resources deleted after the one in ID.
		wantRelated []workflow.Result
	}{
		{"VM and interface", &network{
			vm:  &cloud.AzureVM{ID: "/vm/1", Name: "vm", Tags: mine},
			nic: &cloud.AzureNetworkInterface{ID: "/nic/1", Name: "nic", Tags: mine},
		}, workflow.Deleted, []string{"delete vm vm", "delete nic nic"}, []workflow.Result{{Action: workflow.Deleted, ID: "/nic/1"}}},
		{"interface left by an earlier run", &network{nic: &cloud.AzureNetworkInterface{ID: "/nic/1", Name: "nic", Tags: mine}}, workflow.Deleted, []string{"delete nic nic"}, nil},
		{"proxy none", &network{}, workflow.Skipped, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, tc.n, ProxyVM)
			if err != nil {
				t.Fatalf("ProxyVM: %v", err)
			}
			if out.Action != tc.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tc.wantAction)
			}
			if diff := cmp.Diff(tc.wantCalls, tc.n.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRelated, out.Related); diff != "" {
				t.Errorf("related (-want +got):\n%s", diff)
			}
		})
	}
}

// inUse returns the error of a delete that Resource Manager rejected
// because users still use the resource, as the adapter returns it.
func inUse(users ...string) error {
	return errors.Join(workflow.NotReady("in use"), &cloud.AzureInUseError{Code: "InUse", Users: users})
}

func TestLoadBalancerKeptForForeignUser(t *testing.T) {
	own := azureroute.NamesFor(request.Request{ID: requestID})
	group := "/subscriptions/sub/resourceGroups/rg/providers/"
	otherLinkService := group + "Microsoft.Network/privateLinkServices/rl-data-5000-pls"
	cases := []struct {
		name       string
		deleteErr  error
		wantAction string
		wantErr    string
	}{
		{"another request's link service", inUse(otherLinkService), workflow.Kept, ""},
		{"own link service", inUse(strings.ToUpper(group) + "Microsoft.Network/privateLinkServices/" + own.LinkService), "", workflow.ErrNotReady},
		{"own and another's", inUse(otherLinkService, group+"Microsoft.Network/privateLinkServices/"+own.LinkService), "", workflow.ErrNotReady},
		{"interface in a pool", inUse(group + "Microsoft.Network/networkInterfaces/repo-nic/ipConfigurations/ipconfig1"), "", workflow.ErrNotReady},
		{"no user named", inUse(), "", workflow.ErrNotReady},
		{"not ready without users", workflow.NotReady("busy"), "", workflow.ErrNotReady},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &network{lb: &cloud.AzureLoadBalancer{ID: "/lb/1", Name: "lb", Tags: mine}, deleteErr: tc.deleteErr}
			out, err := run(t, n, LoadBalancer)
			if got := workflow.NameOf(err); got != tc.wantErr {
				t.Errorf("error = %v, want name %q", err, tc.wantErr)
			}
			if out.Action != tc.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tc.wantAction)
			}
			if tc.wantAction == workflow.Kept && !strings.Contains(out.Reason, otherLinkService) {
				t.Errorf("reason %q does not name the user %s", out.Reason, otherLinkService)
			}
			if tc.wantAction == workflow.Kept && !strings.Contains(out.Reason, "delete the load balancer by hand") {
				t.Errorf("reason %q does not say what to do", out.Reason)
			}
		})
	}
}

func TestProxyVMKeptForForeignVM(t *testing.T) {
	otherVM := "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-other"
	n := &network{
		vm:        &cloud.AzureVM{ID: "/vm/1", Name: "vm", Tags: mine},
		nic:       &cloud.AzureNetworkInterface{ID: "/nic/1", Name: "nic", Tags: mine},
		deleteErr: inUse(otherVM),
	}
	out, err := run(t, n, ProxyVM)
	if err != nil {
		t.Fatalf("ProxyVM: %v", err)
	}
	if out.Action != workflow.Kept || out.ID != "/nic/1" {
		t.Errorf("output = %+v, want the interface /nic/1 kept", out)
	}
	if !strings.Contains(out.Reason, otherVM) {
		t.Errorf("reason %q does not name the VM %s", out.Reason, otherVM)
	}
	if diff := cmp.Diff([]string{"delete vm vm", "delete nic nic"}, n.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestProxyVMRetriesForOwnVM(t *testing.T) {
	ownVM := "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/" + azureroute.NamesFor(request.Request{ID: requestID}).VM
	n := &network{
		nic:       &cloud.AzureNetworkInterface{ID: "/nic/1", Name: "nic", Tags: mine},
		deleteErr: inUse(ownVM),
	}
	if _, err := run(t, n, ProxyVM); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Errorf("ProxyVM = %v, want NotReady", err)
	}
}

func TestLinkServiceRetriesForConnections(t *testing.T) {
	n := &network{
		svc:       &cloud.AzurePrivateLinkService{ID: "/pls/1", Name: "pls", Tags: mine},
		deleteErr: inUse("/subscriptions/sub/resourceGroups/sf/providers/Microsoft.Network/privateEndpoints/sf-pe"),
	}
	if _, err := run(t, n, LinkService); workflow.NameOf(err) != workflow.ErrNotReady {
		t.Errorf("LinkService = %v, want NotReady", err)
	}
}
