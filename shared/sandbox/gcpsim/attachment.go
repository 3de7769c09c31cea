package gcpsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Connected endpoint statuses, as Compute Engine spells them.
const (
	StatusPending        = "PENDING"
	StatusAccepted       = "ACCEPTED"
	StatusRejected       = "REJECTED"
	StatusClosed         = "CLOSED"
	StatusNeedsAttention = "NEEDS_ATTENTION"
)

type acceptEntryInput struct {
	ProjectIDOrNum  string `json:"projectIdOrNum"`
	NetworkURL      string `json:"networkUrl"`
	EndpointURL     string `json:"endpointUrl"`
	ConnectionLimit int    `json:"connectionLimit"`
}

type attachmentInput struct {
	Name                 string
	Description          string
	ConnectionPreference string
	TargetService        string
	NATSubnets           []string `json:"natSubnets"`
	EnableProxyProtocol  *bool
	ConsumerAcceptLists  []acceptEntryInput
	Fingerprint          string
}

// acceptEntries checks and normalises accept list entries.
func acceptEntries(project string, in []acceptEntryInput) ([]AcceptEntry, *apiError) {
	out := make([]AcceptEntry, 0, len(in))
	for i, e := range in {
		set := 0
		for _, v := range []string{e.ProjectIDOrNum, e.NetworkURL, e.EndpointURL} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			return nil, invalid("Invalid value for field 'resource.consumerAcceptLists[%d]': exactly one of projectIdOrNum, networkUrl and endpointUrl must be set.", i)
		}
		if e.EndpointURL != "" && e.ConnectionLimit > 1 {
			return nil, invalid("Invalid value for field 'resource.consumerAcceptLists[%d].connectionLimit': %d. The limit for an endpointUrl is at most 1.", i, e.ConnectionLimit)
		}
		entry := AcceptEntry{ProjectIDOrNum: e.ProjectIDOrNum, ConnectionLimit: e.ConnectionLimit}
		if e.NetworkURL != "" {
			entry.NetworkURL = canonical(project, e.NetworkURL)
		}
		if e.EndpointURL != "" {
			entry.EndpointURL = canonical(project, e.EndpointURL)
		}
		out = append(out, entry)
	}
	return out, nil
}

// checkNATSubnets checks that every NAT subnet exists with purpose
// PRIVATE_SERVICE_CONNECT in the region and the network of the target
// forwarding rule. Callers hold s.mu.
func (s *Server) checkNATSubnets(project, region string, refs []string, rule *ForwardingRule) ([]string, *apiError) {
	if len(refs) == 0 {
		return nil, invalid("Invalid value for field 'resource.natSubnets': ''. At least one NAT subnet is required.")
	}
	var out []string
	for i, ref := range refs {
		path := canonical(project, ref)
		sub, ok := s.world.Subnetworks[path]
		switch {
		case !ok:
			return nil, invalid("Invalid value for field 'resource.natSubnets[%d]': '%s'. The referenced subnetwork resource cannot be found.", i, ref)
		case sub.Purpose != "PRIVATE_SERVICE_CONNECT":
			return nil, invalid("Invalid value for field 'resource.natSubnets[%d]': '%s'. The subnetwork must have purpose PRIVATE_SERVICE_CONNECT, not %s.", i, ref, sub.Purpose)
		case sub.Region != region:
			return nil, invalid("Invalid value for field 'resource.natSubnets[%d]': '%s'. The subnetwork is in region %s, not %s.", i, ref, sub.Region, region)
		case sub.Network != rule.Network:
			return nil, invalid("Invalid value for field 'resource.natSubnets[%d]': '%s'. The subnetwork is in network %s, but the producer forwarding rule is in %s.", i, ref, sub.Network, rule.Network)
		}
		out = append(out, path)
	}
	return out, nil
}

func (s *Server) insertServiceAttachment(c call) (any, *apiError) {
	var in attachmentInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if in.ConnectionPreference != "ACCEPT_MANUAL" && in.ConnectionPreference != "ACCEPT_AUTOMATIC" {
		return nil, invalid("Invalid value for field 'resource.connectionPreference': '%s'. Must be ACCEPT_AUTOMATIC or ACCEPT_MANUAL.", in.ConnectionPreference)
	}
	accept, apiErr := acceptEntries(c.project, in.ConsumerAcceptLists)
	if apiErr != nil {
		return nil, apiErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "projects/" + c.project + "/" + c.scope + "/serviceAttachments/" + in.Name
	if _, ok := s.world.ServiceAttachments[path]; ok {
		return nil, alreadyExists(path)
	}
	target := canonical(c.project, in.TargetService)
	rule, ok := s.world.ForwardingRules[target]
	if !ok || rule.Region != c.region() {
		return nil, invalid("Invalid value for field 'resource.targetService': '%s'. The referenced forwarding rule cannot be found in region %s.", in.TargetService, c.region())
	}
	nat, apiErr := s.checkNATSubnets(c.project, c.region(), in.NATSubnets, rule)
	if apiErr != nil {
		return nil, apiErr
	}
	sa := &ServiceAttachment{
		Meta:    Meta{ID: s.world.newID(), Name: in.Name, Description: in.Description, CreatedAt: s.now()},
		Project: c.project, Region: c.region(), ConnectionPreference: in.ConnectionPreference,
		TargetService: target, NATSubnets: nat, EnableProxyProtocol: in.EnableProxyProtocol != nil && *in.EnableProxyProtocol,
		ConsumerAcceptLists: accept, Fingerprint: newFingerprint(),
	}
	s.world.ServiceAttachments[path] = sa
	op := s.newOperation(c, "insert", path, sa.ID)
	return op, s.commit()
}

func (s *Server) patchServiceAttachment(c call) (any, *apiError) {
	var in attachmentInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &present); err != nil {
		return nil, invalid("Invalid JSON payload received: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sa, ok := s.world.ServiceAttachments[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	if in.Fingerprint != "" && in.Fingerprint != sa.Fingerprint {
		return nil, errorf(http.StatusPreconditionFailed, "conditionNotMet",
			"Supplied fingerprint does not match current metadata fingerprint.")
	}
	if in.TargetService != "" && canonical(c.project, in.TargetService) != sa.TargetService {
		return nil, invalid("Invalid value for field 'resource.targetService': the target service of a service attachment cannot change.")
	}
	if in.EnableProxyProtocol != nil && *in.EnableProxyProtocol != sa.EnableProxyProtocol {
		return nil, invalid("Invalid value for field 'resource.enableProxyProtocol': it cannot change after creation.")
	}
	next := *sa
	if in.ConnectionPreference != "" {
		if in.ConnectionPreference != "ACCEPT_MANUAL" && in.ConnectionPreference != "ACCEPT_AUTOMATIC" {
			return nil, invalid("Invalid value for field 'resource.connectionPreference': '%s'.", in.ConnectionPreference)
		}
		next.ConnectionPreference = in.ConnectionPreference
	}
	if _, ok := present["consumerAcceptLists"]; ok {
		accept, apiErr := acceptEntries(c.project, in.ConsumerAcceptLists)
		if apiErr != nil {
			return nil, apiErr
		}
		next.ConsumerAcceptLists = accept
	}
	if _, ok := present["natSubnets"]; ok {
		nat, apiErr := s.checkNATSubnets(c.project, sa.Region, in.NATSubnets, s.world.ForwardingRules[sa.TargetService])
		if apiErr != nil {
			return nil, apiErr
		}
		next.NATSubnets = nat
	}
	if _, ok := present["description"]; ok {
		next.Description = in.Description
	}
	next.Fingerprint = newFingerprint()
	*sa = next
	s.reconcile(c.path(), sa, s.now())
	op := s.newOperation(c, "patch", c.path(), sa.ID)
	return op, s.commit()
}

func (s *Server) getServiceAttachment(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sa, ok := s.world.ServiceAttachments[c.path()]
	if !ok {
		return nil, notFound(c.path())
	}
	return s.renderServiceAttachment(c.path(), sa), nil
}

// listServiceAttachments returns the attachments of the call's project and
// region, one page at a time.
func (s *Server) listServiceAttachments(c call) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := "projects/" + c.project + "/" + c.scope + "/serviceAttachments/"
	keys, next, apiErr := page(c, mapKeys(s.world.ServiceAttachments), func(k string) bool { return strings.HasPrefix(k, prefix) }, s.opts.PageSize)
	if apiErr != nil {
		return nil, apiErr
	}
	items := make([]map[string]any, 0, len(keys))
	for _, key := range keys {
		items = append(items, s.renderServiceAttachment(key, s.world.ServiceAttachments[key]))
	}
	out := map[string]any{"kind": "compute#serviceAttachmentList", "items": items}
	if next != "" {
		out["nextPageToken"] = next
	}
	return out, nil
}

// renderServiceAttachment returns the API form of the attachment at path.
// Callers hold s.mu.
func (s *Server) renderServiceAttachment(path string, sa *ServiceAttachment) map[string]any {
	now := s.now()
	accept := make([]map[string]any, 0, len(sa.ConsumerAcceptLists))
	for _, e := range sa.ConsumerAcceptLists {
		entry := map[string]any{"connectionLimit": e.ConnectionLimit}
		switch {
		case e.ProjectIDOrNum != "":
			entry["projectIdOrNum"] = e.ProjectIDOrNum
		case e.NetworkURL != "":
			entry["networkUrl"] = link(e.NetworkURL)
		default:
			entry["endpointUrl"] = link(e.EndpointURL)
		}
		accept = append(accept, entry)
	}
	connected := []map[string]any{}
	for _, ep := range s.attachmentEndpoints(path) {
		status, natIP := s.endpointStatus(sa, ep, now)
		entry := map[string]any{
			"endpoint": link(ep.Path), "consumerNetwork": link(ep.ConsumerNetwork),
			"pscConnectionId": fmt.Sprint(ep.PSCConnectionID), "status": status,
		}
		if natIP != "" {
			entry["natIps"] = []string{natIP}
		}
		connected = append(connected, entry)
	}
	return map[string]any{
		"kind": "compute#serviceAttachment", "id": fmt.Sprint(sa.ID), "name": sa.Name, "description": sa.Description,
		"selfLink": link(path), "region": link("projects/" + sa.Project + "/regions/" + sa.Region),
		"connectionPreference": sa.ConnectionPreference, "targetService": link(sa.TargetService),
		"natSubnets": links(sa.NATSubnets), "enableProxyProtocol": sa.EnableProxyProtocol,
		"consumerAcceptLists": accept, "connectedEndpoints": connected, "fingerprint": sa.Fingerprint,
		"pscServiceAttachmentId": map[string]string{"high": fmt.Sprint(sa.ID >> 32), "low": fmt.Sprint(sa.ID & 0xffffffff)},
		"creationTimestamp":      timestamp(sa.CreatedAt),
	}
}

// attachmentEndpoints returns the live endpoints of an attachment, oldest
// first. Callers hold s.mu.
func (s *Server) attachmentEndpoints(path string) []*Endpoint {
	var out []*Endpoint
	for _, ep := range s.world.Endpoints {
		if ep.ServiceAttachment == path && !ep.Deleted {
			out = append(out, ep)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// matches reports whether an accept list entry covers the endpoint.
func matches(e AcceptEntry, ep *Endpoint) bool {
	switch {
	case e.ProjectIDOrNum != "":
		return segment(ep.Path, "projects") == e.ProjectIDOrNum
	case e.NetworkURL != "":
		return e.NetworkURL == ep.ConsumerNetwork
	}
	return e.EndpointURL == ep.Path
}

// reconcile accepts the pending endpoints that the attachment's connection
// preference and accept list admit, oldest first, within each entry's
// connection limit. Callers hold s.mu.
func (s *Server) reconcile(path string, sa *ServiceAttachment, now time.Time) {
	endpoints := s.attachmentEndpoints(path)
	for _, ep := range endpoints {
		if ep.AcceptedAt != nil || ep.Final != "" {
			continue
		}
		if sa.ConnectionPreference == "ACCEPT_AUTOMATIC" {
			ep.AcceptedAt = &now
			continue
		}
		for _, e := range sa.ConsumerAcceptLists {
			if !matches(e, ep) {
				continue
			}
			used := 0
			for _, other := range endpoints {
				if other.AcceptedAt != nil && other.Final == "" && matches(e, other) {
					used++
				}
			}
			if used < e.ConnectionLimit {
				ep.AcceptedAt = &now
				break
			}
		}
	}
}

// endpointStatus computes an endpoint's status at now and the NAT address
// it holds. An accepted endpoint reads ACCEPTED after the acceptance delay,
// or NEEDS_ATTENTION when the NAT subnets have no address left for it.
// Callers hold s.mu.
func (s *Server) endpointStatus(sa *ServiceAttachment, ep *Endpoint, now time.Time) (string, string) {
	if ep.Final != "" {
		return ep.Final, ""
	}
	if ep.AcceptedAt == nil || now.Before(ep.AcceptedAt.Add(s.opts.Delays.ConnectionAccepted)) {
		return StatusPending, ""
	}
	var pool []string
	for _, sub := range sa.NATSubnets {
		if subnet, ok := s.world.Subnetworks[sub]; ok {
			pool = append(pool, usableHosts(subnet.IPCIDRRange)...)
		}
	}
	index := 0
	for _, other := range s.attachmentEndpoints(link2path(sa)) {
		if other == ep {
			break
		}
		if other.AcceptedAt != nil && other.Final == "" {
			index++
		}
	}
	if index >= len(pool) {
		return StatusNeedsAttention, ""
	}
	return StatusAccepted, pool[index]
}

// link2path returns the path of a service attachment.
func link2path(sa *ServiceAttachment) string {
	return "projects/" + sa.Project + "/regions/" + sa.Region + "/serviceAttachments/" + sa.Name
}

// attachmentByID returns the attachment that a service ID names: a path
// from projects/ or a self link. Callers hold s.mu.
func (s *Server) attachmentByID(serviceID string) (string, *ServiceAttachment, error) {
	path := canonical("", serviceID)
	sa, ok := s.world.ServiceAttachments[path]
	if !ok || !strings.HasPrefix(path, "projects/") {
		return "", nil, fmt.Errorf("service attachment %q: %w", serviceID, ErrNotFound)
	}
	return path, sa, nil
}
