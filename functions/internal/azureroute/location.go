package azureroute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// CheckLocation returns an InvalidRequest naming $.azure.location when the
// subscription has no region of that name. Request validation checks only
// the form of the name, and Resource Manager would reject the location only
// at the first resource that the run creates.
//
// NOTE: a region that the subscription lists but may not use, such as a
// restricted region without granted access, passes, and the first step that
// creates a resource there still fails.
func CheckLocation(ctx context.Context, network cloud.AzureNetwork, az request.Azure) error {
	locations, err := network.Locations(ctx)
	if err != nil {
		return fmt.Errorf("list the locations of $.azure.subscription_id %s: %w", az.SubscriptionID, err)
	}
	// Location names compare without case, as Resource Manager compares
	// them, for a document that did not pass the request check.
	if slices.ContainsFunc(locations, func(name string) bool { return strings.EqualFold(name, az.Location) }) {
		return nil
	}
	return cloudresource.InvalidField("$.azure.location", "$.azure.location %s is not a location of subscription %s; set $.azure.location to one of its locations, such as %s",
		az.Location, az.SubscriptionID, cloudresource.ClosestNames(locations, az.Location, "eastus2 (the subscription lists none)"))
}

// CheckNetworkRegion returns an InvalidRequest naming $.azure.location when
// the virtual network of $.azure.vnet_name is in another region. Resource
// Manager rejects a network interface, load balancer frontend or Private
// Link Service in another region than its subnet, and the first of them
// would fail only after the steps before it ran. A network that does not
// exist passes, and the first step that uses it reports it.
func CheckNetworkRegion(ctx context.Context, network cloud.AzureNetwork, az request.Azure) error {
	if az.ResourceGroup == "" || az.VNetName == "" {
		// Request validation rejects a request without them.
		return nil
	}
	vnet, err := network.VirtualNetwork(ctx, az.ResourceGroup, az.VNetName)
	if err != nil {
		return fmt.Errorf("read $.azure.vnet_name %s in resource group %s: %w", az.VNetName, az.ResourceGroup, err)
	}
	if vnet == nil || vnet.Location == "" || strings.EqualFold(vnet.Location, az.Location) {
		return nil
	}
	return cloudresource.InvalidField("$.azure.location", "$.azure.location %s is not the region of virtual network %s ($.azure.vnet_name), which is in %s; "+
		"set $.azure.location to %s, or set $.azure.vnet_name to a virtual network in %s",
		az.Location, az.VNetName, strings.ToLower(vnet.Location), strings.ToLower(vnet.Location), az.Location)
}

// CheckVMSize returns an InvalidRequest naming $.azure.vm_size when the
// location has no VM size of that name, compared without case as Azure
// compares it. A location that the subscription does not list returns a
// *cloudresource.SkippedError, because CheckLocation reports it.
func CheckVMSize(ctx context.Context, network cloud.AzureNetwork, az request.Azure) error {
	locations, err := network.Locations(ctx)
	if err != nil {
		return fmt.Errorf("list the locations of $.azure.subscription_id %s: %w", az.SubscriptionID, err)
	}
	if !slices.ContainsFunc(locations, func(name string) bool { return strings.EqualFold(name, az.Location) }) {
		return cloudresource.Skipped("$.azure.location %s is not a location of subscription %s, which the azure_location check reports", az.Location, az.SubscriptionID)
	}
	sizes, err := network.VMSizes(ctx, az.Location)
	if err != nil && LocationRejected(err) {
		return workflow.Invalid("$.azure.location %s is listed for $.azure.subscription_id %s but offers it no VM sizes (%v); set $.azure.location to a region that the subscription may use",
			az.Location, az.SubscriptionID, err)
	}
	if err != nil {
		return fmt.Errorf("list the VM sizes of $.azure.location %s: %w", az.Location, err)
	}
	if slices.ContainsFunc(sizes, func(name string) bool { return strings.EqualFold(name, az.VMSize) }) {
		return nil
	}
	return workflow.Invalid("$.azure.vm_size %s is not a VM size of $.azure.location %s; set $.azure.vm_size to one of its sizes, such as %s, or remove it to use %s",
		az.VMSize, az.Location, cloudresource.ClosestNames(sizes, az.VMSize, request.DefaultAzureVMSize+" (the location lists none)"), request.DefaultAzureVMSize)
}

// locationCodes are the Resource Manager error codes of a create call that
// the location rejects. They come before any resource is created.
var locationCodes = map[string]bool{"LocationNotAvailableForResourceType": true, "NoRegisteredProviderFound": true, "InvalidLocation": true}

// LocationRejected reports whether err carries a Resource Manager error
// code with which a create call fails in a location that the subscription
// may not use, such as a restricted region that it lists.
func LocationRejected(err error) bool {
	var coded interface{ ErrorCode() string }
	return errors.As(err, &coded) && locationCodes[coded.ErrorCode()]
}
