package gcpsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Compute Engine lets an instance be a member of at most one instance group
// that is a backend of a backend service. It rejects the backend service
// insert, or the addInstances call on a group that is a backend already,
// with 400 and the reason below (seen in googleapi errors that users
// reported for GKE ingress and Terraform load balancers).
const reasonMultipleBalancedGroups = "instanceInMultipleLoadBalancedIgs"

// balancedGroups returns the paths of the instance groups that are a
// backend of a backend service. The caller holds s.mu.
func (s *Server) balancedGroups() map[string]bool {
	out := map[string]bool{}
	for _, bs := range s.world.BackendServices {
		for _, b := range bs.Backends {
			out[b.Group] = true
		}
	}
	return out
}

// checkBalancedMembers returns the error that Compute Engine returns when an
// instance of a group in groups would be a member of two load-balanced
// groups, once the groups in groups are load-balanced too and group gains
// the instances in added. The caller holds s.mu.
func (s *Server) checkBalancedMembers(groups []string, group string, added []Member) *apiError {
	balanced := s.balancedGroups()
	for _, g := range groups {
		balanced[g] = true
	}
	holders := map[string][]string{}
	for path, g := range s.world.InstanceGroups {
		if !balanced[path] {
			continue
		}
		for _, m := range g.Members {
			holders[m.Instance] = append(holders[m.Instance], path)
		}
		if path == group {
			for _, m := range added {
				holders[m.Instance] = append(holders[m.Instance], path)
			}
		}
	}
	for _, g := range groups {
		members := s.world.InstanceGroups[g].Members
		if g == group {
			members = append(slices.Clone(members), added...)
		}
		for _, m := range members {
			if len(holders[m.Instance]) > 1 {
				return errorf(http.StatusBadRequest, reasonMultipleBalancedGroups,
					"Validation failed for instance '%s': instance may belong to at most one load-balanced instance group.", m.Instance)
			}
		}
	}
	return nil
}

// listInstanceGroups serves instanceGroups.list for one zone. Like Compute
// Engine, it lists no members; instanceGroups.listInstances does.
func (s *Server) listInstanceGroups(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := "projects/" + c.project + "/" + c.scope + "/instanceGroups/"
	keep := underPrefix(s.world.InstanceGroups, prefix)
	keys, next, apiErr := page(c, mapKeys(keep), func(string) bool { return true }, s.opts.PageSize)
	if apiErr != nil {
		return nil, apiErr
	}
	items := make([]map[string]any, 0, len(keys))
	for _, key := range keys {
		items = append(items, renderInstanceGroup(key, keep[key]))
	}
	out := map[string]any{"kind": "compute#instanceGroupList", "items": items, "selfLink": link(strings.TrimSuffix(prefix, "/"))}
	if next != "" {
		out["nextPageToken"] = next
	}
	return out, nil
}

func renderInstanceGroup(path string, group *InstanceGroup) map[string]any {
	return map[string]any{
		"kind": "compute#instanceGroup", "id": fmt.Sprint(group.ID), "name": group.Name, "description": group.Description,
		"selfLink": link(path), "zone": link("projects/" + group.Project + "/zones/" + group.Zone),
		"network": link(group.Network), "size": len(group.Members), "creationTimestamp": timestamp(group.CreatedAt),
	}
}
