// Package azureprivatelinkservice creates the Private Link Service in front
// of the load balancer frontend, after disabling the private link service
// network policies of its NAT subnet.
package azureprivatelinkservice

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the Private Link Service. ServiceName is its resource ID, which
// SYSTEM$PROVISION_PRIVATELINK_ENDPOINT takes on Azure.
type Output = workflow.EndpointService

// Run disables the NAT subnet's private link service network policies and
// reads them back, because Resource Manager rejects a Private Link Service
// in a subnet where they are enabled. It then finds or creates the service
// and returns NotReady until it has provisioned.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	lb := in.Resources.LoadBalancer
	if lb == nil {
		return Output{}, workflow.Invalid("private link service needs the load balancer; run azure_load_balancer first")
	}
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	az := req.Azure
	names := azureroute.NamesFor(req)

	// The request check rejects this too. The step checks again, because
	// a document that skipped that check would turn off the network
	// policies of the proxy VM's own subnet. Azure compares names without
	// case.
	if az.SubnetName != "" && strings.EqualFold(az.SubnetName, az.PLSSubnetName) {
		return Output{}, workflow.Invalid("$.azure.pls_subnet_name %q names the same subnet as $.azure.subnet_name %q (Azure compares names without case); set a different subnet",
			az.PLSSubnetName, az.SubnetName)
	}
	if err := disablePolicies(ctx, network, az.ResourceGroup, az.VNetName, az.PLSSubnetName, in.Execution); err != nil {
		return Output{}, err
	}

	frontendID := lb.ID + "/frontendIPConfigurations/" + names.Frontend
	svc, err := network.FindPrivateLinkService(ctx, az.ResourceGroup, names.LinkService)
	if err != nil {
		return Output{}, fmt.Errorf("find private link service %s: %w", names.LinkService, err)
	}
	if svc == nil {
		created, err := network.CreatePrivateLinkService(ctx, cloud.AzurePrivateLinkServiceSpec{
			ResourceGroup: az.ResourceGroup,
			Location:      az.Location,
			Name:          names.LinkService,
			RequestID:     req.ID,
			FrontendID:    frontendID,
			NATSubnetID:   azureroute.SubnetID(az, az.PLSSubnetName),
			NATConfig:     names.NATConfig,
			Tags:          map[string]string{cloud.TagExecution: in.Execution},
		})
		if err != nil {
			return Output{}, fmt.Errorf("create private link service %s: %w", names.LinkService, err)
		}
		svc = &created
	}
	if err := azureroute.CheckOwner("private link service", svc.ID, svc.Tags, req.ID); err != nil {
		return Output{}, err
	}
	if err := Check(*svc, frontendID); err != nil {
		return Output{}, err
	}
	if err := azureroute.Progress("private link service", svc.ID, svc.ProvisioningState); err != nil {
		return Output{}, err
	}
	return Output{
		Result:      workflow.Result{Action: workflow.ActionFor(svc.Tags, in.Execution), ID: svc.ID},
		ServiceName: svc.ID,
	}, nil
}

// disablePolicies sets the subnet's private link service network policies
// to Disabled when they are not, and reads them back. execution is the run
// that may have built resources for the request, which the advice for a
// missing subnet names.
func disablePolicies(ctx context.Context, network cloud.AzureNetwork, resourceGroup, vnet, subnet, execution string) error {
	current, err := network.Subnet(ctx, resourceGroup, vnet, subnet)
	if err != nil {
		return fmt.Errorf("read subnet %s/%s: %w", vnet, subnet, err)
	}
	if current == nil {
		// The advice ends without the teardown-then-rerun advice of
		// workflow.PlacementChangeFix, because a redrive succeeds once the
		// subnet exists, and the next action must keep offering it.
		return workflow.Invalid("subnet %s of virtual network %s in resource group %s does not exist; create the subnet, then redrive. "+
			"To use another subnet instead, run %s first, because a run that changes $.azure.pls_subnet_name is rejected "+
			"while the resources of this run exist, and then run the request with the changed $.azure.pls_subnet_name",
			subnet, vnet, resourceGroup, teardownCommand(execution))
	}
	if strings.EqualFold(current.PrivateLinkServiceNetworkPolicies, "Disabled") {
		return nil
	}
	if _, err := network.DisablePrivateLinkServicePolicies(ctx, resourceGroup, vnet, subnet); err != nil {
		return fmt.Errorf("disable private link service network policies on %s/%s: %w", vnet, subnet, err)
	}
	current, err = network.Subnet(ctx, resourceGroup, vnet, subnet)
	if err != nil {
		return fmt.Errorf("read subnet %s/%s: %w", vnet, subnet, err)
	}
	if current == nil || !strings.EqualFold(current.PrivateLinkServiceNetworkPolicies, "Disabled") {
		state := "gone"
		if current != nil {
			state = current.PrivateLinkServiceNetworkPolicies
		}
		return workflow.NotReady("private link service network policies of subnet %s/%s read %q after they were disabled; waiting for the change to apply", vnet, subnet, state)
	}
	return nil
}

// Check rejects a service that PROXY protocol or another frontend would
// break: the proxy VM reads the client's raw TLS ClientHello, so a PROXY
// protocol header in front of it fails every handshake and every probe.
func Check(svc cloud.AzurePrivateLinkService, frontendID string) error {
	if svc.ProxyProtocol {
		return workflow.Errorf(workflow.ErrConflict,
			"private link service %s has TCP PROXY protocol v2 on, but the proxy expects raw TLS; turn it off on the service", svc.ID)
	}
	if len(svc.FrontendIDs) > 0 && !slices.ContainsFunc(svc.FrontendIDs, func(id string) bool { return strings.EqualFold(id, frontendID) }) {
		return workflow.Errorf(workflow.ErrConflict,
			"private link service %s fronts %s, not %s; delete it so that it is created in front of the request's load balancer", svc.ID, strings.Join(svc.FrontendIDs, ", "), frontendID)
	}
	return nil
}

// teardownCommand returns the teardown of execution, or of the request's
// latest run when execution is "".
func teardownCommand(execution string) string {
	if execution == "" {
		return "repolink teardown on the request's latest run"
	}
	return "'repolink teardown " + execution + "'"
}
