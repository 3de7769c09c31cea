package azure

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

const group = "/subscriptions/3f2b8c1e-6d4a-4b7e-9a15-2c8d7e6f5a40/resourceGroups/rg-packages/providers/"

// responseError builds the error that the SDK returns for a Resource
// Manager error response with code and message.
func responseError(t *testing.T, code, message string) error {
	t.Helper()
	body, err := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": message, "details": []any{}}})
	if err != nil {
		t.Fatal(err)
	}
	resp := &http.Response{
		StatusCode: http.StatusBadRequest,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(string(body))),
		Request:    httptest.NewRequest(http.MethodDelete, "https://management.azure.com/subscriptions/s/resourceGroups/g", nil),
	}
	return runtime.NewResponseError(resp)
}

func TestClassifyDeleteInUseUsers(t *testing.T) {
	lb := group + "Microsoft.Network/loadBalancers/rl-data-4811-lb"
	tests := []struct {
		name    string
		self    string
		code    string
		message string
		want    []string
	}{
		{
			name:    "load balancer with private link service",
			self:    lb,
			code:    "CannotDeleteLoadBalancerWithPrivateLinkService",
			message: "Cannot delete load balancer " + lb + " since it is referenced by private link service " + group + "Microsoft.Network/privateLinkServices/rl-data-5000-pls. Please delete private link service prior to deleting load balancer.",
			want:    []string{group + "Microsoft.Network/privateLinkServices/rl-data-5000-pls"},
		},
		{
			name:    "load balancer frontend in global pool",
			self:    lb,
			code:    "NotAllowedToDeleteLoadBalancerWithFrontendIpConfigurationInUseByGlobalLB",
			message: "It is not allowed to delete load balancer " + lb + " that has a load balancer frontend IP configuration " + lb + "/frontendIPConfigurations/frontend referenced by global load balancer's pool " + group + "Microsoft.Network/loadBalancers/global/backendAddressPools/pool. Please remove from global load balancing configuration first.",
			want:    []string{group + "Microsoft.Network/loadBalancers/global/backendAddressPools/pool"},
		},
		{
			name:    "network interface attached to a VM",
			self:    group + "Microsoft.Network/networkInterfaces/rl-data-4811-proxy-nic",
			code:    "NicInUse",
			message: "Network Interface " + group + "Microsoft.Network/networkInterfaces/rl-data-4811-proxy-nic is used by existing resource " + group + "Microsoft.Compute/virtualMachines/vm-other. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.",
			want:    []string{group + "Microsoft.Compute/virtualMachines/vm-other"},
		},
		{
			name:    "subnet with an IP configuration",
			self:    group + "Microsoft.Network/virtualNetworks/vnet-packages/subnets/snet-proxy",
			code:    "InUseSubnetCannotBeDeleted",
			message: "Subnet snet-proxy is in use by " + group + "Microsoft.Network/networkInterfaces/nic-1/ipConfigurations/ipconfig1 and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
			want:    []string{group + "Microsoft.Network/networkInterfaces/nic-1/ipConfigurations/ipconfig1"},
		},
		{
			name:    "network security group on two subnets",
			self:    group + "Microsoft.Network/networkSecurityGroups/nsg-packages",
			code:    "InUseNetworkSecurityGroupCannotBeDeleted",
			message: "Network security group " + group + "Microsoft.Network/networkSecurityGroups/nsg-packages cannot be deleted because it is in use by the following resources: " + group + "Microsoft.Network/virtualNetworks/vnet-packages/subnets/a, " + group + "Microsoft.Network/virtualNetworks/vnet-packages/subnets/b. In order to delete the Network security group, remove the association with the resource(s).",
			want:    []string{group + "Microsoft.Network/virtualNetworks/vnet-packages/subnets/a", group + "Microsoft.Network/virtualNetworks/vnet-packages/subnets/b"},
		},
		{
			name:    "private link service with connections",
			self:    group + "Microsoft.Network/privateLinkServices/rl-data-4811-pls",
			code:    "PrivateLinkServiceWithPrivateEndpointConnectionsCannotBeDeleted",
			message: "Private link service " + group + "Microsoft.Network/privateLinkServices/rl-data-4811-pls cannot be deleted since it has 1 private endpoint connection. Please delete all private endpoint connections before deleting the private link service.",
			want:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classifyDelete(responseError(t, tt.code, tt.message), tt.self, "delete %s", "it")
			if got := workflow.NameOf(err); got != workflow.ErrNotReady {
				t.Errorf("error name = %q, want %q (error %v)", got, workflow.ErrNotReady, err)
			}
			var inUse *cloud.AzureInUseError
			if !errors.As(err, &inUse) {
				t.Fatalf("error %v has no *cloud.AzureInUseError", err)
			}
			if inUse.Code != tt.code {
				t.Errorf("code = %q, want %q", inUse.Code, tt.code)
			}
			if diff := cmp.Diff(tt.want, inUse.Users); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
			var respErr *azcore.ResponseError
			if !errors.As(err, &respErr) {
				t.Errorf("error %v lost the SDK's *azcore.ResponseError", err)
			}
			for _, user := range tt.want {
				if !strings.Contains(err.Error(), user) {
					t.Errorf("error %q does not name user %s", err, user)
				}
			}
		})
	}
}

func TestClassifyDeleteOtherCodes(t *testing.T) {
	err := classifyDelete(responseError(t, "InvalidParameter", "Something is wrong with "+group+"Microsoft.Network/loadBalancers/x."), "", "delete %s", "x")
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("error name = %q, want %q", got, workflow.ErrInvalidRequest)
	}
	var inUse *cloud.AzureInUseError
	if errors.As(err, &inUse) {
		t.Errorf("error %v has an *cloud.AzureInUseError for a code that is not in-use", err)
	}
}
