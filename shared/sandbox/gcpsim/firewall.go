package gcpsim

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

type firewallInput struct {
	Name         string
	Description  string
	Network      string
	Direction    string
	Priority     *int
	Disabled     *bool
	SourceRanges []string
	SourceTags   []string
	TargetTags   []string
	Allowed      []struct {
		IPProtocol string
		Ports      []string
	}
}

func (in firewallInput) allows() []Allow {
	out := make([]Allow, 0, len(in.Allowed))
	for _, a := range in.Allowed {
		out = append(out, Allow{IPProtocol: strings.ToLower(a.IPProtocol), Ports: a.Ports})
	}
	return out
}

// checkFirewall validates a rule as Compute Engine does for the fields the
// sandbox models.
func checkFirewall(fw *Firewall) *apiError {
	if fw.Direction != "INGRESS" && fw.Direction != "EGRESS" {
		return invalid("Invalid value for field 'resource.direction': '%s'.", fw.Direction)
	}
	if len(fw.Allowed) == 0 {
		return invalid("Invalid value for field 'resource.allowed': ''. A firewall rule must allow at least one protocol.")
	}
	for i, a := range fw.Allowed {
		switch a.IPProtocol {
		case "tcp", "udp", "sctp":
		case "icmp", "all", "esp", "ah":
			if len(a.Ports) > 0 {
				return invalid("Invalid value for field 'resource.allowed[%d].ports': ports are only allowed for tcp, udp and sctp.", i)
			}
		default:
			return invalid("Invalid value for field 'resource.allowed[%d].IPProtocol': '%s'.", i, a.IPProtocol)
		}
		for _, p := range a.Ports {
			if _, _, ok := portRange(p); !ok {
				return invalid("Invalid value for field 'resource.allowed[%d].ports': '%s'.", i, p)
			}
		}
	}
	for i, r := range fw.SourceRanges {
		if _, _, err := net.ParseCIDR(r); err != nil && net.ParseIP(r) == nil {
			return invalid("Invalid value for field 'resource.sourceRanges[%d]': '%s'. Must be a CIDR address range.", i, r)
		}
	}
	return nil
}

// portRange parses "443" or "8000-8100".
func portRange(p string) (int, int, bool) {
	lo, hi, isRange := strings.Cut(p, "-")
	from, err := strconv.Atoi(lo)
	if err != nil || from < 0 || from > 65535 {
		return 0, 0, false
	}
	if !isRange {
		return from, from, true
	}
	to, err := strconv.Atoi(hi)
	if err != nil || to < from || to > 65535 {
		return 0, 0, false
	}
	return from, to, true
}

func (s *Server) insertFirewall(c call) (any, *apiError) {
	var in firewallInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	fw := &Firewall{
		Project: c.project, Network: canonical(c.project, in.Network), Direction: orString(in.Direction, "INGRESS"),
		Priority: 1000, SourceRanges: in.SourceRanges, TargetTags: in.TargetTags, Allowed: in.allows(),
	}
	if in.Priority != nil {
		fw.Priority = *in.Priority
	}
	if in.Disabled != nil {
		fw.Disabled = *in.Disabled
	}
	// An ingress rule without any source applies to every source.
	if fw.Direction == "INGRESS" && len(fw.SourceRanges) == 0 && len(in.SourceTags) == 0 {
		fw.SourceRanges = []string{"0.0.0.0/0"}
	}
	if err := checkFirewall(fw); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + c.project + "/global/firewalls/" + in.Name
	if _, ok := s.world.Firewalls[path]; ok {
		return nil, alreadyExists(path)
	}
	if _, ok := s.world.Networks[fw.Network]; !ok {
		return nil, invalid("Invalid value for field 'resource.network': '%s'. The referenced network resource cannot be found.", in.Network)
	}
	fw.Meta = Meta{ID: s.world.newID(), Name: in.Name, Description: in.Description, CreatedAt: s.now()}
	s.world.Firewalls[path] = fw
	op := s.newOperation(c, "insert", path, fw.ID)
	return op, s.commit()
}

// patchFirewall changes the fields present in the body (PATCH), or
// replaces every field but the name and network (PUT, replace set).
func (s *Server) patchFirewall(c call, replace bool) (any, *apiError) {
	var in firewallInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &present); err != nil {
		return nil, invalid("Invalid JSON payload received: %v", err)
	}
	has := func(key string) bool {
		_, ok := present[key]
		return replace || ok
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.world.Firewalls[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	if in.Network != "" && canonical(c.project, in.Network) != old.Network {
		return nil, invalid("Invalid value for field 'resource.network': the network of a firewall rule cannot change.")
	}
	fw := *old
	if has("description") {
		fw.Description = in.Description
	}
	if has("sourceRanges") {
		fw.SourceRanges = in.SourceRanges
	}
	if has("targetTags") {
		fw.TargetTags = in.TargetTags
	}
	if has("allowed") {
		fw.Allowed = in.allows()
	}
	if in.Priority != nil {
		fw.Priority = *in.Priority
	}
	if in.Disabled != nil {
		fw.Disabled = *in.Disabled
	}
	if err := checkFirewall(&fw); err != nil {
		return nil, err
	}
	*old = fw
	opType := "patch"
	if replace {
		opType = "update"
	}
	op := s.newOperation(c, opType, c.path(), fw.ID)
	return op, s.commit()
}

func (s *Server) deleteFirewall(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fw, ok := s.world.Firewalls[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	delete(s.world.Firewalls, c.path())
	op := s.newOperation(c, "delete", c.path(), fw.ID)
	return op, s.commit()
}

func renderFirewall(path string, fw *Firewall) map[string]any {
	allowed := make([]map[string]any, 0, len(fw.Allowed))
	for _, a := range fw.Allowed {
		entry := map[string]any{"IPProtocol": a.IPProtocol}
		if len(a.Ports) > 0 {
			entry["ports"] = a.Ports
		}
		allowed = append(allowed, entry)
	}
	return map[string]any{
		"kind": "compute#firewall", "id": fmt.Sprint(fw.ID), "name": fw.Name, "description": fw.Description,
		"selfLink": link(path), "network": link(fw.Network), "direction": fw.Direction, "priority": fw.Priority,
		"disabled": fw.Disabled, "sourceRanges": fw.SourceRanges, "targetTags": fw.TargetTags, "allowed": allowed,
		"creationTimestamp": timestamp(fw.CreatedAt),
	}
}

func (s *Server) getFirewall(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fw, ok := s.world.Firewalls[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	return renderFirewall(c.path(), fw), nil
}

func (s *Server) listFirewalls(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := "projects/" + c.project + "/global/firewalls/"
	keys, next, apiErr := page(c, mapKeys(s.world.Firewalls), func(k string) bool { return strings.HasPrefix(k, prefix) }, s.opts.PageSize)
	if apiErr != nil {
		return nil, apiErr
	}
	items := make([]map[string]any, 0, len(keys))
	for _, key := range keys {
		items = append(items, renderFirewall(key, s.world.Firewalls[key]))
	}
	out := map[string]any{"kind": "compute#firewallList", "items": items}
	if next != "" {
		out["nextPageToken"] = next
	}
	return out, nil
}

// allowsIngress reports whether fw lets TCP traffic from every address of
// source reach port on an instance of network with the network tags.
func allowsIngress(fw *Firewall, network string, tags []string, source string, port int) bool {
	if fw.Disabled || fw.Direction != "INGRESS" || fw.Network != network {
		return false
	}
	if len(fw.TargetTags) > 0 && !slices.ContainsFunc(fw.TargetTags, func(t string) bool { return slices.Contains(tags, t) }) {
		return false
	}
	if !slices.ContainsFunc(fw.SourceRanges, func(r string) bool { return cidrContains(asCIDR(r), source) }) {
		return false
	}
	for _, a := range fw.Allowed {
		if a.IPProtocol == "all" || (a.IPProtocol == "tcp" && len(a.Ports) == 0) {
			return true
		}
		if a.IPProtocol != "tcp" {
			continue
		}
		for _, p := range a.Ports {
			if lo, hi, ok := portRange(p); ok && lo <= port && port <= hi {
				return true
			}
		}
	}
	return false
}

// asCIDR turns a bare address into a /32 block.
func asCIDR(r string) string {
	if strings.Contains(r, "/") {
		return r
	}
	return r + "/32"
}

func orString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
