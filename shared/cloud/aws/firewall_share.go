package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/repolink/repolink/shared/cloud"
)

// adopterTagPrefix starts the key of the tag that marks a rule as adopted by
// a request that did not create it.
const adopterTagPrefix = "repolink:adopted-by:"

// adopterTagKey returns the key of the request's adopter tag. The key ends
// in a hash of the request ID, because an ID may have 200 characters and
// an EC2 tag key at most 128. The tag's value is the ID itself.
func adopterTagKey(requestID string) string {
	sum := sha256.Sum256([]byte(requestID))
	return adopterTagPrefix + hex.EncodeToString(sum[:8])
}

// ownedBy reports whether the request created the rule, or took it over
// from the request that did.
func (r ingressRule) ownedBy(requestID string) bool {
	if owner, tagged := r.tags[cloud.TagRequest]; tagged {
		return owner == requestID
	}
	return r.description == ruleDescription(requestID)
}

// adoptedBy reports whether the rule carries the request's adopter tag.
func (r ingressRule) adoptedBy(requestID string) bool {
	value, ok := r.tags[adopterTagKey(requestID)]
	return ok && value == requestID
}

func (r ingressRule) reliedOnBy(requestID string) bool {
	return r.ownedBy(requestID) || r.adoptedBy(requestID)
}

// adopters returns the IDs of the requests other than requestID that
// adopted the rule and do not own it, sorted.
func (r ingressRule) adopters(requestID string) []string {
	var ids []string
	for key, value := range r.tags {
		if key != adopterTagKey(value) || value == requestID || r.ownedBy(value) {
			continue
		}
		ids = append(ids, value)
	}
	slices.Sort(ids)
	return ids
}

// otherRequests returns the IDs of the requests other than requestID that
// rely on the rule: its owner when the repolink:request tag names one, and
// its adopters.
func (r ingressRule) otherRequests(requestID string) []string {
	ids := r.adopters(requestID)
	if owner := r.tags[cloud.TagRequest]; owner != "" && owner != requestID {
		ids = append(ids, owner)
	}
	slices.Sort(ids)
	return ids
}

// adoptRule adds the request's adopter tag to a rule that another request
// or an administrator created. Tagging a tag that exists already with the
// same value changes nothing, so adopting twice is harmless.
func (p *Provider) adoptRule(ctx context.Context, target cloud.FirewallTarget, rule ingressRule) error {
	_, err := p.ec2.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{rule.id},
		Tags:      []types.Tag{{Key: aws.String(adopterTagKey(target.RequestID)), Value: aws.String(target.RequestID)}},
	})
	return classify(err, p.region, "tag rule %s (%s on port %d) of security group %s as adopted by request %q",
		rule.id, rule.cidr, target.Port, target.SecurityGroupID, target.RequestID)
}

// releaseRules makes the request stop relying on rules. It revokes the
// rules that the request owns and no other request adopted. It keeps the
// others: a rule it owns passes to its first adopter, and from a rule it
// adopted it removes only its own tag. change records what happened.
//
// NOTE: the rules were listed before this call, so a request that adopts a
// rule in between loses it to the revoke and adds it again on its next
// refresh.
func (p *Provider) releaseRules(ctx context.Context, target cloud.FirewallTarget, rules []ingressRule, change *cloud.FirewallChange) error {
	var revoke []string
	for _, rule := range rules {
		adopters := rule.adopters(target.RequestID)
		if rule.ownedBy(target.RequestID) && len(adopters) == 0 {
			revoke = append(revoke, rule.id)
			change.Removed = append(change.Removed, rule.cidr)
			continue
		}

		var err error
		if rule.ownedBy(target.RequestID) {
			err = p.handOver(ctx, target, rule, adopters[0])
		} else {
			err = p.deleteTags(ctx, target, rule, target.RequestID)
		}
		if err != nil {
			return err
		}
		change.Kept = append(change.Kept, rule.cidr)
		change.OtherRequests = append(change.OtherRequests, rule.otherRequests(target.RequestID)...)
	}
	if len(revoke) == 0 {
		return nil
	}
	_, err := p.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId:              aws.String(target.SecurityGroupID),
		SecurityGroupRuleIds: revoke,
	})
	return classify(err, p.region, "revoke %d rules of request %q from security group %s", len(revoke), target.RequestID, target.SecurityGroupID)
}

// handOver makes the adopter the owner of a rule that the request owns: it
// sets the repolink:request tag to the adopter's ID, then removes the
// adopter's tag and any of the request's own. If the second call fails,
// the adopter holds both tags, which still counts as owning the rule.
//
// NOTE: the rule's description keeps naming the request that created it.
// Only a rule without a repolink:request tag is matched by description.
func (p *Provider) handOver(ctx context.Context, target cloud.FirewallTarget, rule ingressRule, adopter string) error {
	_, err := p.ec2.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{rule.id},
		Tags:      []types.Tag{{Key: aws.String(cloud.TagRequest), Value: aws.String(adopter)}},
	})
	if err := classify(err, p.region, "pass rule %s (%s on port %d) of security group %s from request %q to request %q",
		rule.id, rule.cidr, target.Port, target.SecurityGroupID, target.RequestID, adopter); err != nil {
		return err
	}
	return p.deleteTags(ctx, target, rule, adopter, target.RequestID)
}

// deleteTags removes the adopter tags of the requests from the rule. Each
// tag goes only while its value is still the request's ID, and a tag that
// is missing already is no error.
func (p *Provider) deleteTags(ctx context.Context, target cloud.FirewallTarget, rule ingressRule, requestIDs ...string) error {
	tags := make([]types.Tag, 0, len(requestIDs))
	for _, id := range requestIDs {
		tags = append(tags, types.Tag{Key: aws.String(adopterTagKey(id)), Value: aws.String(id)})
	}
	_, err := p.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{rule.id}, Tags: tags})
	return classify(err, p.region, "remove the adopter tags of %q from rule %s of security group %s",
		requestIDs, rule.id, target.SecurityGroupID)
}

// sortChange sorts each list of change and drops repeated entries.
func sortChange(change *cloud.FirewallChange) {
	for _, list := range []*[]string{&change.Added, &change.Adopted, &change.Removed, &change.Kept, &change.OtherRequests} {
		slices.Sort(*list)
		*list = slices.Compact(*list)
	}
}
