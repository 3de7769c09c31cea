package awssim

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxIngressRules is EC2's default quota of inbound rules per security group.
const maxIngressRules = 60

// ruleDescriptionPattern is the character set EC2 allows in a rule
// description, up to 255 characters.
var ruleDescriptionPattern = regexp.MustCompile(`^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{0,255}$`)

// SecurityGroup is an EC2 security group, keyed by its ID. The sandbox does
// not create groups through the API: a group exists once EnsureSecurityGroup
// added it, as an administrator prepares a real account. As on EC2, a group
// belongs to one region and one VPC, and calls in another region do not
// find it.
type SecurityGroup struct {
	ID        string              `json:"id"`
	Region    string              `json:"region"`
	VPCID     string              `json:"vpc_id"`
	Rules     []SecurityGroupRule `json:"rules,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
}

// SecurityGroupRule is one inbound IPv4 rule of a security group.
type SecurityGroupRule struct {
	ID          string            `json:"id"`
	Protocol    string            `json:"protocol"`
	FromPort    int               `json:"from_port"`
	ToPort      int               `json:"to_port"`
	CIDR        string            `json:"cidr"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// EnsureSecurityGroup adds the security group id in region and vpcID when
// the world does not hold it yet. A group of a world saved before groups
// had a region gets region and vpcID, so that it stops serving every
// region.
func (s *Server) EnsureSecurityGroup(id, region, vpcID string) error {
	if region == "" || vpcID == "" {
		return fmt.Errorf("awssim: security group %s needs a region and a VPC", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sg, ok := s.world.SecurityGroups[id]; ok {
		if sg.Region != "" {
			return nil
		}
		sg.Region, sg.VPCID = region, vpcID
		if err := s.commit(); err != nil {
			sg.Region = ""
			return err
		}
		return nil
	}
	s.world.SecurityGroups[id] = &SecurityGroup{ID: id, Region: region, VPCID: vpcID, CreatedAt: s.now()}
	if err := s.commit(); err != nil {
		delete(s.world.SecurityGroups, id)
		return err
	}
	return nil
}

// groupIDsIn returns the IDs of the security groups of region, sorted.
// Callers hold s.mu.
func (s *Server) groupIDsIn(region string) []string {
	var ids []string
	for _, id := range sortedKeys(s.world.SecurityGroups) {
		if s.world.SecurityGroups[id].Region == region {
			ids = append(ids, id)
		}
	}
	return ids
}

type securityGroupRuleXML struct {
	ID          string    `xml:"securityGroupRuleId"`
	GroupID     string    `xml:"groupId"`
	GroupOwner  string    `xml:"groupOwnerId"`
	IsEgress    bool      `xml:"isEgress"`
	Protocol    string    `xml:"ipProtocol"`
	FromPort    int       `xml:"fromPort"`
	ToPort      int       `xml:"toPort"`
	CIDR        string    `xml:"cidrIpv4"`
	Description string    `xml:"description,omitempty"`
	Tags        []tagItem `xml:"tagSet>item"`
}

func (s *Server) ruleXML(groupID string, rule SecurityGroupRule) securityGroupRuleXML {
	return securityGroupRuleXML{
		ID: rule.ID, GroupID: groupID, GroupOwner: s.opts.AccountID, Protocol: rule.Protocol,
		FromPort: rule.FromPort, ToPort: rule.ToPort, CIDR: rule.CIDR, Description: rule.Description,
		Tags: ec2TagSet(rule.Tags),
	}
}

// securityGroup returns the group id of region. Callers hold s.mu.
func (s *Server) securityGroup(region, id string) (*SecurityGroup, error) {
	if id == "" {
		return nil, errorf(http.StatusBadRequest, "MissingParameter", "the sandbox supports only GroupId, not GroupName: set GroupId")
	}
	sg, ok := s.world.SecurityGroups[id]
	if !ok || sg.Region != region {
		return nil, errorf(http.StatusBadRequest, "InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	}
	return sg, nil
}

// ingressPermissions reads the rules of an Authorize or Revoke call: the
// IpPermissions list, or the older top-level CidrIp, IpProtocol, FromPort and
// ToPort fields.
func ingressPermissions(form url.Values) ([]SecurityGroupRule, error) {
	var rules []SecurityGroupRule
	if form.Has("CidrIp") {
		rule, err := permissionRule(form.Get("IpProtocol"), form.Get("FromPort"), form.Get("ToPort"))
		if err != nil {
			return nil, err
		}
		rule.CIDR = form.Get("CidrIp")
		rules = append(rules, rule)
	}
	for i := 1; ; i++ {
		head := "IpPermissions." + strconv.Itoa(i) + "."
		if !form.Has(head+"IpProtocol") && !form.Has(head+"FromPort") && !form.Has(head+"IpRanges.1.CidrIp") {
			break
		}
		base, err := permissionRule(form.Get(head+"IpProtocol"), form.Get(head+"FromPort"), form.Get(head+"ToPort"))
		if err != nil {
			return nil, err
		}
		if form.Has(head+"Ipv6Ranges.1.CidrIpv6") || form.Has(head+"Groups.1.GroupId") || form.Has(head+"PrefixListIds.1.PrefixListId") {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "the sandbox supports only IPv4 ranges in IpPermissions")
		}
		for _, r := range structs(form, head+"IpRanges") {
			rule := base
			rule.CIDR = r["CidrIp"]
			rule.Description = r["Description"]
			rules = append(rules, rule)
		}
	}
	for i, rule := range rules {
		_, network, err := net.ParseCIDR(rule.CIDR)
		if err != nil || network.IP.To4() == nil {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue", "CIDR block %s is malformed", rule.CIDR)
		}
		rules[i].CIDR = network.String()
		if !ruleDescriptionPattern.MatchString(rule.Description) {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue",
				"Invalid rule description. Valid descriptions are strings less than 256 characters from the following set: a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
		}
	}
	return rules, nil
}

// permissionRule checks a protocol and port range the way EC2 does for IPv4
// rules: tcp, udp, icmp or -1 (all), with ports only for tcp and udp.
func permissionRule(protocol, from, to string) (SecurityGroupRule, error) {
	rule := SecurityGroupRule{Protocol: strings.ToLower(protocol)}
	switch rule.Protocol {
	case "6":
		rule.Protocol = "tcp"
	case "17":
		rule.Protocol = "udp"
	case "1":
		rule.Protocol = "icmp"
	}
	switch rule.Protocol {
	case "tcp", "udp":
		var errFrom, errTo error
		rule.FromPort, errFrom = strconv.Atoi(from)
		rule.ToPort, errTo = strconv.Atoi(to)
		if errFrom != nil || errTo != nil || rule.FromPort < 0 || rule.ToPort > 65535 || rule.FromPort > rule.ToPort {
			return rule, errorf(http.StatusBadRequest, "InvalidParameterValue", "Invalid port range %s-%s for protocol %s", from, to, rule.Protocol)
		}
	case "icmp", "-1":
		rule.FromPort, rule.ToPort = -1, -1
	case "":
		return rule, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter ipProtocol")
	default:
		return rule, errorf(http.StatusBadRequest, "InvalidParameterValue", "Invalid value '%s' for IP protocol", protocol)
	}
	return rule, nil
}

func sameRule(a, b SecurityGroupRule) bool {
	return a.Protocol == b.Protocol && a.FromPort == b.FromPort && a.ToPort == b.ToPort && a.CIDR == b.CIDR
}

func (s *Server) authorizeIngress(region string, form url.Values) (any, error) {
	rules, err := ingressPermissions(form)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return nil, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter IpPermissions")
	}
	tags := ec2Tags(form, "security-group-rule")

	s.mu.Lock()
	defer s.mu.Unlock()
	sg, err := s.securityGroup(region, form.Get("GroupId"))
	if err != nil {
		return nil, err
	}
	// EC2 rejects the whole call when one rule exists already.
	for i, rule := range rules {
		for _, existing := range append(append([]SecurityGroupRule{}, sg.Rules...), rules[:i]...) {
			if sameRule(existing, rule) {
				return nil, errorf(http.StatusBadRequest, "InvalidPermission.Duplicate",
					"the specified rule \"peer: %s, %s, from port: %d, to port: %d, ALLOW\" already exists",
					rule.CIDR, strings.ToUpper(rule.Protocol), rule.FromPort, rule.ToPort)
			}
		}
	}
	if len(sg.Rules)+len(rules) > maxIngressRules {
		return nil, errorf(http.StatusBadRequest, "RulesPerSecurityGroupLimitExceeded",
			"The maximum number of rules per security group has been reached.")
	}

	var out struct {
		Return bool                   `xml:"return"`
		Rules  []securityGroupRuleXML `xml:"securityGroupRuleSet>item"`
	}
	before := len(sg.Rules)
	for _, rule := range rules {
		rule.ID = "sgr-" + randomHex(17)
		if len(tags) > 0 {
			rule.Tags = map[string]string{}
			for key, value := range tags {
				rule.Tags[key] = value
			}
		}
		sg.Rules = append(sg.Rules, rule)
		out.Rules = append(out.Rules, s.ruleXML(sg.ID, rule))
	}
	if err := s.commit(); err != nil {
		sg.Rules = sg.Rules[:before]
		return nil, err
	}
	out.Return = true
	return out, nil
}

func (s *Server) revokeIngress(region string, form url.Values) (any, error) {
	ids := list(form, "SecurityGroupRuleId")
	rules, err := ingressPermissions(form)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 && len(rules) == 0 {
		return nil, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain either IpPermissions or SecurityGroupRuleIds")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	sg, err := s.securityGroup(region, form.Get("GroupId"))
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !containsRule(sg.Rules, func(r SecurityGroupRule) bool { return r.ID == id }) {
			return nil, errorf(http.StatusBadRequest, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
		}
	}

	type revokedXML struct {
		ID          string `xml:"securityGroupRuleId"`
		GroupID     string `xml:"groupId"`
		IsEgress    bool   `xml:"isEgress"`
		Protocol    string `xml:"ipProtocol"`
		FromPort    int    `xml:"fromPort"`
		ToPort      int    `xml:"toPort"`
		CIDR        string `xml:"cidrIpv4"`
		Description string `xml:"description,omitempty"`
	}
	var out struct {
		Return  bool         `xml:"return"`
		Revoked []revokedXML `xml:"revokedSecurityGroupRuleSet>item"`
	}
	previous := sg.Rules
	kept := make([]SecurityGroupRule, 0, len(sg.Rules))
	for _, rule := range sg.Rules {
		revoke := contains(ids, rule.ID)
		for _, match := range rules {
			revoke = revoke || sameRule(rule, match)
		}
		if !revoke {
			kept = append(kept, rule)
			continue
		}
		out.Revoked = append(out.Revoked, revokedXML{rule.ID, sg.ID, false, rule.Protocol, rule.FromPort, rule.ToPort, rule.CIDR, rule.Description})
	}
	sg.Rules = kept
	if err := s.commit(); err != nil {
		sg.Rules = previous
		return nil, err
	}
	out.Return = true
	return out, nil
}

// updateIngressDescriptions sets the descriptions of inbound rules named by
// SecurityGroupRuleDescription.N. The sandbox does not support the older
// IpPermissions form of the call, which names rules by their ranges.
func (s *Server) updateIngressDescriptions(region string, form url.Values) (any, error) {
	if form.Has("IpPermissions.1.IpProtocol") {
		return nil, errorf(http.StatusBadRequest, "InvalidParameterCombination",
			"the sandbox supports only SecurityGroupRuleDescriptions, not IpPermissions: name the rules by ID")
	}
	descriptions := structs(form, "SecurityGroupRuleDescription")
	if len(descriptions) == 0 {
		return nil, errorf(http.StatusBadRequest, "MissingParameter", "The request must contain either IpPermissions or SecurityGroupRuleDescriptions")
	}
	for _, d := range descriptions {
		if !ruleDescriptionPattern.MatchString(d["Description"]) {
			return nil, errorf(http.StatusBadRequest, "InvalidParameterValue",
				"Invalid rule description. Valid descriptions are strings less than 256 characters from the following set: a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	sg, err := s.securityGroup(region, form.Get("GroupId"))
	if err != nil {
		return nil, err
	}
	previous := slices.Clone(sg.Rules)
	for _, d := range descriptions {
		i := slices.IndexFunc(sg.Rules, func(r SecurityGroupRule) bool { return r.ID == d["SecurityGroupRuleId"] })
		if i < 0 {
			sg.Rules = previous
			return nil, errorf(http.StatusBadRequest, "InvalidSecurityGroupRuleId.NotFound",
				"The security group rule ID '%s' does not exist", d["SecurityGroupRuleId"])
		}
		sg.Rules[i].Description = d["Description"]
	}
	if err := s.commit(); err != nil {
		sg.Rules = previous
		return nil, err
	}
	var out struct {
		Return bool `xml:"return"`
	}
	out.Return = true
	return out, nil
}

func containsRule(rules []SecurityGroupRule, match func(SecurityGroupRule) bool) bool {
	for _, rule := range rules {
		if match(rule) {
			return true
		}
	}
	return false
}

func (s *Server) describeSecurityGroupRules(region string, form url.Values) (any, error) {
	ids := list(form, "SecurityGroupRuleId")
	filters := ec2Filters(form)

	s.mu.Lock()
	defer s.mu.Unlock()
	type located struct {
		groupID string
		rule    SecurityGroupRule
	}
	var matched []located
	for _, groupID := range s.groupIDsIn(region) {
		for _, rule := range s.world.SecurityGroups[groupID].Rules {
			if len(ids) > 0 && !contains(ids, rule.ID) {
				continue
			}
			ok, err := ruleMatches(groupID, rule, filters)
			if err != nil {
				return nil, err
			}
			if ok {
				matched = append(matched, located{groupID, rule})
			}
		}
	}
	items, next, err := page(s, form, matched)
	if err != nil {
		return nil, err
	}

	out := struct {
		Rules     []securityGroupRuleXML `xml:"securityGroupRuleSet>item"`
		NextToken string                 `xml:"nextToken,omitempty"`
	}{NextToken: next}
	for _, item := range items {
		out.Rules = append(out.Rules, s.ruleXML(item.groupID, item.rule))
	}
	return out, nil
}

// ruleMatches applies the filters of DescribeSecurityGroupRules that the
// sandbox supports: group-id, security-group-rule-id and the tag filters.
func ruleMatches(groupID string, rule SecurityGroupRule, filters []ec2Filter) (bool, error) {
	// matchFilters stops at an unsupported name, so invalid is set only when
	// the rule passed every filter before it.
	invalid := ""
	match := matchFilters(filters, withTags(rule.Tags, func(name string) ([]string, bool) {
		switch name {
		case "group-id":
			return one(groupID)
		case "security-group-rule-id":
			return one(rule.ID)
		}
		invalid = name
		return nil, false
	}), false)
	if invalid != "" {
		return false, errorf(http.StatusBadRequest, "InvalidParameterValue", "The filter '%s' is invalid", invalid)
	}
	return match, nil
}
