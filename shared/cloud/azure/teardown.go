package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// inUseCodes are the error codes of a delete that fails because another
// resource still uses the resource. They read as NotReady, so that
// teardown waits for the users to go, or keeps the resource when none of
// the users is the request's.
//
// NOTE: Resource Manager's own codes are NicInUse,
// CannotDeleteLoadBalancerWithPrivateLinkService,
// NotAllowedToDeleteLoadBalancerWithFrontendIpConfigurationInUseByGlobalLB,
// PrivateLinkServiceWithPrivateEndpointConnectionsCannotBeDeleted,
// InUseSubnetCannotBeDeleted and InUseNetworkSecurityGroupCannotBeDeleted,
// as public bug reports and the AKS troubleshooting article "Can't delete
// load balancer with a private link service" quote them with their
// messages. No response with InUseNetworkInterfaceCannotBeDeleted was
// observed, and
// InUseLoadBalancerCannotBeDeleted, for a load balancer whose pools still
// have members, is the sandbox's own. A 409 or 412 on a delete also reads
// as NotReady.
var inUseCodes = map[string]bool{
	"NicInUse":                                       true,
	"InUseNetworkInterfaceCannotBeDeleted":           true,
	"CannotDeleteLoadBalancerWithPrivateLinkService": true,
	"NotAllowedToDeleteLoadBalancerWithFrontendIpConfigurationInUseByGlobalLB": true,
	"InUseLoadBalancerCannotBeDeleted":                                         true,
	"PrivateLinkServiceWithPrivateEndpointConnectionsCannotBeDeleted":          true,
	"InUseSubnetCannotBeDeleted":                                               true,
	"InUseNetworkSecurityGroupCannotBeDeleted":                                 true,
}

// classifyDelete maps the error of a delete of the resource with ID self:
// nil when the resource is already gone, NotReady when something still
// uses it, and classify's names otherwise. An in-use code adds an
// *cloud.AzureInUseError with the users that the message names.
func classifyDelete(err error, self string, format string, args ...any) error {
	if err == nil || isNotFound(err) {
		return nil
	}
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) {
		return classify(err, format, args...)
	}
	if inUseCodes[respErr.ErrorCode] {
		users := inUseUsers(responseMessage(respErr), self)
		cause := &cloud.AzureInUseError{Code: respErr.ErrorCode, Users: users, Err: err}
		msg := "azure: " + fmt.Sprintf(format, args...) + ": " + describe(err)
		if len(users) > 0 {
			msg += "; used by " + strings.Join(users, ", ")
		}
		return &stepError{named: &workflow.Error{Name: workflow.ErrNotReady, Message: msg}, cause: cause}
	}
	if respErr.StatusCode == http.StatusConflict || respErr.StatusCode == http.StatusPreconditionFailed {
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

// resourceIDPattern matches a resource ID inside an error message. An ID
// ends at white space or at a quote, comma or semicolon.
var resourceIDPattern = regexp.MustCompile(`(?i)/subscriptions/[^\s'",;]+`)

// inUseUsers returns the resource IDs that an in-use message names, other
// than self and its child resources, in order and without repeats. The
// messages name the users by full ID, for example "Cannot delete load
// balancer ID since it is referenced by private link service ID." or
// "Subnet NAME is in use by ID and cannot be deleted.".
func inUseUsers(message, self string) []string {
	var users []string
	for _, id := range resourceIDPattern.FindAllString(message, -1) {
		id = strings.TrimRight(id, ".)")
		lower := strings.ToLower(id)
		if self != "" && (lower == strings.ToLower(self) || strings.HasPrefix(lower, strings.ToLower(self)+"/")) {
			continue
		}
		if !slices.ContainsFunc(users, func(u string) bool { return strings.EqualFold(u, id) }) {
			users = append(users, id)
		}
	}
	return users
}

// responseMessage returns the message of a Resource Manager error body,
// {"error": {"code": ..., "message": ...}}, or the whole body when it has
// another form.
func responseMessage(respErr *azcore.ResponseError) string {
	if respErr.RawResponse == nil {
		return ""
	}
	body, err := runtime.Payload(respErr.RawResponse)
	if err != nil {
		return ""
	}
	var envelope struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &envelope) == nil && envelope.Error.Message != "" {
		return envelope.Error.Message
	}
	return string(body)
}

// resourceID returns the ID of a resource in the provider's subscription.
func (p *Provider) resourceID(resourceGroup, resourceType, name string) string {
	return "/subscriptions/" + p.subscription + "/resourceGroups/" + resourceGroup + "/providers/" + resourceType + "/" + name
}

// DeletePrivateLinkService deletes the service and waits for it.
func (p *Provider) DeletePrivateLinkService(ctx context.Context, resourceGroup, name string) error {
	poller, err := p.linkService.BeginDelete(ctx, resourceGroup, name, nil)
	_, err = wait(ctx, poller, err, p.poll)
	return classifyDelete(err, p.resourceID(resourceGroup, "Microsoft.Network/privateLinkServices", name),
		"delete private link service %s in resource group %s", name, resourceGroup)
}

// DeleteLoadBalancer deletes the load balancer and waits for it.
func (p *Provider) DeleteLoadBalancer(ctx context.Context, resourceGroup, name string) error {
	poller, err := p.balancers.BeginDelete(ctx, resourceGroup, name, nil)
	_, err = wait(ctx, poller, err, p.poll)
	return classifyDelete(err, p.resourceID(resourceGroup, "Microsoft.Network/loadBalancers", name),
		"delete load balancer %s in resource group %s", name, resourceGroup)
}

// DeleteVM deletes the VM and waits for it. The OS disk goes with it,
// since CreateVM sets its delete option.
func (p *Provider) DeleteVM(ctx context.Context, resourceGroup, name string) error {
	poller, err := p.vms.BeginDelete(ctx, resourceGroup, name, nil)
	_, err = wait(ctx, poller, err, p.poll)
	return classifyDelete(err, p.resourceID(resourceGroup, "Microsoft.Compute/virtualMachines", name),
		"delete virtual machine %s in resource group %s", name, resourceGroup)
}

// DeleteNetworkInterface deletes the interface and waits for it.
func (p *Provider) DeleteNetworkInterface(ctx context.Context, resourceGroup, name string) error {
	poller, err := p.interfaces.BeginDelete(ctx, resourceGroup, name, nil)
	_, err = wait(ctx, poller, err, p.poll)
	return classifyDelete(err, p.resourceID(resourceGroup, "Microsoft.Network/networkInterfaces", name),
		"delete network interface %s in resource group %s", name, resourceGroup)
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
