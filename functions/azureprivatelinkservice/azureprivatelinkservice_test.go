package azureprivatelinkservice

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

const lbID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/loadBalancers/lb1"

// network is a fake of the subnet and Private Link Service calls. Its
// subnet reads policy, and disabling sets it to afterDisable.
type network struct {
	cloud.AzureNetwork
	subnet       *cloud.AzureSubnet
	afterDisable string
	service      *cloud.AzurePrivateLinkService
	calls        []string
	created      cloud.AzurePrivateLinkServiceSpec
}

func (n *network) Subnet(_ context.Context, _, _, name string) (*cloud.AzureSubnet, error) {
	n.calls = append(n.calls, "get subnet "+name)
	if n.subnet == nil {
		return nil, nil
	}
	copied := *n.subnet
	return &copied, nil
}

func (n *network) DisablePrivateLinkServicePolicies(_ context.Context, _, _, name string) (cloud.AzureSubnet, error) {
	n.calls = append(n.calls, "disable "+name)
	n.subnet.PrivateLinkServiceNetworkPolicies = n.afterDisable
	return *n.subnet, nil
}

func (n *network) FindPrivateLinkService(context.Context, string, string) (*cloud.AzurePrivateLinkService, error) {
	n.calls = append(n.calls, "find service")
	return n.service, nil
}

func (n *network) CreatePrivateLinkService(_ context.Context, spec cloud.AzurePrivateLinkServiceSpec) (cloud.AzurePrivateLinkService, error) {
	n.calls = append(n.calls, "create service")
	n.created = spec
	return cloud.AzurePrivateLinkService{
		ID: "/pls/" + spec.Name, ProvisioningState: "Succeeded", FrontendIDs: []string{spec.FrontendID},
		Tags: map[string]string{cloud.TagRequest: spec.RequestID, cloud.TagExecution: spec.Tags[cloud.TagExecution]},
	}, nil
}

func TestRun(t *testing.T) {
	frontendID := lbID + "/frontendIPConfigurations/frontend"
	tests := []struct {
		name         string
		policy       string
		afterDisable string
		noSubnet     bool
		service      *cloud.AzurePrivateLinkService
		wantErr      string
		wantAction   string
		wantCalls    []string
	}{
		{
			name: "enabled policies are disabled and read back", policy: "Enabled", afterDisable: "Disabled",
			wantAction: workflow.Created,
			wantCalls:  []string{"get subnet snet-pls", "disable snet-pls", "get subnet snet-pls", "find service", "create service"},
		},
		{
			name: "disabled policies are left alone", policy: "Disabled",
			wantAction: workflow.Created,
			wantCalls:  []string{"get subnet snet-pls", "find service", "create service"},
		},
		{
			name: "policies that do not read disabled wait", policy: "Enabled", afterDisable: "Enabled",
			wantErr:   workflow.ErrNotReady,
			wantCalls: []string{"get subnet snet-pls", "disable snet-pls", "get subnet snet-pls"},
		},
		{
			name: "missing subnet is invalid", noSubnet: true,
			wantErr:   workflow.ErrInvalidRequest,
			wantCalls: []string{"get subnet snet-pls"},
		},
		{
			name: "existing service is adopted", policy: "Disabled",
			service:    &cloud.AzurePrivateLinkService{ID: "/pls/x", ProvisioningState: "Succeeded", FrontendIDs: []string{frontendID}},
			wantAction: workflow.Adopted,
			wantCalls:  []string{"get subnet snet-pls", "find service"},
		},
		{
			name: "proxy protocol is a conflict", policy: "Disabled",
			service:   &cloud.AzurePrivateLinkService{ID: "/pls/x", ProvisioningState: "Succeeded", ProxyProtocol: true, FrontendIDs: []string{frontendID}},
			wantErr:   workflow.ErrConflict,
			wantCalls: []string{"get subnet snet-pls", "find service"},
		},
		{
			name: "another frontend is a conflict", policy: "Disabled",
			service:   &cloud.AzurePrivateLinkService{ID: "/pls/x", ProvisioningState: "Succeeded", FrontendIDs: []string{"/other/frontend"}},
			wantErr:   workflow.ErrConflict,
			wantCalls: []string{"get subnet snet-pls", "find service"},
		},
		{
			name: "updating service waits", policy: "Disabled",
			service:   &cloud.AzurePrivateLinkService{ID: "/pls/x", ProvisioningState: "Updating", FrontendIDs: []string{frontendID}},
			wantErr:   workflow.ErrNotReady,
			wantCalls: []string{"get subnet snet-pls", "find service"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &network{afterDisable: tt.afterDisable, service: tt.service}
			if !tt.noSubnet {
				fake.subnet = &cloud.AzureSubnet{Name: "snet-pls", PrivateLinkServiceNetworkPolicies: tt.policy}
			}
			env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
			doc := workflow.Document{
				Request: request.Request{ID: "T-1", Azure: &request.Azure{
					SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "rg1", Location: "eastus2",
					VNetName: "vnet1", SubnetName: "snet-proxy", PLSSubnetName: "snet-pls",
				}},
				Resources: workflow.Resources{LoadBalancer: &workflow.LoadBalancer{Result: workflow.Result{ID: lbID}}},
				Execution: "exec-1",
			}
			out, err := Run(t.Context(), env, doc)
			if got := workflow.NameOf(err); got != tt.wantErr {
				t.Fatalf("error name = %q (%v), want %q", got, err, tt.wantErr)
			}
			if tt.noSubnet {
				checkMissingSubnetAdvice(t, err)
			}
			if out.Action != tt.wantAction {
				t.Errorf("action = %q, want %q", out.Action, tt.wantAction)
			}
			if tt.wantErr == "" && out.ServiceName != out.ID {
				t.Errorf("service name %q is not the resource ID %q", out.ServiceName, out.ID)
			}
			if diff := cmp.Diff(tt.wantCalls, fake.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if fake.created.Name != "" {
				if fake.created.FrontendID != frontendID {
					t.Errorf("created in front of %q, want %q", fake.created.FrontendID, frontendID)
				}
				if want := "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/snet-pls"; fake.created.NATSubnetID != want {
					t.Errorf("NAT subnet %q, want %q", fake.created.NATSubnetID, want)
				}
			}
		})
	}
}

// checkMissingSubnetAdvice checks that the error for a missing subnet of
// azure.pls_subnet_name offers both fixes: a redrive after the subnet is
// created, and a teardown before a run with another subnet name.
func checkMissingSubnetAdvice(t *testing.T, err error) {
	t.Helper()
	for _, want := range []string{"create the subnet, then redrive", "$.azure.pls_subnet_name", "run 'repolink teardown exec-1' first"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if workflow.NeedsTeardownFirst(workflow.NameOf(err), err.Error()) {
		t.Errorf("NeedsTeardownFirst is true for %q, so the next action would rule out the redrive", err)
	}
}

func TestRunRejectsPLSSubnetInOtherCase(t *testing.T) {
	fake := &network{subnet: &cloud.AzureSubnet{Name: "snet-proxy", PrivateLinkServiceNetworkPolicies: "Enabled"}, afterDisable: "Disabled"}
	env := &workflow.Env{Azure: func(context.Context, string) (cloud.AzureNetwork, error) { return fake, nil }}
	doc := workflow.Document{
		Request: request.Request{ID: "T-1", Azure: &request.Azure{
			SubscriptionID: "00000000-0000-0000-0000-000000000001", ResourceGroup: "rg1", Location: "eastus2",
			VNetName: "vnet1", SubnetName: "snet-proxy", PLSSubnetName: "SNET-PROXY",
		}},
		Resources: workflow.Resources{LoadBalancer: &workflow.LoadBalancer{Result: workflow.Result{ID: lbID}}},
		Execution: "exec-1",
	}
	_, err := Run(t.Context(), env, doc)
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("error name = %q (%v), want %q", got, err, workflow.ErrInvalidRequest)
	}
	if !strings.Contains(err.Error(), "$.azure.pls_subnet_name") {
		t.Errorf("error %q does not name $.azure.pls_subnet_name", err)
	}
	if len(fake.calls) != 0 {
		t.Errorf("calls = %v, want none before the subnets are checked", fake.calls)
	}
}
