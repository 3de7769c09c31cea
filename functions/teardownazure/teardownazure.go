// Package teardownazure removes what the azure-privatelink route built for
// a request, after the shared steps have dropped the Snowflake objects and
// deprovisioned the endpoint. Connections waits until the Private Link
// Service has no live connection, RejectConnections rejects those left
// after that wait, and LinkService, LoadBalancer and ProxyVM delete in the
// reverse order of provisioning. Each step deletes only what carries the
// request's tag and reports skipped when it finds nothing. While another
// resource of the request still uses a resource, or Resource Manager names
// no user, the step returns NotReady, so that the state machine retries
// with backoff. When every user that Resource Manager names is not the
// request's, such as another request's Private Link Service on the load
// balancer's frontend, the step reports the resource as kept with the
// reason, and the teardown goes on.
package teardownazure

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the resource that a step removed or looked at.
type Output = workflow.Result

// Connections returns NotReady while the request's Private Link Service
// has a Pending or Approved connection, and reports checked once none is
// left.
func Connections(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	network, svc, err := linkService(ctx, env, in)
	if err != nil || svc == nil {
		return Output{Action: workflow.Skipped, ID: azureroute.NamesFor(in.Request).LinkService}, err
	}
	live, err := Live(ctx, network, svc.ID)
	if err != nil {
		return Output{}, err
	}
	if len(live) > 0 {
		return Output{}, workflow.NotReady("private link service %s still has %s; waiting for Snowflake to remove its private endpoint after deprovisioning",
			svc.ID, describe(live))
	}
	return Output{Action: workflow.Checked, ID: svc.ID}, nil
}

// RejectConnections rejects every live connection of the request's Private
// Link Service and reports updated when it rejected one.
func RejectConnections(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	network, svc, err := linkService(ctx, env, in)
	if err != nil || svc == nil {
		return Output{Action: workflow.Skipped, ID: azureroute.NamesFor(in.Request).LinkService}, err
	}
	live, err := Live(ctx, network, svc.ID)
	if err != nil {
		return Output{}, err
	}
	for _, c := range live {
		if _, err := network.RejectEndpointConnection(ctx, svc.ID, c.Name, "Rejected by repolink teardown of "+in.Request.ID); err != nil {
			return Output{}, fmt.Errorf("reject connection %s to %s: %w", c.Name, svc.ID, err)
		}
	}
	action := workflow.Skipped
	if len(live) > 0 {
		action = workflow.Updated
	}
	return Output{Action: action, ID: svc.ID}, nil
}

// LinkService deletes the request's Private Link Service.
func LinkService(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	network, svc, err := linkService(ctx, env, in)
	if err != nil {
		return Output{}, err
	}
	if svc == nil {
		return Output{Action: workflow.Skipped, ID: azureroute.NamesFor(in.Request).LinkService}, nil
	}
	if err := owned("private link service", svc.ID, svc.Tags, in.Request.ID); err != nil {
		return Output{}, err
	}
	// Only private endpoint connections block this delete. They are never
	// the request's own, but the steps before rejected them, so the delete
	// is retried and not kept.
	if err := network.DeletePrivateLinkService(ctx, in.Request.Azure.ResourceGroup, svc.Name); err != nil {
		return Output{}, fmt.Errorf("delete private link service %s: %w", svc.ID, err)
	}
	return Output{Action: workflow.Deleted, ID: svc.ID}, nil
}

// LoadBalancer takes every network interface out of the request's load
// balancer's pools, including with proxy none the repository's own, whose
// other settings stay, and deletes the load balancer.
func LoadBalancer(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	name := azureroute.NamesFor(req).LoadBalancer
	lb, err := network.FindLoadBalancer(ctx, req.Azure.ResourceGroup, name)
	if err != nil {
		return Output{}, fmt.Errorf("find load balancer %s: %w", name, err)
	}
	if lb == nil {
		return Output{Action: workflow.Skipped, ID: name}, nil
	}
	if err := owned("load balancer", lb.ID, lb.Tags, req.ID); err != nil {
		return Output{}, err
	}
	for _, pool := range lb.BackendPools {
		for _, config := range pool.IPConfigurationIDs {
			nic := interfaceOf(config)
			if err := network.LeaveBackendPool(ctx, nic, pool.ID); err != nil {
				return Output{}, fmt.Errorf("remove %s from backend pool %s: %w", nic, pool.ID, err)
			}
		}
	}
	if err := network.DeleteLoadBalancer(ctx, req.Azure.ResourceGroup, lb.Name); err != nil {
		// The step takes every interface out of the pools again when it is
		// retried, so an interface in a pool never makes it keep the load
		// balancer.
		if users := foreignUsers(err, req, true); len(users) > 0 {
			return kept("load balancer", lb.ID, users), nil
		}
		return Output{}, fmt.Errorf("delete load balancer %s: %w", lb.ID, err)
	}
	return Output{Action: workflow.Deleted, ID: lb.ID}, nil
}

// ProxyVM deletes the proxy VM and then its network interface. With proxy
// none the request has neither, so it reports skipped.
func ProxyVM(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	az := req.Azure
	names := azureroute.NamesFor(req)

	// deleted is the first resource deleted, and related the one after it.
	deleted := ""
	var related []workflow.Result
	vm, err := network.FindVM(ctx, az.ResourceGroup, names.VM)
	if err != nil {
		return Output{}, fmt.Errorf("find proxy VM %s: %w", names.VM, err)
	}
	if vm != nil {
		if err := owned("VM", vm.ID, vm.Tags, req.ID); err != nil {
			return Output{}, err
		}
		if err := network.DeleteVM(ctx, az.ResourceGroup, vm.Name); err != nil {
			if users := foreignUsers(err, req, false); len(users) > 0 {
				return kept("VM", vm.ID, users), nil
			}
			return Output{}, fmt.Errorf("delete proxy VM %s: %w", vm.ID, err)
		}
		deleted = vm.ID
	}

	nic, err := network.FindNetworkInterface(ctx, az.ResourceGroup, names.NetworkInterface)
	if err != nil {
		return Output{}, fmt.Errorf("find network interface %s: %w", names.NetworkInterface, err)
	}
	if nic != nil {
		if err := owned("network interface", nic.ID, nic.Tags, req.ID); err != nil {
			return Output{}, err
		}
		if err := network.DeleteNetworkInterface(ctx, az.ResourceGroup, nic.Name); err != nil {
			if users := foreignUsers(err, req, false); len(users) > 0 {
				// The kept interface is what the summary must show, and
				// a VM deleted before it is listed as related.
				out := kept("network interface", nic.ID, users)
				if deleted != "" {
					out.Related = []workflow.Result{{Action: workflow.Deleted, ID: deleted}}
				}
				return out, nil
			}
			return Output{}, fmt.Errorf("delete network interface %s: %w", nic.ID, err)
		}
		if deleted == "" {
			deleted = nic.ID
		} else {
			related = append(related, workflow.Result{Action: workflow.Deleted, ID: nic.ID})
		}
	}

	if deleted == "" {
		return Output{Action: workflow.Skipped, ID: names.VM}, nil
	}
	return Output{Action: workflow.Deleted, ID: deleted, Related: related}, nil
}

// Live returns the connections of the service that keep it from being
// deleted: every one that is not Rejected or Disconnected.
func Live(ctx context.Context, network cloud.AzureNetwork, serviceID string) ([]cloud.AzureEndpointConnection, error) {
	conns, err := network.PrivateEndpointConnections(ctx, serviceID)
	if err != nil {
		return nil, fmt.Errorf("list connections of %s: %w", serviceID, err)
	}
	var live []cloud.AzureEndpointConnection
	for _, c := range conns {
		if strings.EqualFold(c.Status, cloud.AzureRejected) || strings.EqualFold(c.Status, cloud.AzureDisconnected) {
			continue
		}
		live = append(live, c)
	}
	return live, nil
}

func linkService(ctx context.Context, env *workflow.Env, in workflow.Document) (cloud.AzureNetwork, *cloud.AzurePrivateLinkService, error) {
	req := in.Request
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return nil, nil, err
	}
	name := azureroute.NamesFor(req).LinkService
	svc, err := network.FindPrivateLinkService(ctx, req.Azure.ResourceGroup, name)
	if err != nil {
		return nil, nil, fmt.Errorf("find private link service %s: %w", name, err)
	}
	return network, svc, nil
}

// foreignUsers returns the users that block a delete with NotReady when
// none of them is one of the request's own resources, and nil otherwise.
// The request's own VM, network interface, load balancer and Private Link
// Service go away during teardown, so a delete that one of them blocks is
// retried. A delete whose error names no user is retried as well. With
// interfacesRetry, a network interface or one of its IP configurations
// also counts as a user that goes away.
func foreignUsers(err error, req request.Request, interfacesRetry bool) []string {
	var inUse *cloud.AzureInUseError
	if workflow.NameOf(err) != workflow.ErrNotReady || !errors.As(err, &inUse) || len(inUse.Users) == 0 {
		return nil
	}
	own := ownIDs(req)
	for _, user := range inUse.Users {
		top := strings.ToLower(topLevelID(user))
		if slices.Contains(own, top) {
			return nil
		}
		if interfacesRetry && strings.Contains(top, "/providers/microsoft.network/networkinterfaces/") {
			return nil
		}
	}
	return inUse.Users
}

// ownIDs returns the lower-case IDs of the resources that the route
// builds for the request.
func ownIDs(req request.Request) []string {
	az := req.Azure
	names := azureroute.NamesFor(req)
	group := "/subscriptions/" + az.SubscriptionID + "/resourceGroups/" + az.ResourceGroup + "/providers/"
	ids := []string{
		group + "Microsoft.Compute/virtualMachines/" + names.VM,
		group + "Microsoft.Network/networkInterfaces/" + names.NetworkInterface,
		group + "Microsoft.Network/loadBalancers/" + names.LoadBalancer,
		group + "Microsoft.Network/privateLinkServices/" + names.LinkService,
	}
	for i := range ids {
		ids[i] = strings.ToLower(ids[i])
	}
	return ids
}

// topLevelID returns the ID of the top-level resource of a resource ID,
// such as the network interface of an IP configuration's ID. An ID of
// another form is returned unchanged.
func topLevelID(id string) string {
	parts := strings.Split(strings.TrimPrefix(id, "/"), "/")
	// subscriptions/S/resourceGroups/G/providers/NAMESPACE/TYPE/NAME
	if len(parts) < 8 || !strings.EqualFold(parts[4], "providers") {
		return id
	}
	return "/" + strings.Join(parts[:8], "/")
}

// kept reports a resource that teardown leaves because resources that the
// request did not build still use it.
func kept(kind, id string, users []string) Output {
	return Output{Action: workflow.Kept, ID: id,
		Reason: strings.Join(users, ", ") + " still uses it and was not built for this request; delete the " + kind +
			" by hand once nothing uses it"}
}

// owned returns Conflict unless the resource carries the request's tag, so
// that teardown never deletes what another request or a person built
// under the same name.
func owned(kind, id string, tags map[string]string, requestID string) error {
	if owner := tags[cloud.TagRequest]; owner != requestID {
		return workflow.Errorf(workflow.ErrConflict,
			"%s %s carries %s=%q, not %q; it was not built for this request, so delete it by hand if it is no longer used",
			kind, id, cloud.TagRequest, owner, requestID)
	}
	return nil
}

// interfaceOf returns the network interface ID of one of its IP
// configuration IDs.
func interfaceOf(configID string) string {
	if i := strings.LastIndex(strings.ToLower(configID), "/ipconfigurations/"); i >= 0 {
		return configID[:i]
	}
	return configID
}

func describe(conns []cloud.AzureEndpointConnection) string {
	parts := make([]string, 0, len(conns))
	for _, c := range conns {
		parts = append(parts, c.Name+" "+c.Status)
	}
	noun := "connection"
	if len(conns) > 1 {
		noun = "connections"
	}
	return noun + " " + strings.Join(parts, ", ")
}
