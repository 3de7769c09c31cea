package gcproute

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
)

// CheckMachineType returns an InvalidRequest naming $.gcp.machine_type when
// gcp.zone does not offer the machine type, with the zone's types of the
// closest names. The request check at load tests only its form, so the
// gcp_proxy_vm step would otherwise fail at the instance insert, after the
// PSC subnet check and before anything else is built. A zone that the
// region does not list returns a *cloudresource.SkippedError.
func CheckMachineType(ctx context.Context, network cloud.GCPNetwork, g request.GCP) error {
	name := g.MachineType
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return nil
	}
	if err := SkipUnlisted(ctx, network, g, true); err != nil {
		return err
	}
	exists, err := network.MachineTypeExists(ctx, g.Zone, name)
	if err != nil {
		return fmt.Errorf("get machine type %s of $.gcp.zone %s: %w", name, g.Zone, err)
	}
	if exists {
		return nil
	}
	names, err := network.ListMachineTypes(ctx, g.Zone)
	if err != nil {
		return fmt.Errorf("list the machine types of $.gcp.zone %s: %w", g.Zone, err)
	}
	return cloudresource.InvalidField("$.gcp.machine_type",
		"$.gcp.machine_type %s is not a machine type of zone %s; set $.gcp.machine_type to one of its types, such as %s, or remove it to use %s",
		g.MachineType, g.Zone, cloudresource.ClosestNames(names, name, request.DefaultGCPMachineType+" (the zone lists none)"), request.DefaultGCPMachineType)
}
