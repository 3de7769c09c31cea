package gcp

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/repolink/repolink/shared/cloud"
)

// ListRegions returns the project's Compute Engine regions (Regions: list),
// each with the names of its zones, which the region lists as links.
func (n *Network) ListRegions(ctx context.Context) ([]cloud.GCPRegion, error) {
	ctx, cancel := n.p.call(ctx)
	defer cancel()
	var out []cloud.GCPRegion
	for region, err := range n.p.regions.List(ctx, &computepb.ListRegionsRequest{Project: n.project}).All() {
		if err != nil {
			return nil, classify(err, n.project, "list regions")
		}
		found := cloud.GCPRegion{Name: region.GetName(), Status: region.GetStatus()}
		for _, zone := range region.GetZones() {
			found.Zones = append(found.Zones, lastSegment(zone))
		}
		out = append(out, found)
	}
	return out, nil
}
