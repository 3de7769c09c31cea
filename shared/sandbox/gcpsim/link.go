package gcpsim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Errors of the Private Service Connect consumer side, for errors.Is.
var (
	// ErrNotFound means the service attachment or endpoint does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNotServing means nothing behind the attachment can take a
	// connection: no TCP 443 forwarding rule, no healthy backend, or no
	// firewall rule that lets the NAT subnet reach one.
	ErrNotServing = errors.New("not serving")
)

// Connect creates a consumer endpoint in the consumer project to the
// service attachment serviceID (projects/p/regions/r/serviceAttachments/n)
// and returns the endpoint's path, which is its ID. The endpoint is
// PENDING until the attachment accepts it. The principal is ignored,
// because Private Service Connect admits consumers by project, network or
// endpoint. Connecting again returns the same endpoint unless it was
// deleted.
func (s *Server) Connect(serviceID, principal string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, sa, err := s.attachmentByID(serviceID)
	if err != nil {
		return "", err
	}
	for _, ep := range s.attachmentEndpoints(path) {
		if segment(ep.Path, "projects") == s.opts.ConsumerProject {
			return ep.Path, nil
		}
	}

	now := s.now()
	id := s.world.newID()
	ep := &Endpoint{
		Path:              fmt.Sprintf("projects/%s/regions/%s/forwardingRules/sf-psc-%d", s.opts.ConsumerProject, sa.Region, id),
		ServiceAttachment: path,
		ConsumerNetwork:   "projects/" + s.opts.ConsumerProject + "/global/networks/" + s.opts.ConsumerNetwork,
		PSCConnectionID:   id,
		CreatedAt:         now,
	}
	s.world.Endpoints[ep.Path] = ep
	s.reconcile(path, sa, now)
	if err := s.commit(); err != nil {
		delete(s.world.Endpoints, ep.Path)
		return "", err
	}
	s.log.Info("gcpsim endpoint connected", "service_attachment", path, "endpoint", ep.Path)
	return ep.Path, nil
}

// ConnectionState returns the status of the endpoint as Compute Engine
// lists it on the attachment: PENDING, ACCEPTED, REJECTED, CLOSED or
// NEEDS_ATTENTION. A deleted endpoint reads CLOSED.
func (s *Server) ConnectionState(serviceID, endpointID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, sa, err := s.attachmentByID(serviceID)
	if err != nil {
		return "", err
	}
	ep, ok := s.world.Endpoints[canonical("", endpointID)]
	if !ok || ep.ServiceAttachment != path {
		return "", fmt.Errorf("endpoint %s of %s: %w", endpointID, serviceID, ErrNotFound)
	}
	if ep.Deleted {
		return StatusClosed, nil
	}
	status, _ := s.endpointStatus(sa, ep, s.now())
	return status, nil
}

// Disconnect deletes the consumer endpoint. Deleting it again succeeds.
func (s *Server) Disconnect(serviceID, endpointID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, _, err := s.attachmentByID(serviceID)
	if err != nil {
		return err
	}
	ep, ok := s.world.Endpoints[canonical("", endpointID)]
	if !ok || ep.ServiceAttachment != path {
		return fmt.Errorf("endpoint %s of %s: %w", endpointID, serviceID, ErrNotFound)
	}
	if ep.Deleted {
		return nil
	}
	ep.Deleted = true
	if err := s.commit(); err != nil {
		ep.Deleted = false
		return err
	}
	return nil
}

// SetEndpointStatus forces the status of a consumer endpoint, as when the
// producer rejects it (REJECTED) or it fails (CLOSED, NEEDS_ATTENTION). An
// empty status goes back to the computed one.
func (s *Server) SetEndpointStatus(endpointID, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, ok := s.world.Endpoints[canonical("", endpointID)]
	if !ok {
		return fmt.Errorf("endpoint %s: %w", endpointID, ErrNotFound)
	}
	ep.Final = status
	if err := s.commit(); err != nil {
		return err
	}
	return nil
}

// Address returns the loopback host:port that a connection to the service
// attachment reaches: its forwarding rule on TCP port 443, the backend
// service behind it, and there a HEALTHY instance that a firewall rule lets
// the attachment's NAT subnet reach on port 443. Health is checked for
// real, by connecting to the VM.
func (s *Server) Address(serviceID string) (string, error) {
	s.mu.Lock()
	_, sa, err := s.attachmentByID(serviceID)
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	rule, ok := s.world.ForwardingRules[sa.TargetService]
	if !ok {
		s.mu.Unlock()
		return "", fmt.Errorf("address of %s: forwarding rule %s is gone: %w", serviceID, sa.TargetService, ErrNotServing)
	}
	if !rule.AllPorts && !slices.Contains(rule.Ports, strconv.Itoa(servedPort)) {
		s.mu.Unlock()
		return "", fmt.Errorf("address of %s: forwarding rule %s does not forward port %d: %w", serviceID, rule.Name, servedPort, ErrNotServing)
	}
	if sa.EnableProxyProtocol {
		s.mu.Unlock()
		return "", fmt.Errorf("address of %s: PROXY protocol is on, so the proxy reads a PROXY header where it expects a TLS ClientHello: %w", serviceID, ErrNotServing)
	}
	bs, ok := s.world.BackendServices[rule.BackendService]
	if !ok {
		s.mu.Unlock()
		return "", fmt.Errorf("address of %s: backend service %s is gone: %w", serviceID, rule.BackendService, ErrNotServing)
	}
	var natRanges []string
	for _, sub := range sa.NATSubnets {
		if subnet, ok := s.world.Subnetworks[sub]; ok {
			natRanges = append(natRanges, subnet.IPCIDRRange)
		}
	}
	bsPath, groups := rule.BackendService, make([]string, 0, len(bs.Backends))
	for _, b := range bs.Backends {
		groups = append(groups, b.Group)
	}
	s.mu.Unlock()

	var reasons []string
	for _, group := range groups {
		statuses, apiErr := s.backendHealth(bsPath, group)
		if apiErr != nil {
			return "", fmt.Errorf("address of %s: %v: %w", serviceID, apiErr, ErrNotServing)
		}
		for _, st := range statuses {
			if st.state != "HEALTHY" {
				reasons = append(reasons, st.instance+" is "+st.state)
				continue
			}
			if !s.natReaches(st.instance, natRanges) {
				reasons = append(reasons, "no firewall rule lets the NAT subnet reach "+st.instance+" on port 443")
				continue
			}
			return st.addr, nil
		}
	}
	return "", fmt.Errorf("address of %s: no reachable healthy backend %v: %w", serviceID, reasons, ErrNotServing)
}

// natReaches reports whether a firewall rule lets every NAT range reach
// port 443 of the instance.
func (s *Server) natReaches(instance string, natRanges []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, ok := s.world.Instances[instance]
	if !ok || len(natRanges) == 0 {
		return false
	}
	for _, r := range natRanges {
		if !s.firewallAllows(inst, r, servedPort) {
			return false
		}
	}
	return true
}

// EnsureNetwork creates the VPC network when it does not exist, as an
// administrator has before repolink runs.
func (s *Server) EnsureNetwork(project, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + project + "/global/networks/" + name
	if _, ok := s.world.Networks[path]; ok {
		return nil
	}
	if !namePattern.MatchString(name) {
		return fmt.Errorf("network name %q is invalid", name)
	}
	s.world.Networks[path] = &Network{Meta: Meta{ID: s.world.newID(), Name: name, CreatedAt: s.now()}, Project: project}
	if err := s.commit(); err != nil {
		return err
	}
	return nil
}

// EnsureSubnetwork creates a subnet of the network when no subnet of that
// name exists in the region. An existing one is left as it is.
func (s *Server) EnsureSubnetwork(project, region, name, network, cidr, purpose string) error {
	body := fmt.Sprintf(`{"name":%q,"network":%q,"ipCidrRange":%q,"purpose":%q}`, name, "global/networks/"+network, cidr, purpose)
	c := call{method: "POST", project: project, scope: "regions/" + region, collection: "subnetworks", name: name, body: []byte(body)}
	s.mu.Lock()
	_, exists := s.world.Subnetworks[c.path()]
	s.mu.Unlock()
	if exists {
		return nil
	}
	c.name = ""
	if _, err := s.insertSubnetwork(c); err != nil {
		return fmt.Errorf("seed subnetwork %s: %w", name, err)
	}
	return nil
}

// EnsureInstance creates a running VM that stands for one the customer
// already runs, such as the repository for proxy none, with the internal
// address ip in the subnet and the network tags. Its port 443 is served
// through Options.ResolveTarget. An existing VM of that name is left as it
// is.
func (s *Server) EnsureInstance(project, zone, name, subnetwork, ip string, networkTags []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + project + "/zones/" + zone + "/instances/" + name
	if _, ok := s.world.Instances[path]; ok {
		return nil
	}
	sub, subPath, apiErr := s.subnetFor(project, regionOfZone(zone), "regions/"+regionOfZone(zone)+"/subnetworks/"+subnetwork, "", "subnetwork")
	if apiErr != nil {
		return fmt.Errorf("seed instance %s: %w", name, apiErr)
	}
	addr, apiErr := s.allocate(sub, ip)
	if apiErr != nil {
		return fmt.Errorf("seed instance %s: %w", name, apiErr)
	}
	s.world.Instances[path] = &Instance{
		Meta:    Meta{ID: s.world.newID(), Name: name, Description: "sandbox VM that stands for an existing server", CreatedAt: s.now()},
		Project: project, Zone: zone, MachineType: "zones/" + zone + "/machineTypes/e2-medium",
		Network: sub.Network, Subnetwork: subPath, NetworkIP: addr, NetworkTags: networkTags, Seeded: true,
	}
	if err := s.commit(); err != nil {
		return err
	}
	return nil
}

// launchKey is the launcher's ID of an instance. The prefix keeps it apart
// from the sandbox AWS's instance IDs in the shared launcher.
func launchKey(id uint64) string { return "gce-" + strconv.FormatUint(id, 10) }

// launch starts the VM of an instance from its startup script and records
// its address. A failed launch leaves the instance running with nothing
// serving, so its health checks fail as they would on a broken VM.
func (s *Server) launch(ctx context.Context, id uint64, script string) {
	if s.opts.Launcher == nil {
		return
	}
	key := launchKey(id)
	addr, err := s.opts.Launcher.Launch(ctx, key, script)
	if err != nil {
		s.log.Error("gcpsim launch failed", "instance", key, "error", err)
		return
	}
	s.vmMu.Lock()
	s.addrs[key] = addr
	s.vmMu.Unlock()
	s.log.Info("gcpsim vm launched", "instance", key, "addr", addr)
}

// relaunch starts the VMs of the instances with a startup script, so a new
// process serves the world that an earlier one built.
func (s *Server) relaunch(ctx context.Context) {
	s.mu.Lock()
	type pending struct {
		id     uint64
		script string
	}
	var todo []pending
	for _, key := range sortedKeys(s.world.Instances) {
		if inst := s.world.Instances[key]; inst.StartupScript != "" {
			todo = append(todo, pending{inst.ID, inst.StartupScript})
		}
	}
	s.mu.Unlock()
	for _, p := range todo {
		s.launch(ctx, p.id, p.script)
	}
}

// removeVM stops the VM of an instance if this process launched it, and
// removes what the VM wrote in any case, because an earlier process may
// have launched it.
func (s *Server) removeVM(id uint64) {
	key := launchKey(id)
	s.vmMu.Lock()
	delete(s.addrs, key)
	s.vmMu.Unlock()
	if s.opts.Launcher == nil {
		return
	}
	if err := s.opts.Launcher.Remove(key); err != nil {
		s.log.Error("gcpsim vm remove failed", "instance", key, "error", err)
	}
}

// stopVMs stops every VM this process launched.
func (s *Server) stopVMs() {
	s.vmMu.Lock()
	keys := sortedKeys(s.addrs)
	s.vmMu.Unlock()
	for _, key := range keys {
		s.vmMu.Lock()
		delete(s.addrs, key)
		s.vmMu.Unlock()
		if s.opts.Launcher != nil {
			if err := s.opts.Launcher.Stop(key); err != nil {
				s.log.Error("gcpsim vm stop failed", "instance", key, "error", err)
			}
		}
	}
}
