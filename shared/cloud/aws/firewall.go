package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

var _ cloud.Firewall = (*Firewall)(nil)

// Firewall implements cloud.Firewall with the inbound rules of an EC2
// security group. Every rule it adds carries the tag repolink:request with
// the ID of its owner, at first the request that created it, and a
// description that names the owner. A rule without a repolink:request tag
// counts as the request's when its description matches, so that rules
// whose tags were removed are still found.
//
// EC2 rejects a second rule with the same protocol, ports and range
// (InvalidPermission.Duplicate), so two requests on one group share a rule.
// A request that finds its range already open adopts the rule: it adds a
// tag whose key is adopterTagKey of its ID and whose value is the ID. A
// request that no longer needs a rule removes its own tag, and revokes the
// rule only when it owns it and no other request's tag remains. When other
// requests remain, the owner passes the repolink:request tag to one of
// them, so the rule is revoked once the last of them lets it go. Rules that
// an administrator added are adopted the same way and never revoked.
// adoptRule and releaseRule order these tag changes so that a request that
// adopts a rule and one that revokes it at the same moment do not lose the
// rule.
type Firewall struct {
	providers func(ctx context.Context, region string) (*Provider, error)
	// now returns the time written into releasing tags and compared with
	// them.
	now func() time.Time
}

// NewFirewall returns a Firewall that uses providers to get the Provider of
// a target's region.
func NewFirewall(providers func(ctx context.Context, region string) (*Provider, error)) *Firewall {
	return &Firewall{providers: providers, now: time.Now}
}

// EC2 error codes that the firewall acts on: AuthorizeSecurityGroupIngress
// for a rule that exists already, and the tag, describe and revoke calls for
// a rule ID that no longer exists.
const (
	duplicateRule = "InvalidPermission.Duplicate"
	ruleNotFound  = "InvalidSecurityGroupRuleId.NotFound"
)

// ingressRule is one inbound IPv4 rule of the security group.
type ingressRule struct {
	id          string
	protocol    string
	fromPort    int
	toPort      int
	cidr        string
	description string
	tags        map[string]string
}

// IngressRanges returns the CIDR blocks that the TCP rules the request owns
// or adopted allow on the target's port, sorted.
func (f *Firewall) IngressRanges(ctx context.Context, target cloud.FirewallTarget) ([]string, error) {
	p, err := f.provider(ctx, target)
	if err != nil {
		return nil, err
	}
	rules, err := p.groupRules(ctx, target)
	if err != nil {
		return nil, err
	}
	var cidrs []string
	for _, rule := range rules {
		if rule.reliedOnBy(target.RequestID) && rule.matchesPort(target.Port) && !slices.Contains(cidrs, rule.cidr) {
			cidrs = append(cidrs, rule.cidr)
		}
	}
	slices.Sort(cidrs)
	return cidrs, nil
}

// SetIngressRanges makes the rules that the request relies on allow exactly
// cidrs on TCP target.Port. A range that another rule of the group already
// allows on that port is adopted, and the other ranges get new rules. It adds
// and adopts before it releases the rules no longer needed, so that a range
// in both the old and the new set is never closed in between.
func (f *Firewall) SetIngressRanges(ctx context.Context, target cloud.FirewallTarget, cidrs []string) (cloud.FirewallChange, error) {
	var change cloud.FirewallChange
	want, err := normalizeCIDRs(cidrs)
	if err != nil {
		return change, err
	}
	p, err := f.provider(ctx, target)
	if err != nil {
		return change, err
	}
	rules, err := p.groupRules(ctx, target)
	if err != nil {
		return change, err
	}

	var present []string
	var release []ingressRule
	for _, rule := range rules {
		if !rule.reliedOnBy(target.RequestID) {
			continue
		}
		if rule.matchesPort(target.Port) && slices.Contains(want, rule.cidr) && !slices.Contains(present, rule.cidr) {
			present = append(present, rule.cidr)
			continue
		}
		release = append(release, rule)
	}
	var adopt []ingressRule
	var add []string
	for _, cidr := range want {
		if slices.Contains(present, cidr) {
			continue
		}
		if rule, ok := findRule(rules, target.Port, cidr); ok {
			adopt = append(adopt, rule)
			continue
		}
		add = append(add, cidr)
	}

	duplicates, err := p.authorize(ctx, target, add)
	if err != nil {
		return change, err
	}
	for _, cidr := range add {
		if !slices.Contains(duplicates, cidr) {
			change.Added = append(change.Added, cidr)
		}
	}
	if len(duplicates) > 0 {
		// Another request or an administrator added these rules after the
		// group was listed, so list it again to find them.
		if rules, err = p.groupRules(ctx, target); err != nil {
			return change, err
		}
		for _, cidr := range duplicates {
			rule, ok := findRule(rules, target.Port, cidr)
			if !ok {
				return change, fmt.Errorf("aws: security group %s rejected a rule for %s on port %d as a duplicate, but lists no such rule; run the step again", target.SecurityGroupID, cidr, target.Port)
			}
			adopt = append(adopt, rule)
		}
	}
	var revoked []string
	for _, rule := range adopt {
		exists, err := p.adoptRule(ctx, target, rule, f.now())
		if err != nil {
			return change, err
		}
		if !exists {
			revoked = append(revoked, rule.cidr)
			continue
		}
		change.Adopted = append(change.Adopted, rule.cidr)
		change.OtherRequests = append(change.OtherRequests, rule.otherRequests(target.RequestID)...)
	}
	if err := p.addRevoked(ctx, target, revoked, &change); err != nil {
		return change, err
	}

	for _, rule := range release {
		if err := p.releaseRule(ctx, target, rule, f.now(), &change); err != nil {
			return change, err
		}
	}
	sortChange(&change)
	return change, nil
}

// addRevoked adds rules of the request's own for the ranges whose adopted
// rules their owners revoked while the request adopted them.
func (p *Provider) addRevoked(ctx context.Context, target cloud.FirewallTarget, cidrs []string, change *cloud.FirewallChange) error {
	duplicates, err := p.authorize(ctx, target, cidrs)
	if err != nil {
		return err
	}
	if len(duplicates) > 0 {
		return workflow.NotReady("aws: the rules for %s on port %d of security group %s were revoked and added again by another request while this one adopted them; run the step again to adopt them",
			strings.Join(duplicates, ", "), target.Port, target.SecurityGroupID)
	}
	change.Added = append(change.Added, cidrs...)
	return nil
}

func (f *Firewall) provider(ctx context.Context, target cloud.FirewallTarget) (*Provider, error) {
	if target.AWSRegion == "" || target.SecurityGroupID == "" || target.RequestID == "" {
		return nil, workflow.Invalid("aws: firewall target needs a region, a security group ID and a request ID; set $.egress.region and $.egress.security_group_id")
	}
	if target.Port < 1 || target.Port > 65535 {
		return nil, workflow.Invalid("aws: firewall port %d is out of range; set $.egress.port from 1 to 65535", target.Port)
	}
	return f.providers(ctx, target.AWSRegion)
}

// authorize adds one TCP rule per CIDR block and returns the blocks that
// EC2 rejected as duplicates. EC2 rejects the whole call when one of the
// rules exists already, so on InvalidPermission.Duplicate the rules are
// added one by one.
func (p *Provider) authorize(ctx context.Context, target cloud.FirewallTarget, cidrs []string) ([]string, error) {
	if len(cidrs) == 0 {
		return nil, nil
	}
	err := p.authorizeOnce(ctx, target, cidrs)
	switch {
	case err == nil:
		return nil, nil
	case apiCode(err) != duplicateRule:
		return nil, err
	case len(cidrs) == 1:
		return cidrs, nil
	}
	var duplicates []string
	for _, cidr := range cidrs {
		err := p.authorizeOnce(ctx, target, []string{cidr})
		switch {
		case apiCode(err) == duplicateRule:
			duplicates = append(duplicates, cidr)
		case err != nil:
			return nil, err
		}
	}
	return duplicates, nil
}

func (p *Provider) authorizeOnce(ctx context.Context, target cloud.FirewallTarget, cidrs []string) error {
	description := ruleDescription(target.RequestID)
	ranges := make([]types.IpRange, 0, len(cidrs))
	for _, cidr := range cidrs {
		ranges = append(ranges, types.IpRange{CidrIp: aws.String(cidr), Description: aws.String(description)})
	}
	_, err := p.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(target.SecurityGroupID),
		IpPermissions: []types.IpPermission{{
			IpProtocol: aws.String("tcp"),
			FromPort:   aws.Int32(int32(target.Port)),
			ToPort:     aws.Int32(int32(target.Port)),
			IpRanges:   ranges,
		}},
		TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeSecurityGroupRule,
			Tags:         ec2Tags(createTags("", target.RequestID, nil)),
		}},
	})
	if apiCode(err) == duplicateRule {
		return err
	}
	return classify(err, p.region, "allow %s on port %d in security group %s", strings.Join(cidrs, ", "), target.Port, target.SecurityGroupID)
}

// groupRules returns the inbound IPv4 rules of the security group,
// following all pages.
func (p *Provider) groupRules(ctx context.Context, target cloud.FirewallTarget) ([]ingressRule, error) {
	return p.describeRules(ctx, target, types.Filter{Name: aws.String("group-id"), Values: []string{target.SecurityGroupID}})
}

// readRule returns the inbound IPv4 rule id of the security group, or nil
// when it no longer exists. A filter, unlike SecurityGroupRuleIds, returns
// no error for a rule ID that is gone.
func (p *Provider) readRule(ctx context.Context, target cloud.FirewallTarget, id string) (*ingressRule, error) {
	rules, err := p.describeRules(ctx, target,
		types.Filter{Name: aws.String("group-id"), Values: []string{target.SecurityGroupID}},
		types.Filter{Name: aws.String("security-group-rule-id"), Values: []string{id}})
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	return &rules[0], nil
}

func (p *Provider) describeRules(ctx context.Context, target cloud.FirewallTarget, filters ...types.Filter) ([]ingressRule, error) {
	input := &ec2.DescribeSecurityGroupRulesInput{Filters: filters}
	var rules []ingressRule
	pages := ec2.NewDescribeSecurityGroupRulesPaginator(p.ec2, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err, p.region, "list rules of security group %s", target.SecurityGroupID)
		}
		for _, rule := range page.SecurityGroupRules {
			if aws.ToBool(rule.IsEgress) || aws.ToString(rule.CidrIpv4) == "" {
				continue
			}
			rules = append(rules, ingressRule{
				id:          aws.ToString(rule.SecurityGroupRuleId),
				protocol:    aws.ToString(rule.IpProtocol),
				fromPort:    int(aws.ToInt32(rule.FromPort)),
				toPort:      int(aws.ToInt32(rule.ToPort)),
				cidr:        aws.ToString(rule.CidrIpv4),
				description: aws.ToString(rule.Description),
				tags:        fromEC2Tags(rule.Tags),
			})
		}
	}
	return rules, nil
}

// findRule returns the TCP rule whose ports are exactly port and whose range
// is cidr. EC2 rejects a new rule like it as a duplicate.
func findRule(rules []ingressRule, port int, cidr string) (ingressRule, bool) {
	for _, rule := range rules {
		if rule.matchesPort(port) && rule.cidr == cidr {
			return rule, true
		}
	}
	return ingressRule{}, false
}

func (r ingressRule) matchesPort(port int) bool {
	return (r.protocol == "tcp" || r.protocol == "6") && r.fromPort == port && r.toPort == port
}

// ruleDescription is the description of the request's rules. EC2 allows
// only letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* in a description,
// up to 255 characters, so other characters of the request ID become '-'.
func ruleDescription(requestID string) string {
	var b strings.Builder
	b.WriteString("repolink request ")
	for _, r := range requestID {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" ._-:/()#,@[]+=&;{}!$*", r)) {
			b.WriteRune(r)
			continue
		}
		b.WriteByte('-')
	}
	description := b.String()
	if len(description) > 255 {
		description = description[:255]
	}
	return description
}

// normalizeCIDRs checks that every block is an IPv4 CIDR and returns the
// network form of each, without duplicates and sorted.
func normalizeCIDRs(cidrs []string) ([]string, error) {
	var out []string
	var errs []error
	for _, cidr := range cidrs {
		_, network, err := net.ParseCIDR(strings.TrimSpace(cidr))
		if err != nil || network.IP.To4() == nil {
			errs = append(errs, fmt.Errorf("%q is not an IPv4 CIDR block", cidr))
			continue
		}
		if s := network.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(errs) > 0 {
		return nil, workflow.Invalid("aws: firewall ranges: %v", errors.Join(errs...))
	}
	slices.Sort(out)
	return out, nil
}
