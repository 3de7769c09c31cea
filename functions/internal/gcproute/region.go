package gcproute

import (
	"cmp"
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
			g.Region, g.Project, closest(names, g.Region))
	}
	zones := regions[i].Zones
	if !slices.Contains(zones, g.Zone) {
		return cloudresource.InvalidField("$.gcp.zone", "$.gcp.zone %s is not a zone of region %s; set $.gcp.zone to one of its zones: %s",
			g.Zone, g.Region, strings.Join(zones, ", "))
	}
	return nil
}

// closest returns up to three names with the smallest edit distance to
// name, so that a misspelt name is shown next to the one meant.
func closest(names []string, name string) string {
	const count = 3
	if len(names) == 0 {
		return "us-central1 (the project lists none)"
	}
	sorted := slices.Clone(names)
	slices.SortStableFunc(sorted, func(a, b string) int {
		return cmp.Compare(editDistance(a, name), editDistance(b, name))
	})
	return strings.Join(sorted[:min(count, len(sorted))], ", ")
}

// editDistance returns the Levenshtein distance between a and b in bytes,
// which suffices for region names of ASCII letters, digits and hyphens.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			substitution := previous[j-1]
			if a[i-1] != b[j-1] {
				substitution++
			}
			current[j] = min(previous[j]+1, current[j-1]+1, substitution)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}
