package gcp

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
)

// MachineTypeExists gets the machine type. Compute Engine returns 404 when
// zone does not offer it.
func (n *Network) MachineTypeExists(ctx context.Context, zone, name string) (bool, error) {
	machineType, err := get(ctx, n, n.p.machineTypes.Get, &computepb.GetMachineTypeRequest{Project: n.project, Zone: zone, MachineType: name},
		"get machine type %s in %s", name, zone)
	return machineType != nil, err
}

// ListMachineTypes returns the names of the predefined machine types of
// zone.
func (n *Network) ListMachineTypes(ctx context.Context, zone string) ([]string, error) {
	ctx, cancel := n.p.call(ctx)
	defer cancel()
	var out []string
	for machineType, err := range n.p.machineTypes.List(ctx, &computepb.ListMachineTypesRequest{Project: n.project, Zone: zone}).All() {
		if err != nil {
			return nil, classify(err, n.project, "list machine types in %s", zone)
		}
		out = append(out, machineType.GetName())
	}
	return out, nil
}
