package azuresim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
)

// deleteResource deletes a resource at once and responds 200, or 204 when
// it does not exist, as Resource Manager does. It rejects with 400 and an
// in-use code the delete of a resource that another one still uses. Those
// are a subnet with addresses in use, a network interface attached to a
// VM, a load balancer whose frontend a Private Link Service uses or whose
// pools have members, and a Private Link Service with a Pending or
// Approved connection. The codes and messages follow those that Resource
// Manager returns, as public bug reports and the AKS troubleshooting guide
// quote them.
//
// NOTE: InUseLoadBalancerCannotBeDeleted, for pools with members, is the
// sandbox's own code and message, because Resource Manager's response to
// that delete was not observed. How Resource Manager lists several users
// of one subnet was not observed either.
func (s *Server) deleteResource(id, resourceType string) (*response, error) {
	s.mu.Lock()
	res := s.resource(id, resourceType)
	if res == nil {
		s.mu.Unlock()
		return &response{status: http.StatusNoContent}, nil
	}
	if err := s.inUse(res); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	previous := map[string]*Connection{}
	delete(s.world.Resources, key(res.ID))
	if res.Type == typePLS {
		for _, c := range s.connectionsOf(res.ID) {
			previous[key(c.ID)] = c
			delete(s.world.Connections, key(c.ID))
		}
	}
	if err := s.commit(); err != nil {
		s.world.Resources[key(res.ID)] = res
		for k, c := range previous {
			s.world.Connections[k] = c
		}
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Unlock()
	s.log.Info("azuresim resource deleted", "id", res.ID)

	if res.Type == typeVM {
		s.removeVM(res.ID)
	}
	return &response{status: http.StatusOK}, nil
}

// removeVM stops the VM of vmID if this process launched it, and removes
// what the VM wrote in any case, because an earlier process may have
// launched it.
func (s *Server) removeVM(vmID string) {
	s.vmMu.Lock()
	delete(s.addrs, key(vmID))
	s.vmMu.Unlock()
	if s.opts.Launcher == nil {
		return
	}
	if err := s.opts.Launcher.Remove(vmID); err != nil {
		s.log.Error("azuresim vm remove failed", "vm", vmID, "error", err)
	}
}

// inUse returns the error of a delete that res's users block, or nil.
// Callers hold s.mu.
func (s *Server) inUse(res *Resource) error {
	switch res.Type {
	case typeNIC:
		if vm := s.vmOfNIC(res.ID); vm != "" {
			return errorf(http.StatusBadRequest, "NicInUse",
				"Network Interface %s is used by existing resource %s. In order to delete the network interface, it must be dissociated from the resource.", res.ID, vm)
		}
	case typeLB:
		return s.loadBalancerInUse(res)
	case typePLS:
		live := 0
		for _, c := range s.connectionsOf(res.ID) {
			if c.Status == statusPending || c.Status == statusApproved {
				live++
			}
		}
		if live > 0 {
			noun := "connection"
			if live > 1 {
				noun = "connections"
			}
			return errorf(http.StatusBadRequest, "PrivateLinkServiceWithPrivateEndpointConnectionsCannotBeDeleted",
				"Private link service %s cannot be deleted since it has %d private endpoint %s. Please delete all private endpoint connections before deleting the private link service.", res.ID, live, noun)
		}
	case typeSubnet:
		if users := s.subnetUsers(res.ID); len(users) > 0 {
			return errorf(http.StatusBadRequest, "InUseSubnetCannotBeDeleted",
				"Subnet %s is in use by %s and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.",
				res.ID[strings.LastIndex(res.ID, "/")+1:], strings.Join(users, " and "))
		}
	}
	return nil
}

// loadBalancerInUse returns the error of a delete of a load balancer whose
// pools have members or whose frontend a Private Link Service uses, or
// nil. Callers hold s.mu.
func (s *Server) loadBalancerInUse(res *Resource) error {
	lb, err := decode[armnetwork.LoadBalancer](res)
	if err != nil || lb.Properties == nil {
		return err
	}
	for _, pool := range lb.Properties.BackendAddressPools {
		if members := s.poolMembers(str(pool.ID)); len(members) > 0 {
			return errorf(http.StatusBadRequest, "InUseLoadBalancerCannotBeDeleted",
				"Load balancer %s cannot be deleted, because backend pool %s has members: %s.", res.ID, str(pool.Name), strings.Join(members, ", "))
		}
	}
	for _, fe := range lb.Properties.FrontendIPConfigurations {
		if pls := s.linkServiceOfFrontend(str(fe.ID)); pls != "" {
			return errorf(http.StatusBadRequest, "CannotDeleteLoadBalancerWithPrivateLinkService",
				"Cannot delete load balancer %s since it is referenced by private link service %s. Please delete private link service prior to deleting load balancer.", res.ID, pls)
		}
	}
	return nil
}

// linkServiceOfFrontend returns the ID of the Private Link Service that
// uses a load balancer frontend, or "". Callers hold s.mu.
func (s *Server) linkServiceOfFrontend(frontendID string) string {
	for res, pls := range resourcesOfType[armnetwork.PrivateLinkService](s, typePLS) {
		if pls.Properties == nil {
			continue
		}
		for _, fe := range pls.Properties.LoadBalancerFrontendIPConfigurations {
			if fe != nil && key(str(fe.ID)) == key(frontendID) {
				return res.ID
			}
		}
	}
	return ""
}

// subnetUsers returns the IDs of the Private Link Service and network
// interface IP configurations that have an address in the subnet. Callers
// hold s.mu.
func (s *Server) subnetUsers(subnetID string) []string {
	var users []string
	inSubnet := func(ref *armnetwork.Subnet) bool {
		return ref != nil && key(str(ref.ID)) == key(subnetID)
	}
	for res, pls := range resourcesOfType[armnetwork.PrivateLinkService](s, typePLS) {
		if pls.Properties == nil {
			continue
		}
		for _, c := range pls.Properties.IPConfigurations {
			if c != nil && c.Properties != nil && inSubnet(c.Properties.Subnet) {
				users = append(users, res.ID+"/ipConfigurations/"+str(c.Name))
			}
		}
	}
	for res, nic := range resourcesOfType[armnetwork.Interface](s, typeNIC) {
		if nic.Properties == nil {
			continue
		}
		for _, c := range nic.Properties.IPConfigurations {
			if c != nil && c.Properties != nil && inSubnet(c.Properties.Subnet) {
				users = append(users, res.ID+"/ipConfigurations/"+str(c.Name))
			}
		}
	}
	slices.Sort(users)
	return users
}

// Tagged returns the IDs of the resources whose tag name has value, and
// of the Pending or Approved connections on the Private Link Services
// among them, sorted. Tests use it to check what a run left behind.
func (s *Server) Tagged(name, value string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, k := range sortedKeys(s.world.Resources) {
		res := s.world.Resources[k]
		var body struct {
			Tags map[string]string `json:"tags"`
		}
		if err := json.Unmarshal(res.Body, &body); err != nil || body.Tags[name] != value {
			continue
		}
		out = append(out, res.ID)
		for _, c := range s.connectionsOf(res.ID) {
			if c.Status == statusPending || c.Status == statusApproved {
				out = append(out, c.ID+" "+c.Status)
			}
		}
	}
	slices.Sort(out)
	return out
}

// PoolMembers returns the IDs of the NIC IP configurations in backend
// pools whose IDs start with prefix, such as a load balancer's ID or a
// resource group's, sorted.
func (s *Server) PoolMembers(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix = strings.ToLower(prefix)
	var out []string
	for res, nic := range resourcesOfType[armnetwork.Interface](s, typeNIC) {
		if nic.Properties == nil {
			continue
		}
		for _, c := range nic.Properties.IPConfigurations {
			if c == nil || c.Properties == nil {
				continue
			}
			for _, pool := range c.Properties.LoadBalancerBackendAddressPools {
				if id := key(str(pool.ID)); pool != nil && strings.HasPrefix(id, prefix) && strings.Contains(id, "/backendaddresspools/") {
					out = append(out, res.ID+"/ipConfigurations/"+str(c.Name))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}
