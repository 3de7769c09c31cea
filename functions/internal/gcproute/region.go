package gcproute

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
)

// CheckRegion returns an InvalidRequest naming $.gcp.region when the
// project's list of Compute Engine regions lacks gcp.region, and one
// naming $.gcp.zone when the region lists no zone gcp.zone. The request
// check at load tests only the form of both, so a misspelt region would
// otherwise fail at the first resource that the run creates there, or be
// built in a region that does not exist in the sandbox.
func CheckRegion(ctx context.Context, network cloud.GCPNetwork, g request.GCP) error {
	regions, err := network.ListRegions(ctx)
	if err != nil {
		return fmt.Errorf("list the Compute Engine regions of $.gcp.project %s: %w", g.Project, err)
	}
	i := slices.IndexFunc(regions, func(r cloud.GCPRegion) bool { return r.Name == g.Region })
	if i < 0 {
		names := make([]string, 0, len(regions))
		for _, r := range regions {
			names = append(names, r.Name)
		}
		return cloudresource.InvalidField("$.gcp.region", "$.gcp.region %s is not a Compute Engine region of project %s; set $.gcp.region to one of its regions, such as %s, and $.gcp.zone to a zone of that region",
			g.Region, g.Project, cloudresource.ClosestNames(names, g.Region, "us-central1 (the project lists none)"))
	}
	zones := regions[i].Zones
	if !slices.Contains(zones, g.Zone) {
		return cloudresource.InvalidField("$.gcp.zone", "$.gcp.zone %s is not a zone of region %s; set $.gcp.zone to one of its zones: %s",
			g.Zone, g.Region, strings.Join(zones, ", "))
	}
	return nil
}

// ZoneListed reports whether the project lists gcp.zone as a zone of
// gcp.region. The checks that read a zone's resources skip a zone that is
// not listed, because CheckRegion reports that zone with its fix.
func ZoneListed(ctx context.Context, network cloud.GCPNetwork, g request.GCP) (bool, error) {
	regions, err := network.ListRegions(ctx)
	if err != nil {
		return false, fmt.Errorf("list the Compute Engine regions of $.gcp.project %s: %w", g.Project, err)
	}
	i := slices.IndexFunc(regions, func(r cloud.GCPRegion) bool { return r.Name == g.Region })
	return i >= 0 && slices.Contains(regions[i].Zones, g.Zone), nil
}
