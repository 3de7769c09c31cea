package azuresim

import (
	"encoding/json"
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
	props := rule.Properties
	if props == nil || props.Priority == nil || props.Direction == nil || props.Access == nil || props.Protocol == nil {
		return nil, 0, "", invalid("Security rule %s needs priority, direction, access and protocol.", id)
	}
	if *props.Priority < 100 || *props.Priority > 4096 {
		return nil, 0, "", invalid("Security rule %s has priority %d; use 100 to 4096.", id, *props.Priority)
	}
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
			return nil, 0, "", errorf(http.StatusBadRequest, "SecurityRuleConflict",
				"Security rule %s has the same priority %d and direction as %s.", id, *props.Priority, s.world.Resources[k].ID)
		}
	}
	rule.ID, rule.Name, rule.Type, rule.Etag = nil, nil, nil, nil
	props.ProvisioningState = nil
	return rule, 0, "", nil
}
