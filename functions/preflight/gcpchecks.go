package preflight

import (
	"context"

	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// checkGCPRegion fails a gcp-privatelink run whose gcp.region the project
// does not have, or whose gcp.zone is not in that region, before anything
// is built for it.
func checkGCPRegion(ctx context.Context, env *workflow.Env, req request.Request) error {
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return err
	}
	return gcproute.CheckRegion(ctx, network, *req.GCP)
}

// checkPSCSubnet fails a gcp-privatelink run whose Private Service Connect
// NAT subnet the service attachment step could not use or create, with the
// check that the gcp_proxy_vm step runs before it builds anything.
func checkPSCSubnet(ctx context.Context, env *workflow.Env, req request.Request) error {
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return err
	}
	return gcproute.CheckPSCSubnet(ctx, network, req, "")
}
