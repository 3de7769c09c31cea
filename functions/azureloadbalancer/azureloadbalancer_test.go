package azureloadbalancer

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

const lbID = "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/loadBalancers/lb1"

func goodLoadBalancer() cloud.AzureLoadBalancer {
	return cloud.AzureLoadBalancer{
		ID: lbID, SKU: "Standard", ProvisioningState: "Succeeded",
		Frontends:    []cloud.AzureFrontend{{ID: lbID + "/frontendIPConfigurations/frontend", SubnetID: "/subnet", PrivateIP: "10.0.1.5"}},
		BackendPools: []cloud.AzureBackendPool{{ID: lbID + "/backendAddressPools/proxies"}},
		Probes:       []cloud.AzureProbe{{ID: lbID + "/probes/tcp-443", Protocol: "Tcp", Port: 443}},
		Rules: []cloud.AzureRule{{
			ID: lbID + "/loadBalancingRules/tcp-443", Protocol: "Tcp", FrontendPort: 443, BackendPort: 443,
			BackendPoolID: lbID + "/backendAddressPools/proxies", ProbeID: lbID + "/probes/tcp-443",
		}},
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*cloud.AzureLoadBalancer)
		wantErr string
	}{
		{name: "good", edit: func(*cloud.AzureLoadBalancer) {}},
		{name: "basic SKU", edit: func(lb *cloud.AzureLoadBalancer) { lb.SKU = "Basic" }, wantErr: workflow.ErrConflict},
		{name: "public frontend", edit: func(lb *cloud.AzureLoadBalancer) { lb.Frontends[0].SubnetID = "" }, wantErr: workflow.ErrConflict},
		{name: "no 443 rule", edit: func(lb *cloud.AzureLoadBalancer) { lb.Rules[0].FrontendPort = 8443 }, wantErr: workflow.ErrConflict},
		{name: "udp rule", edit: func(lb *cloud.AzureLoadBalancer) { lb.Rules[0].Protocol = "Udp" }, wantErr: workflow.ErrConflict},
		{name: "floating IP", edit: func(lb *cloud.AzureLoadBalancer) { lb.Rules[0].FloatingIP = true }, wantErr: workflow.ErrConflict},
		{name: "http probe", edit: func(lb *cloud.AzureLoadBalancer) { lb.Probes[0].Protocol = "Http" }, wantErr: workflow.ErrConflict},
		{name: "probe on another port", edit: func(lb *cloud.AzureLoadBalancer) { lb.Probes[0].Port = 8080 }, wantErr: workflow.ErrConflict},
		{name: "no probe", edit: func(lb *cloud.AzureLoadBalancer) { lb.Probes = nil }, wantErr: workflow.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lb := goodLoadBalancer()
			tt.edit(&lb)
			rule, err := Check(lb, azureroute.Names{})
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("error name = %q (%v), want %q", got, err, tt.wantErr)
			}
			if err == nil && rule.ID != lb.Rules[0].ID {
				t.Errorf("rule = %s, want %s", rule.ID, lb.Rules[0].ID)
			}
		})
	}
}

// network is a fake of the load balancer calls.
type network struct {
	cloud.AzureNetwork
	lb     *cloud.AzureLoadBalancer
	nics   map[string]*cloud.AzureNetworkInterface // by name, and by IP under "ip:"
	health []cloud.AzureBackendHealth
	joined []string
}

func (n *network) FindLoadBalancer(context.Context, string, string) (*cloud.AzureLoadBalancer, error) {
	return n.lb, nil
}

func (n *network) FindNetworkInterface(_ context.Context, _, name string) (*cloud.AzureNetworkInterface, error) {
	return n.nics[name], nil
}

func (n *network) FindNetworkInterfaceByIP(_ context.Context, _, ip string) (*cloud.AzureNetworkInterface, error) {
	return n.nics["ip:"+ip], nil
}

func (n *network) JoinBackendPool(_ context.Context, nicID, poolID string) error {
	n.joined = append(n.joined, nicID+" -> "+poolID)
	return nil
}

func (n *network) RuleHealth(context.Context, string, string, string) ([]cloud.AzureBackendHealth, error) {
	return n.health, nil
}

func TestRunBackends(t *testing.T) {
	req := request.Request{ID: "T-1", Azure: &request.Azure{
		SubscriptionID: "s", ResourceGroup: "rg1", Location: "eastus2", VNetName: "vnet1", SubnetName: "snet", PLSSubnetName: "pls", Proxy: "nginx",
	}}
	proxyNIC := azureroute.NamesFor(req).NetworkInterface
	pool := lbID + "/backendAddressPools/proxies"
	up := []cloud.AzureBackendHealth{{IPAddress: "10.0.1.4", State: "Up"}}
	tests := []struct {
		name       string
		proxy      string
		nics       map[string]*cloud.AzureNetworkInterface
		health     []cloud.AzureBackendHealth
		members    []string // IP configurations already in the pool
		wantErr    string
		wantAction string
		wantJoined []string
	}{
		{
			name: "proxy NIC joins the pool", proxy: "nginx",
			nics:       map[string]*cloud.AzureNetworkInterface{proxyNIC: {ID: "/nic/proxy"}},
			health:     up,
			wantAction: workflow.Updated,
			wantJoined: []string{"/nic/proxy -> " + pool},
		},
		{
			name: "member NIC is not joined again", proxy: "nginx",
			nics:       map[string]*cloud.AzureNetworkInterface{proxyNIC: {ID: "/nic/proxy", BackendPoolIDs: []string{pool}}},
			health:     up,
			wantAction: workflow.Adopted,
		},
		{
			name: "repository NIC joins with proxy none", proxy: "none",
			nics:       map[string]*cloud.AzureNetworkInterface{"ip:10.0.1.25": {ID: "/nic/repo"}},
			health:     up,
			wantAction: workflow.Updated,
			wantJoined: []string{"/nic/repo -> " + pool},
		},
		{
			name: "earlier target address still in the pool", proxy: "none",
			nics:       map[string]*cloud.AzureNetworkInterface{"ip:10.0.1.25": {ID: "/nic/repo", IPConfigurationID: "/nic/repo/ipConfigurations/ipconfig1"}},
			health:     up,
			members:    []string{"/nic/old/ipConfigurations/ipconfig1"},
			wantErr:    workflow.ErrConflict,
			wantJoined: []string{"/nic/repo -> " + pool},
		},
		{
			name: "target address without NIC is invalid", proxy: "none",
			wantErr: workflow.ErrInvalidRequest,
		},
		{
			name: "unhealthy backend waits", proxy: "nginx",
			nics:       map[string]*cloud.AzureNetworkInterface{proxyNIC: {ID: "/nic/proxy", BackendPoolIDs: []string{pool}}},
			health:     []cloud.AzureBackendHealth{{IPAddress: "10.0.1.4", State: "Down"}},
			wantErr:    workflow.ErrNotReady,
			wantJoined: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lb := goodLoadBalancer()
			lb.BackendPools[0].IPConfigurationIDs = tt.members
			fake := &network{lb: &lb, nics: tt.nics, health: tt.health}
			env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
			r := req
			az := *req.Azure
			az.Proxy = tt.proxy
			if tt.proxy == "none" {
				az.TargetAddress = "10.0.1.25"
			}
			r.Azure = &az
			doc := workflow.Document{Request: r, Resources: workflow.Resources{ProxyVM: &workflow.ProxyVM{}}, Execution: "exec-2"}
			out, err := Run(t.Context(), env, doc)
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("error name = %q (%v), want %q", got, err, tt.wantErr)
			}
			if out.Action != tt.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tt.wantAction)
			}
			if diff := cmp.Diff(tt.wantJoined, fake.joined); diff != "" {
				t.Errorf("joined (-want +got):\n%s", diff)
			}
		})
	}
}

// locationError is a create failure with a Resource Manager error code,
// as the Azure adapter returns it.
type locationError struct{ code string }

func (e locationError) Error() string     { return "azure: HTTP 400 " + e.code }
func (e locationError) ErrorCode() string { return e.code }

// TestCreateErrorLocationAdvisesTeardown checks that a load balancer that
// the location rejects, the first resource of a proxy none run, advises a
// teardown before a run in another location, so that a redrive, which
// fails the same way, is not advised.
func TestCreateErrorLocationAdvisesTeardown(t *testing.T) {
	err := createError(locationError{"LocationNotAvailableForResourceType"}, "AZ-9", "rl-az-9-lb", "germanynorth")
	if !strings.Contains(err.Error(), `$.azure.location "germanynorth"`) {
		t.Errorf("error %q does not name $.azure.location", err)
	}
	if !workflow.RedriveRepeats(workflow.ErrInvalidRequest, err.Error()) {
		t.Errorf("error %q does not carry the teardown advice", err)
	}

	err = createError(locationError{"QuotaExceeded"}, "AZ-9", "rl-az-9-lb", "germanynorth")
	if workflow.RedriveRepeats(workflow.ErrInvalidRequest, err.Error()) {
		t.Errorf("error %q of another code advises a teardown", err)
	}
}
