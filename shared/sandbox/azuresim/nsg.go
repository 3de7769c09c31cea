package azuresim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
)

// securityRuleMethod reads, writes or deletes a rule of a network security
// group.
func (s *Server) securityRuleMethod(method, nsgID, name string, body []byte) (*response, error) {
	id := nsgID + "/securityRules/" + name
	s.mu.Lock()
	exists := s.resource(nsgID, typeNSG) != nil
	s.mu.Unlock()
	if !exists {
		return nil, notFound(typeNSG, nsgID)
	}
	switch method {
	case http.MethodGet:
		return s.get(id, typeRule)
	case http.MethodPut:
		return s.put(id, typeRule, body, s.prepareSecurityRule)
	case http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		res := s.resource(id, typeRule)
		if res == nil {
			return &response{status: http.StatusNoContent}, nil
		}
		delete(s.world.Resources, key(id))
		if err := s.commit(); err != nil {
			s.world.Resources[key(id)] = res
			return nil, err
		}
		return &response{status: http.StatusOK}, nil
	}
	return nil, errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "the sandbox does not serve %s on %s", method, typeRule)
}

// prepareSecurityRule checks the priority, which must be unique among the
// group's rules of the same direction.
//
// NOTE: the error codes are the sandbox's own; Resource Manager's codes for
// these cases were not observed.
func (s *Server) prepareSecurityRule(id string, body []byte, existing *Resource) (any, time.Duration, string, error) {
	rule, err := decodeBody[armnetwork.SecurityRule](body)
	if err != nil {
		return nil, 0, "", err
	}
	if err := checkRuleProperties(id, rule.Properties); err != nil {
		return nil, 0, "", err
	}
	props := rule.Properties
	prefix := key(id[:strings.LastIndex(strings.ToLower(id), "/securityrules/")]) + "/securityrules/"
	for _, k := range sortedKeys(s.world.Resources) {
		if !strings.HasPrefix(k, prefix) || k == key(id) {
			continue
		}
		var other armnetwork.SecurityRule
		if err := json.Unmarshal(s.world.Resources[k].Body, &other); err != nil || other.Properties == nil {
			continue
		}
		op := other.Properties
		if op.Priority != nil && *op.Priority == *props.Priority && op.Direction != nil && *op.Direction == *props.Direction {
			return nil, 0, "", priorityConflict(id, *props.Priority, s.world.Resources[k].ID)
		}
	}
	rule.ID, rule.Name, rule.Type, rule.Etag = nil, nil, nil, nil
	props.ProvisioningState = nil
	return rule, 0, "", nil
}

// checkRuleProperties checks the fields that Resource Manager requires of a
// security rule and the range of its priority.
func checkRuleProperties(id string, props *armnetwork.SecurityRulePropertiesFormat) error {
	if props == nil || props.Priority == nil || props.Direction == nil || props.Access == nil || props.Protocol == nil {
		return invalid("Security rule %s needs priority, direction, access and protocol.", id)
	}
	if *props.Priority < 100 || *props.Priority > 4096 {
		return invalid("Security rule %s has priority %d; use 100 to 4096.", id, *props.Priority)
	}
	return nil
}

func priorityConflict(id string, priority int32, otherID string) error {
	return errorf(http.StatusBadRequest, "SecurityRuleConflict",
		"Security rule %s has the same priority %d and direction as %s.", id, priority, otherID)
}

// putNSG replaces a network security group and all its rules, as a PUT of
// the group does. An If-Match header must name the group's current etag,
// or be * for a group that exists, and If-None-Match: * allows only a new
// group. Otherwise the group is left alone and the response is 412
// PreconditionFailed, so that a writer that read the group before another
// writer changed it reads it again. Two rules of one direction may not
// share a priority.
func (s *Server) putNSG(id string, body []byte, header http.Header) (*response, error) {
	group, err := decodeBody[armnetwork.SecurityGroup](body)
	if err != nil {
		return nil, err
	}
	var rules []*armnetwork.SecurityRule
	if group.Properties != nil {
		rules = group.Properties.SecurityRules
	}
	if err := checkGroupRules(id, rules); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	existing := s.resource(id, typeNSG)
	if existing == nil && s.world.Resources[key(id)] != nil {
		return nil, errorf(http.StatusConflict, "Conflict", "resource %s exists with another type", id)
	}
	if err := s.checkPrecondition(id, existing, header); err != nil {
		return nil, err
	}

	stored := armnetwork.SecurityGroup{Location: group.Location, Tags: group.Tags, Properties: &armnetwork.SecurityGroupPropertiesFormat{}}
	if group.Properties != nil {
		stored.Properties.FlushConnection = group.Properties.FlushConnection
	}
	if existing != nil && stored.Location == nil {
		if old, err := decode[armnetwork.SecurityGroup](existing); err == nil {
			stored.Location = old.Location
		}
	}
	data, err := marshal(stored)
	if err != nil {
		return nil, err
	}

	previous := maps.Clone(s.world.Resources)
	now := s.now()
	res := &Resource{ID: id, Type: typeNSG, Body: data, CreatedAt: now, ReadyAt: now}
	status := http.StatusCreated
	if existing != nil {
		res.ID, res.CreatedAt, status = existing.ID, existing.CreatedAt, http.StatusOK
	}
	prefix := key(id) + "/securityrules/"
	for k := range s.world.Resources {
		if strings.HasPrefix(k, prefix) {
			delete(s.world.Resources, k)
		}
	}
	s.world.Resources[key(id)] = res
	for _, rule := range rules {
		ruleID := res.ID + "/securityRules/" + *rule.Name
		props := *rule.Properties
		props.ProvisioningState = nil
		data, err := marshal(armnetwork.SecurityRule{Properties: &props})
		if err != nil {
			s.world.Resources = previous
			return nil, err
		}
		stored := &Resource{ID: ruleID, Type: typeRule, Body: data, CreatedAt: now, ReadyAt: now}
		if old := previous[key(ruleID)]; old != nil {
			stored.ID, stored.CreatedAt = old.ID, old.CreatedAt
		}
		s.world.Resources[key(ruleID)] = stored
	}
	if err := s.commit(); err != nil {
		s.world.Resources = previous
		return nil, err
	}
	view, err := s.render(res)
	if err != nil {
		return nil, err
	}
	return &response{status: status, body: view}, nil
}

// checkGroupRules checks the rules of a PUT of a whole group: each one on
// its own, and that no two share a name or a priority in one direction.
func checkGroupRules(nsgID string, rules []*armnetwork.SecurityRule) error {
	names := map[string]bool{}
	priorities := map[string]string{}
	for i, rule := range rules {
		if rule == nil || rule.Name == nil || *rule.Name == "" {
			return invalid("Security rule %d of %s needs a name.", i, nsgID)
		}
		id := nsgID + "/securityRules/" + *rule.Name
		if names[strings.ToLower(*rule.Name)] {
			return invalid("Security rule %s is listed twice.", id)
		}
		names[strings.ToLower(*rule.Name)] = true
		if err := checkRuleProperties(id, rule.Properties); err != nil {
			return err
		}
		slot := fmt.Sprintf("%s/%d", *rule.Properties.Direction, *rule.Properties.Priority)
		if other, taken := priorities[slot]; taken {
			return priorityConflict(id, *rule.Properties.Priority, other)
		}
		priorities[slot] = id
	}
	return nil
}

// checkPrecondition applies the If-Match and If-None-Match headers of a
// write to the group. Callers hold s.mu.
func (s *Server) checkPrecondition(id string, existing *Resource, header http.Header) error {
	if match := header.Get("If-Match"); match != "" {
		if existing == nil {
			return errorf(http.StatusPreconditionFailed, "PreconditionFailed",
				"Network security group %s does not exist, so If-Match %s does not match.", id, match)
		}
		if current := s.nsgETag(existing); match != "*" && match != current {
			return errorf(http.StatusPreconditionFailed, "PreconditionFailed",
				"Network security group %s has etag %s, not %s as If-Match requires; read it again.", id, current, match)
		}
	}
	if header.Get("If-None-Match") == "*" && existing != nil {
		return errorf(http.StatusPreconditionFailed, "PreconditionFailed",
			"Network security group %s exists, and If-None-Match is *.", id)
	}
	return nil
}

// nsgETag returns the group's etag, which changes whenever the group or
// one of its rules changes, whether through the group or through the rule.
// Callers hold s.mu.
func (s *Server) nsgETag(res *Resource) string {
	sum := sha256.New()
	sum.Write(res.Body)
	prefix := key(res.ID) + "/securityrules/"
	for _, k := range sortedKeys(s.world.Resources) {
		if strings.HasPrefix(k, prefix) {
			sum.Write([]byte(k))
			sum.Write(s.world.Resources[k].Body)
		}
	}
	return `W/"` + hex.EncodeToString(sum.Sum(nil)[:16]) + `"`
}
