package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

var _ cloud.Firewall = (*Firewall)(nil)

// Firewall implements cloud.Firewall with the inbound rules of an EC2
// security group. Every rule it adds carries the tag repolink:request with
// the request ID and a description that names the request, and it reads and
// removes only rules tagged that way. A rule without a repolink:request tag
// counts as the request's when its description matches, so that rules whose
// tags were removed are still found.
type Firewall struct {
	providers func(ctx context.Context, region string) (*Provider, error)
}

// NewFirewall returns a Firewall that uses providers to get the Provider of
// a target's region.
func NewFirewall(providers func(ctx context.Context, region string) (*Provider, error)) *Firewall {
	return &Firewall{providers: providers}
}

// duplicateRule is the error code of AuthorizeSecurityGroupIngress for a
// rule that exists already.
const duplicateRule = "InvalidPermission.Duplicate"

// ingressRule is one of the request's inbound rules.
type ingressRule struct {
	id       string
	protocol string
	fromPort int
	toPort   int
	cidr     string
}

// IngressRanges returns the CIDR blocks that the request's TCP rules allow
// on the target's port, sorted.
func (f *Firewall) IngressRanges(ctx context.Context, target cloud.FirewallTarget) ([]string, error) {
	p, err := f.provider(ctx, target)
	if err != nil {
		return nil, err
	}
	rules, err := p.requestRules(ctx, target)
	if err != nil {
		return nil, err
	}
	var cidrs []string
	for _, rule := range rules {
		if rule.matchesPort(target.Port) && !slices.Contains(cidrs, rule.cidr) {
			cidrs = append(cidrs, rule.cidr)
		}
	}
	slices.Sort(cidrs)
	return cidrs, nil
}

// SetIngressRanges makes the request's rules allow exactly cidrs on TCP
// target.Port. It adds the missing rules before it revokes the others, so
// that a range in both the old and the new set is never closed in between.
func (f *Firewall) SetIngressRanges(ctx context.Context, target cloud.FirewallTarget, cidrs []string) error {
	want, err := normalizeCIDRs(cidrs)
	if err != nil {
		return err
	}
	p, err := f.provider(ctx, target)
	if err != nil {
		return err
	}
	rules, err := p.requestRules(ctx, target)
	if err != nil {
		return err
	}

	var present, revoke []string
	for _, rule := range rules {
		if rule.matchesPort(target.Port) && slices.Contains(want, rule.cidr) && !slices.Contains(present, rule.cidr) {
			present = append(present, rule.cidr)
			continue
		}
		revoke = append(revoke, rule.id)
	}
	var add []string
	for _, cidr := range want {
		if !slices.Contains(present, cidr) {
			add = append(add, cidr)
		}
	}

	if err := p.authorize(ctx, target, add); err != nil {
		return err
	}
	if len(revoke) == 0 {
		return nil
	}
	_, err = p.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId:              aws.String(target.SecurityGroupID),
		SecurityGroupRuleIds: revoke,
	})
	return classify(err, p.region, "revoke %d rules of request %q from security group %s", len(revoke), target.RequestID, target.SecurityGroupID)
}

func (f *Firewall) provider(ctx context.Context, target cloud.FirewallTarget) (*Provider, error) {
	if target.AWSRegion == "" || target.SecurityGroupID == "" || target.RequestID == "" {
		return nil, workflow.Invalid("aws: firewall target needs a region, a security group ID and a request ID; set egress.region and egress.security_group_id")
	}
	if target.Port < 1 || target.Port > 65535 {
		return nil, workflow.Invalid("aws: firewall port %d is out of range; set egress.port from 1 to 65535", target.Port)
	}
	return f.providers(ctx, target.AWSRegion)
}

// authorize adds one TCP rule per CIDR block. EC2 rejects the whole call
// when one of the rules exists already, for instance one that someone added
// by hand. On InvalidPermission.Duplicate the rules are therefore added one
// by one, and each duplicate is left to its owner, because its range is
// open either way.
func (p *Provider) authorize(ctx context.Context, target cloud.FirewallTarget, cidrs []string) error {
	if len(cidrs) == 0 {
		return nil
	}
	err := p.authorizeOnce(ctx, target, cidrs)
	switch {
	case err == nil:
		return nil
	case apiCode(err) != duplicateRule:
		return err
	case len(cidrs) == 1:
		return nil
	}
	for _, cidr := range cidrs {
		if err := p.authorizeOnce(ctx, target, []string{cidr}); err != nil && apiCode(err) != duplicateRule {
			return err
		}
	}
	return nil
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

// requestRules returns the inbound IPv4 rules of the security group that
// belong to the request, following all pages.
func (p *Provider) requestRules(ctx context.Context, target cloud.FirewallTarget) ([]ingressRule, error) {
	input := &ec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{target.SecurityGroupID}}},
	}
	description := ruleDescription(target.RequestID)
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
			tags := fromEC2Tags(rule.Tags)
			owner, tagged := tags[cloud.TagRequest]
			if tagged && owner != target.RequestID || !tagged && aws.ToString(rule.Description) != description {
				continue
			}
			rules = append(rules, ingressRule{
				id:       aws.ToString(rule.SecurityGroupRuleId),
				protocol: aws.ToString(rule.IpProtocol),
				fromPort: int(aws.ToInt32(rule.FromPort)),
				toPort:   int(aws.ToInt32(rule.ToPort)),
				cidr:     aws.ToString(rule.CidrIpv4),
			})
		}
	}
	return rules, nil
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
