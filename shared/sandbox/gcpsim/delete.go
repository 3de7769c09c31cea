package gcpsim

import (
	"net/http"
	"slices"
	"strings"
)

// inUseBy returns the error of a delete that another resource blocks, as
// Compute Engine reports it: HTTP 400 with the reason
// resourceInUseByAnotherResource.
func inUseBy(path, user string) *apiError {
	return errorf(http.StatusBadRequest, "resourceInUseByAnotherResource",
		"The resource '%s' is already being used by '%s'", path, user)
}

// deleteResource deletes a service attachment, forwarding rule, backend
// service, health check, subnetwork or instance group, unless another
// resource still uses it, and returns the delete operation. A service
// attachment is in use while a consumer endpoint that is not deleted,
// rejected or closed is connected to it.
func (s *Server) deleteResource(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := c.path()
	var id uint64
	var user string
	var remove func()

	switch c.collection {
	case "serviceAttachments":
		sa, ok := s.world.ServiceAttachments[path]
		if !ok {
			return nil, notFound(path)
		}
		now := s.now()
		for _, ep := range s.attachmentEndpoints(path) {
			if status, _ := s.endpointStatus(sa, ep, now); status != StatusRejected && status != StatusClosed {
				user = ep.Path
			}
		}
		id, remove = sa.ID, func() { delete(s.world.ServiceAttachments, path) }
	case "forwardingRules":
		rule, ok := s.world.ForwardingRules[path]
		if !ok {
			return nil, notFound(path)
		}
		for _, k := range sortedKeys(s.world.ServiceAttachments) {
			if s.world.ServiceAttachments[k].TargetService == path {
				user = k
			}
		}
		id, remove = rule.ID, func() {
			delete(s.world.ForwardingRules, path)
			s.release(rule.Subnetwork, rule.IPAddress)
		}
	case "backendServices":
		bs, ok := s.world.BackendServices[path]
		if !ok {
			return nil, notFound(path)
		}
		for _, k := range sortedKeys(s.world.ForwardingRules) {
			if s.world.ForwardingRules[k].BackendService == path {
				user = k
			}
		}
		id, remove = bs.ID, func() { delete(s.world.BackendServices, path) }
	case "healthChecks":
		hc, ok := s.world.HealthChecks[path]
		if !ok {
			return nil, notFound(path)
		}
		for _, k := range sortedKeys(s.world.BackendServices) {
			if slices.Contains(s.world.BackendServices[k].HealthChecks, path) {
				user = k
			}
		}
		id, remove = hc.ID, func() { delete(s.world.HealthChecks, path) }
	case "instanceGroups":
		group, ok := s.world.InstanceGroups[path]
		if !ok {
			return nil, notFound(path)
		}
		for _, k := range sortedKeys(s.world.BackendServices) {
			for _, b := range s.world.BackendServices[k].Backends {
				if b.Group == path {
					user = k
				}
			}
		}
		id, remove = group.ID, func() { delete(s.world.InstanceGroups, path) }
	case "subnetworks":
		sub, ok := s.world.Subnetworks[path]
		if !ok {
			return nil, notFound(path)
		}
		for _, k := range sortedKeys(s.world.ServiceAttachments) {
			if slices.Contains(s.world.ServiceAttachments[k].NATSubnets, path) {
				user = k
			}
		}
		if user == "" && len(sub.Allocated) > 0 {
			user = "the addresses " + strings.Join(sub.Allocated, ", ")
		}
		id, remove = sub.ID, func() { delete(s.world.Subnetworks, path) }
	default:
		return nil, notFound(path)
	}

	if user != "" {
		return nil, inUseBy(path, user)
	}
	remove()
	op := s.newOperation(c, "delete", path, id)
	s.log.Info("gcpsim resource deleted", "path", path)
	return op, s.commit()
}

// Tagged returns the paths of the resources whose description contains
// marker, such as the request ID in repolink's tags, and of the live
// consumer endpoints of the service attachments among them, sorted. Tests
// use it to check what a run left behind.
func (s *Server) Tagged(marker string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	add := func(path string, m Meta) {
		if strings.Contains(m.Description, marker) {
			out = append(out, path)
		}
	}

	for k, v := range s.world.Subnetworks {
		add(k, v.Meta)
	}
	for k, v := range s.world.Instances {
		add(k, v.Meta)
	}
	for k, v := range s.world.InstanceGroups {
		add(k, v.Meta)
	}
	for k, v := range s.world.HealthChecks {
		add(k, v.Meta)
	}
	for k, v := range s.world.Firewalls {
		add(k, v.Meta)
	}
	for k, v := range s.world.BackendServices {
		add(k, v.Meta)
	}
	for k, v := range s.world.ForwardingRules {
		add(k, v.Meta)
	}

	now := s.now()
	for k, sa := range s.world.ServiceAttachments {
		if !strings.Contains(sa.Description, marker) {
			continue
		}
		out = append(out, k)
		for _, ep := range s.attachmentEndpoints(k) {
			if status, _ := s.endpointStatus(sa, ep, now); status != StatusRejected && status != StatusClosed {
				out = append(out, ep.Path+" "+status)
			}
		}
	}
	slices.Sort(out)
	return out
}

// HasSubnetwork reports whether the subnet at path exists.
func (s *Server) HasSubnetwork(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.world.Subnetworks[path]
	return ok
}
