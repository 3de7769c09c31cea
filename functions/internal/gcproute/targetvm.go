package gcproute

import (
	"context"
	"fmt"

	"github.com/repolink/repolink/functions/internal/cloudresource"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
)

// CheckTargetVMGroups returns an InvalidRequest naming $.gcp.target_address
// when inst, the repository VM of a proxy none request, is a member of
// another request's instance group. Compute Engine lets a VM be a member
// of at most one load-balanced instance group and rejects the backend
// service of the second with instanceInMultipleLoadBalancedIgs, after the
// group exists, so the check runs before the group is built.
//
// NOTE: a group that repolink did not create is not checked, because it
// matters only when it is a backend of a load balancer, and the check
// does not read backend services.
func CheckTargetVMGroups(ctx context.Context, network cloud.GCPNetwork, req request.Request, inst *cloud.GCPInstance) error {
	g := req.GCP
	groups, err := network.ListInstanceGroups(ctx, g.Zone)
	if err != nil {
		return fmt.Errorf("list the instance groups in $.gcp.zone %s: %w", g.Zone, err)
	}
	own := NamesFor(req).InstanceGroup
	for _, group := range groups {
		owner := group.Tags[cloud.TagRequest]
		if group.Name == own || owner == "" || owner == req.ID {
			continue
		}
		for _, member := range group.Instances {
			if !SamePath(member, inst.Path) {
				continue
			}
			return cloudresource.InvalidField("$.gcp.target_address",
				"$.gcp.target_address %s is VM %s, which is already in instance group %s of request %s, and Compute Engine lets a VM be in only one load-balanced instance group; "+
					"tear down request %s first, or set $.gcp.proxy to nginx with $.gcp.upstream the repository's address and remove $.gcp.target_address, so that this request's own proxy VM stands in front of the repository",
				g.TargetAddress, inst.Path, group.Path, owner, owner)
		}
	}
	return nil
}
