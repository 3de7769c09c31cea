package azure

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/repolink/repolink/shared/workflow"
)

// inUseCodes are the error codes of a delete that fails because another
// resource still uses the resource. Teardown waits for the other resource
// to go, so they read as NotReady.
//
// NOTE: InUseNetworkInterfaceCannotBeDeleted and NicInUse are codes that
// Resource Manager returns. The load balancer and Private Link Service
// codes are the sandbox's own, because the codes that Resource Manager
// returns for them were not observed. A 409 or 412 on a delete also reads
// as NotReady.
var inUseCodes = map[string]bool{
	"InUseNetworkInterfaceCannotBeDeleted": true,
	"NicInUse":                             true,
	"InUseLoadBalancerCannotBeDeleted":     true,
	"PrivateLinkServiceWithPrivateEndpointConnectionsCannotBeDeleted": true,
}

// classifyDelete maps the error of a delete: nil when the resource is
// already gone, NotReady when something still uses it, and classify's
// names otherwise.
func classifyDelete(err error, format string, args ...any) error {
	if err == nil || isNotFound(err) {
		return nil
	}
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) && (inUseCodes[respErr.ErrorCode] ||
		respErr.StatusCode == http.StatusConflict || respErr.StatusCode == http.StatusPreconditionFailed) {
		named := classify(err, format, args...)
		var step *stepError
		if errors.As(named, &step) {
			step.named.Name = workflow.ErrNotReady
			return step
		}
		return named
	}
	return classify(err, format, args...)
}

// DeletePrivateLinkService deletes the service and waits for it.
func (p *Provider) DeletePrivateLinkService(ctx context.Context, resourceGroup, name string) error {
	poller, err := p.linkService.BeginDelete(ctx, resourceGroup, name, nil)
	_, err = wait(ctx, poller, err, p.poll)
	return classifyDelete(err, "delete private link service %s in resource group %s", name, resourceGroup)
}

// DeleteLoadBalancer deletes the load balancer and waits for it.
func (p *Provider) DeleteLoadBalancer(ctx context.Context, resourceGroup, name string) error {
	poller, err := p.balancers.BeginDelete(ctx, resourceGroup, name, nil)
	_, err = wait(ctx, poller, err, p.poll)
	return classifyDelete(err, "delete load balancer %s in resource group %s", name, resourceGroup)
}

// DeleteVM deletes the VM and waits for it. The OS disk goes with it,
// since CreateVM sets its delete option.
func (p *Provider) DeleteVM(ctx context.Context, resourceGroup, name string) error {
	poller, err := p.vms.BeginDelete(ctx, resourceGroup, name, nil)
	_, err = wait(ctx, poller, err, p.poll)
	return classifyDelete(err, "delete virtual machine %s in resource group %s", name, resourceGroup)
}

// DeleteNetworkInterface deletes the interface and waits for it.
func (p *Provider) DeleteNetworkInterface(ctx context.Context, resourceGroup, name string) error {
	poller, err := p.interfaces.BeginDelete(ctx, resourceGroup, name, nil)
	_, err = wait(ctx, poller, err, p.poll)
	return classifyDelete(err, "delete network interface %s in resource group %s", name, resourceGroup)
}

// LeaveBackendPool reads the interface, removes the pool from every IP
// configuration and writes the interface back. An interface that is gone
// or not in the pool is left as it is.
func (p *Provider) LeaveBackendPool(ctx context.Context, networkInterfaceID, backendPoolID string) error {
	id, err := parseID(networkInterfaceID, "Microsoft.Network/networkInterfaces")
	if err != nil {
		return err
	}
	resp, err := p.interfaces.Get(ctx, id.ResourceGroupName, id.Name, nil)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return classify(err, "get network interface %s", networkInterfaceID)
	}

	current := resp.Interface
	changed := false
	if current.Properties != nil {
		for _, config := range current.Properties.IPConfigurations {
			if config == nil || config.Properties == nil {
				continue
			}
			before := len(config.Properties.LoadBalancerBackendAddressPools)
			config.Properties.LoadBalancerBackendAddressPools = slices.DeleteFunc(config.Properties.LoadBalancerBackendAddressPools,
				func(pool *armnetwork.BackendAddressPool) bool {
					return pool != nil && strings.EqualFold(str(pool.ID), backendPoolID)
				})
			changed = changed || len(config.Properties.LoadBalancerBackendAddressPools) != before
		}
	}
	if !changed {
		return nil
	}

	poller, err := p.interfaces.BeginCreateOrUpdate(ctx, id.ResourceGroupName, id.Name, current, nil)
	if _, err := wait(ctx, poller, err, p.poll); err != nil {
		return classify(err, "remove network interface %s from backend pool %s", networkInterfaceID, backendPoolID)
	}
	return nil
}
