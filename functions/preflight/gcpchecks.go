package preflight

import (
	"context"
	"fmt"

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
	// The subnet is regional, so an unlisted region would pass as one in
	// which the subnet can be created.
	if err := gcproute.SkipUnlisted(ctx, network, *req.GCP, false); err != nil {
		return err
	}
	return gcproute.CheckPSCSubnet(ctx, network, req, "")
}

// checkGCPTargetVM fails a gcp-privatelink run with proxy none whose
// repository VM is already in another request's instance group, before
// this request's group is built.
func checkGCPTargetVM(ctx context.Context, env *workflow.Env, req request.Request) error {
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return err
	}
	if err := gcproute.SkipUnlisted(ctx, network, *req.GCP, true); err != nil {
		return err
	}
	inst, err := network.FindInstanceByIP(ctx, req.GCP.Zone, req.GCP.TargetAddress)
	if err != nil {
		return fmt.Errorf("find the VM with $.gcp.target_address %s: %w", req.GCP.TargetAddress, err)
	}
	// The gcp_proxy_vm step reports a missing VM with the fix.
	if inst == nil {
		return nil
	}
	return gcproute.CheckTargetVMGroups(ctx, network, req, inst)
}

// checkGCPMachineType fails a gcp-privatelink run whose gcp.machine_type
// the zone does not offer, before the proxy VM's instance insert.
func checkGCPMachineType(ctx context.Context, env *workflow.Env, req request.Request) error {
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return err
	}
	return gcproute.CheckMachineType(ctx, network, *req.GCP)
}
