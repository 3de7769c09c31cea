package gcpsim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// namePattern is Compute Engine's resource name rule (RFC 1035).
var namePattern = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

func checkName(name string) *apiError {
	if !namePattern.MatchString(name) {
		return invalid("Invalid value for field 'resource.name': '%s'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'", name)
	}
	return nil
}

func alreadyExists(path string) *apiError {
	return errorf(http.StatusConflict, "alreadyExists", "The resource '%s' already exists", path)
}

func timestamp(t time.Time) string { return t.Format("2006-01-02T15:04:05.000-07:00") }

// --- networks and subnetworks ---

func (s *Server) getNetwork(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.world.Networks[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	var subnets []string
	for _, key := range sortedKeys(s.world.Subnetworks) {
		if s.world.Subnetworks[key].Network == c.path() {
			subnets = append(subnets, link(key))
		}
	}
	return map[string]any{
		"kind": "compute#network", "id": fmt.Sprint(n.ID), "name": n.Name, "selfLink": link(c.path()),
		"autoCreateSubnetworks": false, "subnetworks": subnets, "creationTimestamp": timestamp(n.CreatedAt),
	}, nil
}

var subnetPurposes = []string{"PRIVATE", "PRIVATE_SERVICE_CONNECT", "REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY", "PRIVATE_NAT", "INTERNAL_HTTPS_LOAD_BALANCER"}

func (s *Server) insertSubnetwork(c call) (any, *apiError) {
	var in struct {
		Name        string
		Description string
		Network     string
		IPCidrRange string
		Purpose     string
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if in.Purpose == "" {
		in.Purpose = "PRIVATE"
	}
	if !slices.Contains(subnetPurposes, in.Purpose) {
		return nil, invalid("Invalid value for field 'resource.purpose': '%s'", in.Purpose)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + c.project + "/" + c.scope + "/subnetworks/" + in.Name
	if _, ok := s.world.Subnetworks[path]; ok {
		return nil, alreadyExists(path)
	}
	network := canonical(c.project, in.Network)
	if _, ok := s.world.Networks[network]; !ok {
		return nil, invalid("Invalid value for field 'resource.network': '%s'. The referenced network resource cannot be found.", in.Network)
	}
	if _, _, err := net.ParseCIDR(in.IPCidrRange); err != nil {
		return nil, invalid("Invalid value for field 'resource.ipCidrRange': '%s'. Invalid IPCidrRange.", in.IPCidrRange)
	}
	for _, key := range sortedKeys(s.world.Subnetworks) {
		other := s.world.Subnetworks[key]
		if other.Network == network && cidrOverlaps(other.IPCIDRRange, in.IPCidrRange) {
			return nil, invalid("Invalid IPCidrRange: %s conflicts with existing subnetwork '%s' in region '%s'.", in.IPCidrRange, other.Name, other.Region)
		}
	}
	sub := &Subnetwork{
		Meta:    Meta{ID: s.world.newID(), Name: in.Name, Description: in.Description, CreatedAt: s.now()},
		Project: c.project, Region: c.region(), Network: network, IPCIDRRange: in.IPCidrRange, Purpose: in.Purpose,
	}
	s.world.Subnetworks[path] = sub
	op := s.newOperation(c, "insert", path, sub.ID)
	return op, s.commit()
}

func (s *Server) getSubnetwork(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.world.Subnetworks[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	return map[string]any{
		"kind": "compute#subnetwork", "id": fmt.Sprint(sub.ID), "name": sub.Name, "description": sub.Description,
		"selfLink": link(c.path()), "region": link("projects/" + sub.Project + "/regions/" + sub.Region),
		"network": link(sub.Network), "ipCidrRange": sub.IPCIDRRange, "purpose": sub.Purpose,
		"gatewayAddress": firstHost(sub.IPCIDRRange), "creationTimestamp": timestamp(sub.CreatedAt),
	}, nil
}

func firstHost(cidr string) string {
	ip, _, err := net.ParseCIDR(cidr)
	if err != nil || ip.To4() == nil {
		return ""
	}
	v4 := ip.To4()
	return net.IPv4(v4[0], v4[1], v4[2], v4[3]+1).String()
}

// allocate takes a free address of the subnet, or want when it is free and
// inside the subnet. Callers hold s.mu.
func (s *Server) allocate(sub *Subnetwork, want string) (string, *apiError) {
	if want != "" {
		if !slices.Contains(usableHosts(sub.IPCIDRRange), want) {
			return "", invalid("Requested internal IP address '%s' is not in the range %s of subnetwork '%s'.", want, sub.IPCIDRRange, sub.Name)
		}
		if slices.Contains(sub.Allocated, want) {
			return "", invalid("IP '%s' is already being used by another resource.", want)
		}
		sub.Allocated = append(sub.Allocated, want)
		return want, nil
	}
	for _, ip := range usableHosts(sub.IPCIDRRange) {
		if !slices.Contains(sub.Allocated, ip) {
			sub.Allocated = append(sub.Allocated, ip)
			return ip, nil
		}
	}
	return "", errorf(http.StatusBadRequest, "ipSpaceExhausted", "IP space of '%s' is exhausted", sub.Name)
}

// release frees an address of the subnet at path. Callers hold s.mu.
func (s *Server) release(path, ip string) {
	if sub, ok := s.world.Subnetworks[path]; ok {
		sub.Allocated = slices.DeleteFunc(sub.Allocated, func(a string) bool { return a == ip })
	}
}

// subnetFor checks that ref names a subnet of the region that VMs and
// forwarding rules can use, in network when that is set.
func (s *Server) subnetFor(project, region, ref, network, field string) (*Subnetwork, string, *apiError) {
	if ref == "" {
		return nil, "", invalid("Invalid value for field '%s': ''. A subnetwork must be specified because the network is in custom subnet mode.", field)
	}
	path := canonical(project, ref)
	sub, ok := s.world.Subnetworks[path]
	if !ok {
		return nil, "", invalid("Invalid value for field '%s': '%s'. The referenced subnetwork resource cannot be found.", field, ref)
	}
	if sub.Region != region {
		return nil, "", invalid("Invalid value for field '%s': '%s'. The subnetwork is in region %s, not %s.", field, ref, sub.Region, region)
	}
	if sub.Purpose != "PRIVATE" {
		return nil, "", invalid("Invalid value for field '%s': '%s'. Subnetworks with purpose %s cannot be used here.", field, ref, sub.Purpose)
	}
	if network != "" && canonical(project, network) != sub.Network {
		return nil, "", invalid("Invalid value for field '%s': '%s'. The subnetwork belongs to network %s, not %s.", field, ref, sub.Network, network)
	}
	return sub, path, nil
}

// --- instances ---

type instanceInput struct {
	Name        string
	Description string
	MachineType string
	Disks       []struct {
		Boot             bool
		InitializeParams struct{ SourceImage string }
	}
	NetworkInterfaces []struct {
		Network    string
		Subnetwork string
		NetworkIP  string
	}
	Metadata struct {
		Items []struct {
			Key   string
			Value string
		}
	}
	Tags   struct{ Items []string }
	Labels map[string]string
}

func (s *Server) insertInstance(ctx context.Context, c call) (any, *apiError) {
	var in instanceInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if in.MachineType == "" {
		return nil, invalid("Invalid value for field 'resource.machineType': ''. Machine type must be specified.")
	}
	var image string
	for _, d := range in.Disks {
		if d.Boot {
			image = d.InitializeParams.SourceImage
		}
	}
	if image == "" {
		return nil, invalid("Invalid value for field 'resource.disks': ''. Boot disk must be specified.")
	}
	if err := checkMachineType(c.project, c.zone(), in.MachineType); err != nil {
		return nil, err
	}
	if err := checkImage(c.project, image); err != nil {
		return nil, err
	}
	if len(in.NetworkInterfaces) == 0 {
		return nil, invalid("Invalid value for field 'resource.networkInterfaces': ''. At least one network interface is required.")
	}
	var script string
	for _, item := range in.Metadata.Items {
		if item.Key == "startup-script" {
			script = item.Value
		}
	}

	s.mu.Lock()
	if op := s.replayed(c); op != nil {
		s.mu.Unlock()
		return op, nil
	}
	path := "projects/" + c.project + "/zones/" + c.zone() + "/instances/" + in.Name
	if _, ok := s.world.Instances[path]; ok {
		s.mu.Unlock()
		return nil, alreadyExists(path)
	}
	nic := in.NetworkInterfaces[0]
	sub, subPath, apiErr := s.subnetFor(c.project, regionOfZone(c.zone()), nic.Subnetwork, nic.Network, "resource.networkInterfaces[0].subnetwork")
	if apiErr != nil {
		s.mu.Unlock()
		return nil, apiErr
	}
	ip, apiErr := s.allocate(sub, nic.NetworkIP)
	if apiErr != nil {
		s.mu.Unlock()
		return nil, apiErr
	}
	inst := &Instance{
		Meta:    Meta{ID: s.world.newID(), Name: in.Name, Description: in.Description, CreatedAt: s.now()},
		Project: c.project, Zone: c.zone(), MachineType: in.MachineType, SourceImage: image,
		Network: sub.Network, Subnetwork: subPath, NetworkIP: ip, NetworkTags: in.Tags.Items,
		Labels: in.Labels, StartupScript: script,
	}
	s.world.Instances[path] = inst
	op := s.newOperation(c, "insert", path, inst.ID)
	if err := s.commit(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Unlock()

	// As on Compute Engine, an accepted insert boots the instance even when
	// the client disconnects before the response. A retry replays the
	// operation of its requestId or finds the name taken, and neither
	// launches again. The launcher bounds the start itself.
	if script != "" {
		s.launch(context.WithoutCancel(ctx), inst.ID, script)
	}
	return op, nil
}

// instanceStatus computes an instance's status at now: PROVISIONING, then
// STAGING, then RUNNING after the running delay. Seeded instances run from
// the start.
func (s *Server) instanceStatus(inst *Instance, now time.Time) string {
	delay := s.opts.Delays.InstanceRunning
	switch {
	case inst.Seeded || !now.Before(inst.CreatedAt.Add(delay)):
		return "RUNNING"
	case now.Before(inst.CreatedAt.Add(delay / 2)):
		return "PROVISIONING"
	}
	return "STAGING"
}

// runningAt returns when the instance turns RUNNING.
func (s *Server) runningAt(inst *Instance) time.Time {
	if inst.Seeded {
		return inst.CreatedAt
	}
	return inst.CreatedAt.Add(s.opts.Delays.InstanceRunning)
}

func (s *Server) renderInstance(path string, inst *Instance, now time.Time) map[string]any {
	out := map[string]any{
		"kind": "compute#instance", "id": fmt.Sprint(inst.ID), "name": inst.Name, "description": inst.Description,
		"selfLink": link(path), "zone": link("projects/" + inst.Project + "/zones/" + inst.Zone),
		"machineType": link(canonical(inst.Project, inst.MachineType)), "status": s.instanceStatus(inst, now),
		"creationTimestamp": timestamp(inst.CreatedAt),
		"networkInterfaces": []map[string]any{{
			"name": "nic0", "network": link(inst.Network), "subnetwork": link(inst.Subnetwork), "networkIP": inst.NetworkIP,
		}},
		"tags":   map[string]any{"items": inst.NetworkTags, "fingerprint": "42WmSpB8rSM="},
		"labels": inst.Labels,
	}
	if inst.StartupScript != "" {
		out["metadata"] = map[string]any{"kind": "compute#metadata", "items": []map[string]string{{"key": "startup-script", "value": inst.StartupScript}}}
	}
	return out
}

func (s *Server) getInstance(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, ok := s.world.Instances[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	return s.renderInstance(c.path(), inst, s.now()), nil
}

func (s *Server) listInstances(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := "projects/" + c.project + "/" + c.scope + "/instances/"
	keep := underPrefix(s.world.Instances, prefix)
	keys, next, apiErr := page(c, mapKeys(keep), func(string) bool { return true }, s.opts.PageSize)
	if apiErr != nil {
		return nil, apiErr
	}
	now := s.now()
	items := make([]map[string]any, 0, len(keys))
	for _, key := range keys {
		items = append(items, s.renderInstance(key, keep[key], now))
	}
	out := map[string]any{"kind": "compute#instanceList", "items": items, "selfLink": link(strings.TrimSuffix(prefix, "/"))}
	if next != "" {
		out["nextPageToken"] = next
	}
	return out, nil
}

// underPrefix returns the entries of m whose keys start with prefix.
func underPrefix[T any](m map[string]T, prefix string) map[string]T {
	out := map[string]T{}
	for key, value := range m {
		if strings.HasPrefix(key, prefix) {
			out[key] = value
		}
	}
	return out
}

// mapKeys returns a map from each key to itself, so that page can return
// keys.
func mapKeys[T any](m map[string]T) map[string]string {
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = k
	}
	return out
}

func (s *Server) deleteInstance(c call) (any, *apiError) {
	s.mu.Lock()
	path := c.path()
	inst, ok := s.world.Instances[path]
	if !ok {
		s.mu.Unlock()
		return nil, notFound(path)
	}
	delete(s.world.Instances, path)
	s.release(inst.Subnetwork, inst.NetworkIP)
	for _, group := range s.world.InstanceGroups {
		group.Members = slices.DeleteFunc(group.Members, func(m Member) bool { return m.Instance == path })
	}
	op := s.newOperation(c, "delete", path, inst.ID)
	err := s.commit()
	s.mu.Unlock()
	s.removeVM(inst.ID)
	return op, err
}

// --- instance groups ---

func (s *Server) insertInstanceGroup(c call) (any, *apiError) {
	var in struct {
		Name        string
		Description string
		Network     string
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + c.project + "/zones/" + c.zone() + "/instanceGroups/" + in.Name
	if _, ok := s.world.InstanceGroups[path]; ok {
		return nil, alreadyExists(path)
	}
	network := canonical(c.project, in.Network)
	if network != "" {
		if _, ok := s.world.Networks[network]; !ok {
			return nil, invalid("Invalid value for field 'resource.network': '%s'. The referenced network resource cannot be found.", in.Network)
		}
	}
	group := &InstanceGroup{
		Meta:    Meta{ID: s.world.newID(), Name: in.Name, Description: in.Description, CreatedAt: s.now()},
		Project: c.project, Zone: c.zone(), Network: network,
	}
	s.world.InstanceGroups[path] = group
	op := s.newOperation(c, "compute.instanceGroups.insert", path, group.ID)
	return op, s.commit()
}

func (s *Server) getInstanceGroup(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	group, ok := s.world.InstanceGroups[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	return renderInstanceGroup(c.path(), group), nil
}

func (s *Server) addInstances(c call) (any, *apiError) {
	var in struct {
		Instances []struct{ Instance string }
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	group, ok := s.world.InstanceGroups[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	if len(in.Instances) == 0 {
		return nil, invalid("Invalid value for field 'request.instances': ''. At least one instance is required.")
	}
	now := s.now()
	var added []Member
	for _, ref := range in.Instances {
		path := canonical(c.project, ref.Instance)
		inst, ok := s.world.Instances[path]
		if !ok {
			return nil, invalid("Invalid value for field 'request.instances': '%s'. The referenced instance resource cannot be found.", ref.Instance)
		}
		if inst.Zone != group.Zone {
			return nil, invalid("Instance '%s' is in zone %s, but instance group '%s' is in zone %s.", inst.Name, inst.Zone, group.Name, group.Zone)
		}
		if group.Network != "" && inst.Network != group.Network {
			return nil, invalid("Instance '%s' is in network %s, but instance group '%s' uses network %s.", inst.Name, inst.Network, group.Name, group.Network)
		}
		if slices.ContainsFunc(group.Members, func(m Member) bool { return m.Instance == path }) {
			return nil, errorf(http.StatusBadRequest, "memberAlreadyExists", "The resource '%s' is already a member of '%s'", path, c.path())
		}
		added = append(added, Member{Instance: path, AddedAt: now})
		if group.Network == "" {
			group.Network = inst.Network
		}
	}
	if s.balancedGroups()[c.path()] {
		if apiErr := s.checkBalancedMembers([]string{c.path()}, c.path(), added); apiErr != nil {
			return nil, apiErr
		}
	}
	group.Members = append(group.Members, added...)
	op := s.newOperation(c, "compute.instanceGroups.addInstances", c.path(), group.ID)
	return op, s.commit()
}

func (s *Server) listGroupInstances(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	group, ok := s.world.InstanceGroups[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	now := s.now()
	items := []map[string]any{}
	for _, m := range group.Members {
		status := "TERMINATED"
		if inst, ok := s.world.Instances[m.Instance]; ok {
			status = s.instanceStatus(inst, now)
		}
		items = append(items, map[string]any{"instance": link(m.Instance), "status": status})
	}
	return map[string]any{"kind": "compute#instanceGroupsListInstances", "items": items}, nil
}

// --- health checks ---

func (s *Server) insertHealthCheck(c call) (any, *apiError) {
	var in struct {
		Name               string
		Description        string
		Type               string
		TCPHealthCheck     *struct{ Port int }
		HTTPHealthCheck    *struct{ Port int }
		CheckIntervalSec   int
		TimeoutSec         int
		HealthyThreshold   int
		UnhealthyThreshold int
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	hc := &HealthCheck{
		Project: c.project, Region: c.region(), Type: in.Type,
		CheckIntervalSec: orInt(in.CheckIntervalSec, 5), TimeoutSec: orInt(in.TimeoutSec, 5),
		HealthyThreshold: orInt(in.HealthyThreshold, 2), UnhealthyThreshold: orInt(in.UnhealthyThreshold, 2),
	}
	switch in.Type {
	case "TCP":
		hc.Port = 80
		if in.TCPHealthCheck != nil {
			hc.Port = orInt(in.TCPHealthCheck.Port, 80)
		}
	case "HTTP":
		hc.Port = 80
		if in.HTTPHealthCheck != nil {
			hc.Port = orInt(in.HTTPHealthCheck.Port, 80)
		}
	default:
		return nil, invalid("Invalid value for field 'resource.type': '%s'. The sandbox serves TCP and HTTP health checks.", in.Type)
	}
	if hc.TimeoutSec > hc.CheckIntervalSec {
		return nil, invalid("Invalid value for field 'resource.timeoutSec': %d. TimeoutSec should be less than or equal to checkIntervalSec.", hc.TimeoutSec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + c.project + "/" + c.scope + "/healthChecks/" + in.Name
	if _, ok := s.world.HealthChecks[path]; ok {
		return nil, alreadyExists(path)
	}
	hc.Meta = Meta{ID: s.world.newID(), Name: in.Name, Description: in.Description, CreatedAt: s.now()}
	s.world.HealthChecks[path] = hc
	op := s.newOperation(c, "insert", path, hc.ID)
	return op, s.commit()
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func (s *Server) getHealthCheck(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hc, ok := s.world.HealthChecks[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	out := map[string]any{
		"kind": "compute#healthCheck", "id": fmt.Sprint(hc.ID), "name": hc.Name, "description": hc.Description,
		"selfLink": link(c.path()), "region": link("projects/" + hc.Project + "/regions/" + hc.Region), "type": hc.Type,
		"checkIntervalSec": hc.CheckIntervalSec, "timeoutSec": hc.TimeoutSec,
		"healthyThreshold": hc.HealthyThreshold, "unhealthyThreshold": hc.UnhealthyThreshold,
		"creationTimestamp": timestamp(hc.CreatedAt),
	}
	switch hc.Type {
	case "TCP":
		out["tcpHealthCheck"] = map[string]any{"port": hc.Port, "proxyHeader": "NONE"}
	case "HTTP":
		out["httpHealthCheck"] = map[string]any{"port": hc.Port, "requestPath": "/"}
	}
	return out, nil
}

// --- backend services ---

func (s *Server) insertBackendService(c call) (any, *apiError) {
	var in struct {
		Name                string
		Description         string
		LoadBalancingScheme string
		Protocol            string
		Network             string
		HealthChecks        []string
		Backends            []struct{ Group, BalancingMode string }
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if in.LoadBalancingScheme != "INTERNAL" {
		return nil, invalid("Invalid value for field 'resource.loadBalancingScheme': '%s'. The sandbox serves INTERNAL backend services.", in.LoadBalancingScheme)
	}
	if in.Protocol != "TCP" && in.Protocol != "UDP" && in.Protocol != "UNSPECIFIED" {
		return nil, invalid("Invalid value for field 'resource.protocol': '%s'. Internal passthrough load balancers support TCP, UDP or UNSPECIFIED.", in.Protocol)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + c.project + "/" + c.scope + "/backendServices/" + in.Name
	if _, ok := s.world.BackendServices[path]; ok {
		return nil, alreadyExists(path)
	}
	bs := &BackendService{Project: c.project, Region: c.region(), LoadBalancingScheme: in.LoadBalancingScheme, Protocol: in.Protocol, Network: canonical(c.project, in.Network)}
	if len(in.HealthChecks) != 1 {
		return nil, invalid("Invalid value for field 'resource.healthChecks': %d health checks. Internal backend services need exactly one.", len(in.HealthChecks))
	}
	for _, ref := range in.HealthChecks {
		hc := canonical(c.project, ref)
		if _, ok := s.world.HealthChecks[hc]; !ok {
			return nil, invalid("Invalid value for field 'resource.healthChecks[0]': '%s'. The referenced health check resource cannot be found.", ref)
		}
		bs.HealthChecks = append(bs.HealthChecks, hc)
	}
	for i, b := range in.Backends {
		group := canonical(c.project, b.Group)
		g, ok := s.world.InstanceGroups[group]
		if !ok {
			return nil, invalid("Invalid value for field 'resource.backends[%d].group': '%s'. The referenced instance group cannot be found.", i, b.Group)
		}
		if regionOfZone(g.Zone) != c.region() {
			return nil, invalid("Invalid value for field 'resource.backends[%d].group': '%s'. The instance group is not in region %s.", i, b.Group, c.region())
		}
		if b.BalancingMode != "" && b.BalancingMode != "CONNECTION" {
			return nil, invalid("Invalid value for field 'resource.backends[%d].balancingMode': '%s'. Internal backend services support CONNECTION only.", i, b.BalancingMode)
		}
		bs.Backends = append(bs.Backends, Backend{Group: group, BalancingMode: "CONNECTION"})
	}
	groups := make([]string, 0, len(bs.Backends))
	for _, b := range bs.Backends {
		groups = append(groups, b.Group)
	}
	if apiErr := s.checkBalancedMembers(groups, "", nil); apiErr != nil {
		return nil, apiErr
	}
	bs.Meta = Meta{ID: s.world.newID(), Name: in.Name, Description: in.Description, CreatedAt: s.now()}
	s.world.BackendServices[path] = bs
	op := s.newOperation(c, "insert", path, bs.ID)
	return op, s.commit()
}

func (s *Server) getBackendService(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bs, ok := s.world.BackendServices[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	backends := []map[string]any{}
	for _, b := range bs.Backends {
		backends = append(backends, map[string]any{"group": link(b.Group), "balancingMode": b.BalancingMode})
	}
	out := map[string]any{
		"kind": "compute#backendService", "id": fmt.Sprint(bs.ID), "name": bs.Name, "description": bs.Description,
		"selfLink": link(c.path()), "region": link("projects/" + bs.Project + "/regions/" + bs.Region),
		"loadBalancingScheme": bs.LoadBalancingScheme, "protocol": bs.Protocol,
		"healthChecks": links(bs.HealthChecks), "backends": backends, "creationTimestamp": timestamp(bs.CreatedAt),
	}
	if bs.Network != "" {
		out["network"] = link(bs.Network)
	}
	return out, nil
}

func (s *Server) getHealth(c call) (any, *apiError) {
	var in struct{ Group string }
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	statuses, apiErr := s.backendHealth(c.path(), canonical(c.project, in.Group))
	if apiErr != nil {
		return nil, apiErr
	}
	out := map[string]any{"kind": "compute#backendServiceGroupHealth"}
	if len(statuses) > 0 {
		items := make([]map[string]any, 0, len(statuses))
		for _, st := range statuses {
			items = append(items, map[string]any{"instance": link(st.instance), "ipAddress": st.ip, "port": st.port, "healthState": st.state})
		}
		out["healthStatus"] = items
	}
	return out, nil
}

// --- forwarding rules ---

func (s *Server) insertForwardingRule(c call) (any, *apiError) {
	var in struct {
		Name                string
		Description         string
		IPAddress           string
		IPProtocol          string
		LoadBalancingScheme string
		Ports               []string
		AllPorts            bool
		BackendService      string
		Network             string
		Subnetwork          string
		Labels              map[string]string
	}
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if in.LoadBalancingScheme != "INTERNAL" {
		return nil, invalid("Invalid value for field 'resource.loadBalancingScheme': '%s'. The sandbox serves INTERNAL forwarding rules.", in.LoadBalancingScheme)
	}
	if in.IPProtocol == "" {
		in.IPProtocol = "TCP"
	}
	if len(in.Ports) > 5 || (len(in.Ports) == 0 && !in.AllPorts) {
		return nil, invalid("Invalid value for field 'resource.ports': internal forwarding rules need 1 to 5 ports or allPorts.")
	}
	for _, p := range in.Ports {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, invalid("Invalid value for field 'resource.ports': '%s'.", p)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + c.project + "/" + c.scope + "/forwardingRules/" + in.Name
	if _, ok := s.world.ForwardingRules[path]; ok {
		return nil, alreadyExists(path)
	}
	backend := canonical(c.project, in.BackendService)
	bs, ok := s.world.BackendServices[backend]
	if !ok || bs.Region != c.region() {
		return nil, invalid("Invalid value for field 'resource.backendService': '%s'. The referenced backend service cannot be found in region %s.", in.BackendService, c.region())
	}
	sub, subPath, apiErr := s.subnetFor(c.project, c.region(), in.Subnetwork, in.Network, "resource.subnetwork")
	if apiErr != nil {
		return nil, apiErr
	}
	ip, apiErr := s.allocate(sub, in.IPAddress)
	if apiErr != nil {
		return nil, apiErr
	}
	rule := &ForwardingRule{
		Meta:    Meta{ID: s.world.newID(), Name: in.Name, Description: in.Description, CreatedAt: s.now()},
		Project: c.project, Region: c.region(), IPAddress: ip, IPProtocol: in.IPProtocol,
		LoadBalancingScheme: in.LoadBalancingScheme, Ports: in.Ports, AllPorts: in.AllPorts,
		BackendService: backend, Network: sub.Network, Subnetwork: subPath, Labels: in.Labels,
	}
	s.world.ForwardingRules[path] = rule
	op := s.newOperation(c, "insert", path, rule.ID)
	return op, s.commit()
}

func (s *Server) getForwardingRule(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rule, ok := s.world.ForwardingRules[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	out := map[string]any{
		"kind": "compute#forwardingRule", "id": fmt.Sprint(rule.ID), "name": rule.Name, "description": rule.Description,
		"selfLink": link(c.path()), "region": link("projects/" + rule.Project + "/regions/" + rule.Region),
		"IPAddress": rule.IPAddress, "IPProtocol": rule.IPProtocol, "loadBalancingScheme": rule.LoadBalancingScheme,
		"backendService": link(rule.BackendService), "network": link(rule.Network), "subnetwork": link(rule.Subnetwork),
		"labels": rule.Labels, "creationTimestamp": timestamp(rule.CreatedAt), "networkTier": "PREMIUM",
	}
	if rule.AllPorts {
		out["allPorts"] = true
	} else {
		out["ports"] = rule.Ports
	}
	return out, nil
}
