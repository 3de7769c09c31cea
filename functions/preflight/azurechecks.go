package preflight

import (
	"context"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// checkAzureLocation fails an azure-privatelink run whose azure.location
// the subscription does not have, or is not the region of the virtual
// network, before anything is built for it.
func checkAzureLocation(ctx context.Context, env *workflow.Env, req request.Request) error {
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return err
	}
	if err := azureroute.CheckLocation(ctx, network, *req.Azure); err != nil {
		return err
	}
	return azureroute.CheckNetworkRegion(ctx, network, *req.Azure)
}

// checkAzureVMSize fails an azure-privatelink run whose azure.vm_size the
// location does not offer, before the proxy VM's network interface is
// built.
func checkAzureVMSize(ctx context.Context, env *workflow.Env, req request.Request) error {
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return err
	}
	return azureroute.CheckVMSize(ctx, network, *req.Azure)
}
