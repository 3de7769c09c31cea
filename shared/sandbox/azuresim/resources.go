package azuresim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
)

func to[T any](v T) *T { return &v }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func invalid(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "InvalidParameter", format, args...)
}

func invalidReference(id string) *apiError {
	return errorf(http.StatusBadRequest, "InvalidResourceReference", "Resource %s referenced by the request was not found.", id)
}

// decodeBody decodes a PUT body into an SDK model.
func decodeBody[T any](body []byte) (T, error) {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return v, errorf(http.StatusBadRequest, "InvalidRequestFormat", "Cannot parse the request: %v", err)
	}
	return v, nil
}

// allocateIP returns the next free host address of the subnet. Azure keeps
// the first four addresses of every subnet, so hosts start at .4. Callers
// hold s.mu.
func (s *Server) allocateIP(subnetID string) (string, error) {
	res := s.resource(subnetID, typeSubnet)
	if res == nil {
		return "", invalidReference(subnetID)
	}
	subnet, err := decode[armnetwork.Subnet](res)
	if err != nil {
		return "", err
	}
	prefix, err := netip.ParsePrefix(str(subnet.Properties.AddressPrefix))
	if err != nil {
		return "", invalid("subnet %s has no valid address prefix", subnetID)
	}
	used := s.staticIPs()
	host := max(s.world.NextHost[key(subnetID)], 4)
	for {
		addr := prefix.Masked().Addr()
		for range host {
			addr = addr.Next()
		}
		if !prefix.Contains(addr) {
			return "", errorf(http.StatusBadRequest, "SubnetIsFull", "Subnet %s has no free address.", subnetID)
		}
		host++
		if !used[addr.String()] {
			s.world.NextHost[key(subnetID)] = host
			return addr.String(), nil
		}
	}
}

// addressFor returns the private address that the IP configuration name
// had before an update, found in previous by lower-case name, or a new
// address in the subnet. Callers hold s.mu.
func (s *Server) addressFor(previous map[string]string, name, subnetID string) (string, error) {
	if ip := previous[strings.ToLower(name)]; ip != "" {
		return ip, nil
	}
	return s.allocateIP(subnetID)
}

// staticIPs returns the addresses that network interfaces were given
// statically, which allocation must skip. Callers hold s.mu.
func (s *Server) staticIPs() map[string]bool {
	used := map[string]bool{}
	for _, nic := range resourcesOfType[armnetwork.Interface](s, typeNIC) {
		if nic.Properties == nil {
			continue
		}
		for _, c := range nic.Properties.IPConfigurations {
			if c != nil && c.Properties != nil && c.Properties.PrivateIPAllocationMethod != nil &&
				*c.Properties.PrivateIPAllocationMethod == armnetwork.IPAllocationMethodStatic {
				used[str(c.Properties.PrivateIPAddress)] = true
			}
		}
	}
	return used
}

// prepareSubnet keeps the subnet's address prefix and lets the caller
// change its private link service network policies. Policies may not be
// enabled again while a Private Link Service takes NAT addresses from it.
func (s *Server) prepareSubnet(id string, body []byte, existing *Resource) (any, time.Duration, string, error) {
	vnetID := id[:strings.LastIndex(strings.ToLower(id), "/subnets/")]
	if s.resource(vnetID, typeVNet) == nil {
		return nil, 0, "", notFound(typeVNet, vnetID)
	}
	subnet, err := decodeBody[armnetwork.Subnet](body)
	if err != nil {
		return nil, 0, "", err
	}
	if subnet.Properties == nil || str(subnet.Properties.AddressPrefix) == "" {
		return nil, 0, "", invalid("Subnet %s must have an addressPrefix.", id)
	}
	policy := armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesEnabled
	if p := subnet.Properties.PrivateLinkServiceNetworkPolicies; p != nil {
		policy = *p
	}
	if policy != armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesDisabled && s.subnetHasLinkService(id) {
		return nil, 0, "", errorf(http.StatusBadRequest, "PrivateLinkServiceNetworkPoliciesCannotBeEnabledOnPrivateLinkServiceSubnet",
			"Private link service network policies cannot be enabled on subnet %s, because a private link service uses it.", id)
	}
	stored := armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{
		AddressPrefix:                     subnet.Properties.AddressPrefix,
		PrivateLinkServiceNetworkPolicies: &policy,
		PrivateEndpointNetworkPolicies:    subnet.Properties.PrivateEndpointNetworkPolicies,
		NetworkSecurityGroup:              subnet.Properties.NetworkSecurityGroup,
		RouteTable:                        subnet.Properties.RouteTable,
	}}
	return stored, 0, "", nil
}

// subnetHasLinkService reports whether a Private Link Service takes NAT
// addresses from the subnet. Callers hold s.mu.
func (s *Server) subnetHasLinkService(subnetID string) bool {
	for _, pls := range resourcesOfType[armnetwork.PrivateLinkService](s, typePLS) {
		if pls.Properties == nil {
			continue
		}
		for _, config := range pls.Properties.IPConfigurations {
			if config != nil && config.Properties != nil && config.Properties.Subnet != nil && key(str(config.Properties.Subnet.ID)) == key(subnetID) {
				return true
			}
		}
	}
	return false
}

// prepareNIC checks the subnets and backend pools that the IP
// configurations reference, and gives each configuration its ID and a
// private address. An update keeps the addresses.
func (s *Server) prepareNIC(id string, body []byte, existing *Resource) (any, time.Duration, string, error) {
	nic, err := decodeBody[armnetwork.Interface](body)
	if err != nil {
		return nil, 0, "", err
	}
	if nic.Properties == nil || len(nic.Properties.IPConfigurations) == 0 {
		return nil, 0, "", invalid("Network interface %s must have at least one IP configuration.", id)
	}
	previous := map[string]string{}
	if existing != nil {
		if old, err := decode[armnetwork.Interface](existing); err == nil && old.Properties != nil {
			for _, c := range old.Properties.IPConfigurations {
				if c != nil && c.Properties != nil {
					previous[strings.ToLower(str(c.Name))] = str(c.Properties.PrivateIPAddress)
				}
			}
		}
	}
	for _, config := range nic.Properties.IPConfigurations {
		if config == nil || config.Properties == nil || config.Properties.Subnet == nil || str(config.Name) == "" {
			return nil, 0, "", invalid("Every IP configuration of %s needs a name and a subnet.", id)
		}
		subnetID := str(config.Properties.Subnet.ID)
		if s.resource(subnetID, typeSubnet) == nil {
			return nil, 0, "", invalidReference(subnetID)
		}
		if existing == nil {
			if err := s.checkSubnetRegion(id, str(nic.Location), subnetID); err != nil {
				return nil, 0, "", err
			}
		}
		for _, pool := range config.Properties.LoadBalancerBackendAddressPools {
			if pool == nil || !s.backendPoolExists(str(pool.ID)) {
				return nil, 0, "", invalidReference(str(pool.ID))
			}
			config.Properties.LoadBalancerBackendAddressPools = compactPools(config.Properties.LoadBalancerBackendAddressPools)
		}
		config.ID = to(id + "/ipConfigurations/" + str(config.Name))
		ip, err := s.addressFor(previous, str(config.Name), subnetID)
		if err != nil {
			return nil, 0, "", err
		}
		config.Properties.PrivateIPAddress = to(ip)
		config.Properties.ProvisioningState = nil
	}
	nic.ID, nic.Name, nic.Type, nic.Etag = nil, nil, nil, nil
	nic.Properties.VirtualMachine = nil
	nic.Properties.ProvisioningState = nil
	return nic, 0, "", nil
}

// compactPools keeps one reference per pool ID, so the stored interface
// matches what Resource Manager returns.
func compactPools(pools []*armnetwork.BackendAddressPool) []*armnetwork.BackendAddressPool {
	seen := map[string]bool{}
	var out []*armnetwork.BackendAddressPool
	for _, p := range pools {
		if p == nil || seen[key(str(p.ID))] {
			continue
		}
		seen[key(str(p.ID))] = true
		out = append(out, &armnetwork.BackendAddressPool{ID: p.ID})
	}
	return out
}

// backendPoolExists reports whether a load balancer has the pool. Callers
// hold s.mu.
func (s *Server) backendPoolExists(poolID string) bool {
	i := strings.LastIndex(strings.ToLower(poolID), "/backendaddresspools/")
	if i < 0 {
		return false
	}
	res := s.resource(poolID[:i], typeLB)
	if res == nil {
		return false
	}
	lb, err := decode[armnetwork.LoadBalancer](res)
	if err != nil || lb.Properties == nil {
		return false
	}
	for _, pool := range lb.Properties.BackendAddressPools {
		if pool != nil && key(str(pool.ID)) == key(poolID) {
			return true
		}
	}
	return false
}

// renderNIC adds the VM that the interface is attached to. Callers hold
// s.mu.
func (s *Server) renderNIC(res *Resource, props map[string]any) {
	if vmID := s.vmOfNIC(res.ID); vmID != "" {
		props["virtualMachine"] = map[string]any{"id": vmID}
	}
}

// vmOfNIC returns the ID of the VM whose network profile lists nicID, or
// "". Callers hold s.mu.
func (s *Server) vmOfNIC(nicID string) string {
	for res, vm := range resourcesOfType[armcompute.VirtualMachine](s, typeVM) {
		if vm.Properties == nil || vm.Properties.NetworkProfile == nil {
			continue
		}
		for _, ref := range vm.Properties.NetworkProfile.NetworkInterfaces {
			if ref != nil && key(str(ref.ID)) == key(nicID) {
				return res.ID
			}
		}
	}
	return ""
}

// prepareVM checks the network interfaces and decodes the custom data,
// which must be base64 as Resource Manager requires. Custom data is kept
// out of the stored JSON, because Resource Manager never returns it.
func (s *Server) prepareVM(id string, body []byte, existing *Resource) (any, time.Duration, string, error) {
	vm, err := decodeBody[armcompute.VirtualMachine](body)
	if err != nil {
		return nil, 0, "", err
	}
	props := vm.Properties
	if props == nil || props.NetworkProfile == nil || len(props.NetworkProfile.NetworkInterfaces) == 0 {
		return nil, 0, "", invalid("Virtual machine %s needs a network interface.", id)
	}
	if props.HardwareProfile == nil || props.HardwareProfile.VMSize == nil {
		return nil, 0, "", invalid("Virtual machine %s needs hardwareProfile.vmSize.", id)
	}
	if err := checkVMSizeAndImage(id, props); err != nil {
		return nil, 0, "", err
	}
	for _, ref := range props.NetworkProfile.NetworkInterfaces {
		nicID := str(ref.ID)
		if s.resource(nicID, typeNIC) == nil {
			return nil, 0, "", invalidReference(nicID)
		}
		if owner := s.vmOfNIC(nicID); owner != "" && key(owner) != key(id) {
			return nil, 0, "", errorf(http.StatusBadRequest, "NicInUse", "Network interface %s is used by virtual machine %s.", nicID, owner)
		}
	}
	if err := checkVMLogin(id, vm, existing); err != nil {
		return nil, 0, "", err
	}

	var customData string
	if props.OSProfile != nil && props.OSProfile.CustomData != nil {
		decoded, err := base64.StdEncoding.DecodeString(*props.OSProfile.CustomData)
		if err != nil {
			return nil, 0, "", errorf(http.StatusBadRequest, "InvalidParameter", "Custom data of %s is not valid base64.", id)
		}
		customData = string(decoded)
		props.OSProfile.CustomData = nil
	}
	if existing != nil {
		// Resource Manager does not let an update change custom data.
		customData = existing.CustomData
		return vm, 0, customData, nil
	}
	vm.ID, vm.Name, vm.Type = nil, nil, nil
	props.ProvisioningState = nil
	return vm, s.opts.Delays.VMRunning, customData, nil
}

// prepareLB checks the SKU, gives the children their IDs under the load
// balancer, allocates the frontend addresses and checks that every rule
// references children of this load balancer.
func (s *Server) prepareLB(id string, body []byte, existing *Resource) (any, time.Duration, string, error) {
	lb, err := decodeBody[armnetwork.LoadBalancer](body)
	if err != nil {
		return nil, 0, "", err
	}
	if lb.Properties == nil {
		return nil, 0, "", invalid("Load balancer %s has no properties.", id)
	}
	props := lb.Properties
	previous := map[string]string{}
	if existing != nil {
		if old, err := decode[armnetwork.LoadBalancer](existing); err == nil && old.Properties != nil {
			for _, fe := range old.Properties.FrontendIPConfigurations {
				if fe != nil && fe.Properties != nil {
					previous[strings.ToLower(str(fe.Name))] = str(fe.Properties.PrivateIPAddress)
				}
			}
		}
	}

	children := map[string]bool{}
	for _, fe := range props.FrontendIPConfigurations {
		if fe == nil || fe.Properties == nil || fe.Properties.Subnet == nil {
			return nil, 0, "", invalid("Every frontend IP configuration of %s needs a subnet.", id)
		}
		fe.ID = to(id + "/frontendIPConfigurations/" + str(fe.Name))
		children[key(str(fe.ID))] = true
		if existing == nil {
			if err := s.checkSubnetRegion(id, str(lb.Location), str(fe.Properties.Subnet.ID)); err != nil {
				return nil, 0, "", err
			}
		}
		ip := previous[strings.ToLower(str(fe.Name))]
		if ip == "" {
			if ip, err = s.allocateIP(str(fe.Properties.Subnet.ID)); err != nil {
				return nil, 0, "", err
			}
		}
		fe.Properties.PrivateIPAddress = to(ip)
	}
	for _, pool := range props.BackendAddressPools {
		pool.ID = to(id + "/backendAddressPools/" + str(pool.Name))
		children[key(str(pool.ID))] = true
		if pool.Properties != nil {
			pool.Properties.BackendIPConfigurations = nil
		}
	}
	for _, probe := range props.Probes {
		probe.ID = to(id + "/probes/" + str(probe.Name))
		children[key(str(probe.ID))] = true
	}
	for _, rule := range props.LoadBalancingRules {
		rule.ID = to(id + "/loadBalancingRules/" + str(rule.Name))
		rp := rule.Properties
		if rp == nil {
			return nil, 0, "", invalid("Rule %s has no properties.", str(rule.Name))
		}
		for _, ref := range []*armnetwork.SubResource{rp.FrontendIPConfiguration, rp.BackendAddressPool, rp.Probe} {
			if ref != nil && !children[key(str(ref.ID))] {
				return nil, 0, "", invalidReference(str(ref.ID))
			}
		}
	}
	lb.ID, lb.Name, lb.Type, lb.Etag = nil, nil, nil, nil
	props.ProvisioningState = nil
	delay := time.Duration(0)
	if existing == nil {
		delay = s.opts.Delays.LoadBalancerReady
	}
	return lb, delay, "", nil
}

// renderLB lists each pool's members: the NIC IP configurations that
// reference it. Callers hold s.mu.
func (s *Server) renderLB(res *Resource, props map[string]any) {
	pools, _ := props["backendAddressPools"].([]any)
	for _, p := range pools {
		pool, _ := p.(map[string]any)
		if pool == nil {
			continue
		}
		poolID, _ := pool["id"].(string)
		var members []any
		for _, configID := range s.poolMembers(poolID) {
			members = append(members, map[string]any{"id": configID})
		}
		poolProps, _ := pool["properties"].(map[string]any)
		if poolProps == nil {
			poolProps = map[string]any{}
			pool["properties"] = poolProps
		}
		if members != nil {
			poolProps["backendIPConfigurations"] = members
		}
	}
}

// poolMembers returns the IDs of the NIC IP configurations in a backend
// pool. Callers hold s.mu.
func (s *Server) poolMembers(poolID string) []string {
	var out []string
	for _, nic := range s.nicsInPool(poolID) {
		out = append(out, nic.configID)
	}
	return out
}

// poolMember is a NIC IP configuration in a backend pool.
type poolMember struct {
	nicID    string
	configID string
	ip       string
}

// nicsInPool returns the members of a backend pool. Callers hold s.mu.
func (s *Server) nicsInPool(poolID string) []poolMember {
	var out []poolMember
	for res, nic := range resourcesOfType[armnetwork.Interface](s, typeNIC) {
		if nic.Properties == nil {
			continue
		}
		for _, config := range nic.Properties.IPConfigurations {
			if config == nil || config.Properties == nil {
				continue
			}
			for _, pool := range config.Properties.LoadBalancerBackendAddressPools {
				if pool != nil && key(str(pool.ID)) == key(poolID) {
					out = append(out, poolMember{nicID: res.ID, configID: res.ID + "/ipConfigurations/" + str(config.Name), ip: str(config.Properties.PrivateIPAddress)})
				}
			}
		}
	}
	return out
}

// preparePLS checks the frontends and the NAT subnet the way Resource
// Manager does before it creates a Private Link Service.
func (s *Server) preparePLS(id string, body []byte, existing *Resource) (any, time.Duration, string, error) {
	pls, err := decodeBody[armnetwork.PrivateLinkService](body)
	if err != nil {
		return nil, 0, "", err
	}
	props := pls.Properties
	if props == nil || len(props.LoadBalancerFrontendIPConfigurations) == 0 || len(props.IPConfigurations) == 0 {
		return nil, 0, "", invalid("Private link service %s needs a load balancer frontend IP configuration and an IP configuration.", id)
	}
	for _, fe := range props.LoadBalancerFrontendIPConfigurations {
		if err := s.checkLinkFrontend(str(fe.ID)); err != nil {
			return nil, 0, "", err
		}
	}

	var old armnetwork.PrivateLinkService
	if existing != nil {
		old, _ = decode[armnetwork.PrivateLinkService](existing)
	}
	previous := map[string]string{}
	if old.Properties != nil {
		for _, c := range old.Properties.IPConfigurations {
			if c != nil && c.Properties != nil {
				previous[strings.ToLower(str(c.Name))] = str(c.Properties.PrivateIPAddress)
			}
		}
	}
	for _, config := range props.IPConfigurations {
		if config == nil || config.Properties == nil || config.Properties.Subnet == nil {
			return nil, 0, "", invalid("Every IP configuration of %s needs a subnet.", id)
		}
		subnetID := str(config.Properties.Subnet.ID)
		if err := s.checkNATSubnet(subnetID); err != nil {
			return nil, 0, "", err
		}
		if existing == nil {
			if err := s.checkSubnetRegion(id, str(pls.Location), subnetID); err != nil {
				return nil, 0, "", err
			}
		}
		config.ID = to(id + "/ipConfigurations/" + str(config.Name))
		ip, err := s.addressFor(previous, str(config.Name), subnetID)
		if err != nil {
			return nil, 0, "", err
		}
		config.Properties.PrivateIPAddress = to(ip)
	}

	location := str(pls.Location)
	if location == "" {
		location = defaultLocation
	}
	props.Alias = to(id[strings.LastIndex(id, "/")+1:] + "." + newGUID() + "." + location + ".azure.privatelinkservice")
	if old.Properties != nil && old.Properties.Alias != nil {
		props.Alias = old.Properties.Alias
	}
	pls.ID, pls.Name, pls.Type, pls.Etag = nil, nil, nil, nil
	props.PrivateEndpointConnections = nil
	props.ProvisioningState = nil
	props.NetworkInterfaces = nil
	return pls, 0, "", nil
}

// checkLinkFrontend checks that a frontend exists on a Standard load
// balancer without IP-based backend pools, which cannot serve a Private
// Link Service. Callers hold s.mu.
func (s *Server) checkLinkFrontend(frontendID string) error {
	i := strings.LastIndex(strings.ToLower(frontendID), "/frontendipconfigurations/")
	if i < 0 {
		return invalidReference(frontendID)
	}
	res := s.resource(frontendID[:i], typeLB)
	if res == nil {
		return invalidReference(frontendID)
	}
	lb, err := decode[armnetwork.LoadBalancer](res)
	if err != nil {
		return err
	}
	if lb.SKU == nil || lb.SKU.Name == nil || *lb.SKU.Name != armnetwork.LoadBalancerSKUNameStandard {
		return invalid("Private link services need a Standard load balancer; %s is not Standard.", res.ID)
	}
	found := false
	for _, fe := range lb.Properties.FrontendIPConfigurations {
		found = found || key(str(fe.ID)) == key(frontendID)
	}
	if !found {
		return invalidReference(frontendID)
	}
	for _, pool := range lb.Properties.BackendAddressPools {
		if pool.Properties != nil && len(pool.Properties.LoadBalancerBackendAddresses) > 0 {
			return invalid("Load balancer %s has an IP-based backend pool %s, which cannot serve a private link service.", res.ID, str(pool.Name))
		}
	}
	return nil
}

// checkNATSubnet checks that the subnet exists with private link service
// network policies disabled. Callers hold s.mu.
func (s *Server) checkNATSubnet(subnetID string) error {
	res := s.resource(subnetID, typeSubnet)
	if res == nil {
		return invalidReference(subnetID)
	}
	subnet, err := decode[armnetwork.Subnet](res)
	if err != nil {
		return err
	}
	policy := subnet.Properties.PrivateLinkServiceNetworkPolicies
	if policy == nil || *policy != armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesDisabled {
		return errorf(http.StatusBadRequest, "PrivateLinkServiceCannotBeCreatedInSubnetThatHasNetworkPoliciesEnabled",
			"Private link service cannot be created in subnet %s since it has private link service network policies enabled.", subnetID)
	}
	return nil
}

// renderPLS adds the private endpoint connections. Callers hold s.mu.
func (s *Server) renderPLS(res *Resource, props map[string]any) {
	var conns []any
	for _, c := range s.connectionsOf(res.ID) {
		conns = append(conns, connectionView(c))
	}
	if conns != nil {
		props["privateEndpointConnections"] = conns
	}
}

// renderNSG adds the security rules. Callers hold s.mu.
func (s *Server) renderNSG(res *Resource, props map[string]any) {
	prefix := key(res.ID) + "/securityrules/"
	var rules []any
	for _, k := range sortedKeys(s.world.Resources) {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		view, err := s.render(s.world.Resources[k])
		if err == nil {
			rules = append(rules, view)
		}
	}
	props["securityRules"] = rules
}

// listNICs lists the subscription's network interfaces.
func (s *Server) listNICs(r *http.Request, subscription string) (*response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := key("/subscriptions/" + subscription + "/")
	var views []any
	for _, k := range sortedKeys(s.world.Resources) {
		res := s.world.Resources[k]
		if res.Type != typeNIC || !strings.HasPrefix(k, prefix) {
			continue
		}
		view, err := s.render(res)
		if err != nil {
			return nil, err
		}
		views = append(views, view)
	}
	return s.page(r, views), nil
}

// page returns one page of items with an absolute nextLink when more
// follow, as Resource Manager list calls do.
func (s *Server) page(r *http.Request, items []any) *response {
	if items == nil {
		items = []any{}
	}
	size := s.opts.PageSize
	if size <= 0 || len(items) <= size {
		return ok(map[string]any{"value": items})
	}
	start := 0
	fmt.Sscanf(r.URL.Query().Get("$skipToken"), "%d", &start)
	start = min(max(start, 0), len(items))
	end := min(start+size, len(items))
	out := map[string]any{"value": items[start:end]}
	if end < len(items) {
		q := r.URL.Query()
		q.Set("$skipToken", fmt.Sprint(end))
		out["nextLink"] = s.URL() + r.URL.Path + "?" + q.Encode()
	}
	return ok(out)
}
