package preflight

import (
	"context"

	"github.com/repolink/repolink/functions/internal/azureroute"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// checkAzureLocation fails an azure-privatelink run whose azure.location
// the subscription does not have, before anything is built for it.
func checkAzureLocation(ctx context.Context, env *workflow.Env, req request.Request) error {
	network, err := azureroute.Network(ctx, env, req)
	if err != nil {
		return err
	}
	return azureroute.CheckLocation(ctx, network, *req.Azure)
}
