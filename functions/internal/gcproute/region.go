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

// SkipUnlisted returns a *cloudresource.SkippedError when the project's
// list of Compute Engine regions lacks gcp.region or, with zone true,
// when that region lists no zone gcp.zone. The checks that read the
// resources of a region or zone return it, so that a report does not list
// them as passed without having read anything, because CheckRegion
// reports that field with its fix.
func SkipUnlisted(ctx context.Context, network cloud.GCPNetwork, g request.GCP, zone bool) error {
	regions, err := network.ListRegions(ctx)
	if err != nil {
		return fmt.Errorf("list the Compute Engine regions of $.gcp.project %s: %w", g.Project, err)
	}
	i := slices.IndexFunc(regions, func(r cloud.GCPRegion) bool { return r.Name == g.Region })
	if i < 0 {
		return cloudresource.Skipped("$.gcp.region %s is not a Compute Engine region of project %s, which the gcp_region check reports", g.Region, g.Project)
	}
	if zone && !slices.Contains(regions[i].Zones, g.Zone) {
		return cloudresource.Skipped("$.gcp.zone %s is not a zone of region %s, which the gcp_region check reports", g.Zone, g.Region)
	}
	return nil
}
