package awssim

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
)

// EC2's limits on the tags of one resource.
const (
	maxTagsPerResource = 50
	maxTagKeyLength    = 128
	maxTagValueLength  = 256
)

// ruleTagChange is one Tag.N entry of CreateTags or DeleteTags. hasValue
// separates a missing Tag.N.Value from an empty one, because DeleteTags
// treats them differently.
type ruleTagChange struct {
	key, value string
	hasValue   bool
}

// tagRequest reads ResourceId.N and Tag.N of CreateTags or DeleteTags. The
// sandbox tags only security group rules, so every resource ID must start
// with sgr-.
func tagRequest(form url.Values) ([]string, []ruleTagChange, error) {
	ids := list(form, "ResourceId")
	if len(ids) == 0 {
		return nil, nil, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "sgr-") {
			return nil, nil, errorf(http.StatusBadRequest, "InvalidParameterValue",
				"the sandbox tags only security group rules (sgr-...), not %s", id)
		}
	}
	var changes []ruleTagChange
	for _, fields := range structs(form, "Tag") {
		value, hasValue := fields["Value"]
		change := ruleTagChange{key: fields["Key"], value: value, hasValue: hasValue}
		switch {
		case change.key == "":
			return nil, nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "Tag key must not be empty")
		case strings.HasPrefix(strings.ToLower(change.key), "aws:"):
			return nil, nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		case len([]rune(change.key)) > maxTagKeyLength:
			return nil, nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "Tag key exceeds the maximum length of %d characters", maxTagKeyLength)
		case len([]rune(change.value)) > maxTagValueLength:
			return nil, nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "Tag value exceeds the maximum length of %d characters", maxTagValueLength)
		}
		changes = append(changes, change)
	}
	return ids, changes, nil
}

// findRule returns the security group rule id of a group of region.
// Callers hold s.mu.
func (s *Server) findRule(region, id string) (*SecurityGroupRule, error) {
	for _, groupID := range s.groupIDsIn(region) {
		sg := s.world.SecurityGroups[groupID]
		for i := range sg.Rules {
			if sg.Rules[i].ID == id {
				return &sg.Rules[i], nil
			}
		}
	}
	return nil, errorf(http.StatusBadRequest, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
}

// changeRuleTags applies CreateTags (create true) or DeleteTags to
// security group rules. It checks every rule before it changes one, so a
// failed call changes nothing.
func (s *Server) changeRuleTags(region string, form url.Values, create bool) (any, error) {
	ids, changes, err := tagRequest(form)
	if err != nil {
		return nil, err
	}
	if create && len(changes) == 0 {
		return nil, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter tagSet")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	rules := make([]*SecurityGroupRule, 0, len(ids))
	updated := make([]map[string]string, 0, len(ids))
	for _, id := range ids {
		rule, err := s.findRule(region, id)
		if err != nil {
			return nil, err
		}
		tags := maps.Clone(rule.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		for _, change := range changes {
			switch {
			case create:
				tags[change.key] = change.value
			case !change.hasValue || tags[change.key] == change.value:
				// DeleteTags removes a tag whatever its value when the call
				// names no value, and only on a matching value otherwise.
				delete(tags, change.key)
			}
		}
		// DeleteTags without Tag.N removes every tag of the resource.
		if !create && len(changes) == 0 {
			clear(tags)
		}
		if len(tags) > maxTagsPerResource {
			return nil, errorf(http.StatusBadRequest, "TagLimitExceeded",
				"The maximum number of tags (%d) for resource %s has been exceeded", maxTagsPerResource, id)
		}
		rules = append(rules, rule)
		updated = append(updated, tags)
	}

	previous := make([]map[string]string, len(rules))
	for i, rule := range rules {
		previous[i] = rule.Tags
		rule.Tags = updated[i]
		if len(rule.Tags) == 0 {
			rule.Tags = nil
		}
	}
	if err := s.commit(); err != nil {
		for i, rule := range rules {
			rule.Tags = previous[i]
		}
		return nil, err
	}
	return struct {
		Return bool `xml:"return"`
	}{true}, nil
}
