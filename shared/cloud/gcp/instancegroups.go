package gcp

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/repolink/repolink/shared/cloud"
)

// ListInstanceGroups returns every unmanaged instance group in zone with
// its members, also those that repolink did not create.
func (n *Network) ListInstanceGroups(ctx context.Context, zone string) ([]cloud.GCPInstanceGroup, error) {
	var names []string
	listCtx, cancel := n.p.call(ctx)
	for group, err := range n.p.instanceGroups.List(listCtx, &computepb.ListInstanceGroupsRequest{Project: n.project, Zone: zone}).All() {
		if err != nil {
			cancel()
			return nil, classify(err, n.project, "list instance groups in %s", zone)
		}
		names = append(names, group.GetName())
	}
	cancel()

	out := make([]cloud.GCPInstanceGroup, 0, len(names))
	for _, name := range names {
		group, err := n.FindInstanceGroup(ctx, zone, name)
		if err != nil {
			return nil, err
		}
		// A group deleted since the list is no longer anyone's backend.
		if group != nil {
			out = append(out, *group)
		}
	}
	return out, nil
}
