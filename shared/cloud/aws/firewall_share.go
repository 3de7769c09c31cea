package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
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
// or an administrator created, and reads the rule again. Tagging a tag that
// exists already with the same value changes nothing, so adopting twice is
// harmless. It reports false when the rule is gone, because its owner
// revoked it after the group was listed, so that the caller adds a rule of
// the request's own.
//
// The tag is written before the rule is read again, and an owner that
// lets a rule go writes its releasing tag before it reads the rule again
// (see releaseRule). So of two requests doing both at the same moment, at
// least one reads the other's tag. When the owner missed the adopter tag,
// the adopter finds the fresh releasing tag. The owner may revoke the rule
// in a moment, so adoptRule returns NotReady, and the step runs again once
// the owner has revoked the rule or passed it on.
//
// NOTE: the EC2 API is eventually consistent (EC2 developer guide,
// "Eventual consistency in the Amazon EC2 API"), so a tag written a moment
// before the other request's read can still be missing from it. In that
// window both requests can miss each other, and the rule is revoked while
// the adopter relies on it until its next refresh adds it again. EC2 has
// no conditional write on tags that would close the window.
func (p *Provider) adoptRule(ctx context.Context, target cloud.FirewallTarget, rule ingressRule, now time.Time) (bool, error) {
	_, err := p.ec2.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{rule.id},
		Tags:      []types.Tag{{Key: aws.String(adopterTagKey(target.RequestID)), Value: aws.String(target.RequestID)}},
	})
	if apiCode(err) == ruleNotFound {
		return false, nil
	}
	if err != nil {
		return false, classify(err, p.region, "tag rule %s (%s on port %d) of security group %s as adopted by request %q",
			rule.id, rule.cidr, target.Port, target.SecurityGroupID, target.RequestID)
	}

	current, err := p.readRule(ctx, target, rule.id)
	if err != nil || current == nil {
		return false, err
	}
	if releaser, ok := current.releasing(now); ok && releaser != target.RequestID && !current.ownedBy(target.RequestID) {
		return false, workflow.NotReady("aws: request %q is letting go of rule %s (%s on port %d) of security group %s that this request adopts; run the step again once it has revoked the rule or passed it on",
			releaser, rule.id, rule.cidr, target.Port, target.SecurityGroupID)
	}
	return true, nil
}

// maxHandOvers bounds how many requests releaseRule tries to pass one rule
// to, when each of them lets go of the rule at the same moment.
const maxHandOvers = 5

// releaseRule makes the request stop relying on rule and records in change
// what happened. From a rule it adopted it removes its own tag. A rule it
// owns it revokes when no other request's adopter tag remains, and passes
// on to the first of those requests otherwise.
//
// The owner first sets the releasing tag and only then reads the rule
// again to decide, so that a request adopting the rule at the same moment
// either shows up in that read or finds the releasing tag (see adoptRule).
// A request that removed its adopter tag reads the rule again too: when the
// owner passed the rule to it meanwhile, it lets go of the rule as its
// owner. The owner in turn reads the rule after passing it on, and when the
// new owner's adopter tag is gone, it tries the next request or revokes the
// rule.
func (p *Provider) releaseRule(ctx context.Context, target cloud.FirewallTarget, rule ingressRule, now time.Time, change *cloud.FirewallChange) error {
	self := target.RequestID
	if !rule.ownedBy(self) {
		if err := p.removeTags(ctx, target, rule, adopterTag(self)); err != nil {
			return err
		}
		current, err := p.readRule(ctx, target, rule.id)
		if err != nil || current == nil {
			return err
		}
		if !current.ownedBy(self) {
			change.Kept = append(change.Kept, rule.cidr)
			change.OtherRequests = append(change.OtherRequests, current.otherRequests(self)...)
			return nil
		}
	}

	intent := releasingTag(self, now)
	if _, err := p.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{rule.id}, Tags: []types.Tag{intent}}); err != nil {
		if apiCode(err) == ruleNotFound {
			return nil
		}
		return classify(err, p.region, "tag rule %s (%s on port %d) of security group %s as let go by request %q",
			rule.id, rule.cidr, target.Port, target.SecurityGroupID, self)
	}

	// left are the requests that the rule was passed to but that let go of
	// it at the same moment.
	var left []string
	for range maxHandOvers {
		current, err := p.readRule(ctx, target, rule.id)
		if err != nil || current == nil {
			return err
		}
		if owner := current.tags[cloud.TagRequest]; !current.ownedBy(self) && !slices.Contains(left, owner) {
			// Another request owns the rule now, which passed it on or took it
			// over after this request read it.
			change.Kept = append(change.Kept, rule.cidr)
			change.OtherRequests = append(change.OtherRequests, current.otherRequests(self)...)
			return p.removeTags(ctx, target, *current, adopterTag(self), intent)
		}

		var next string
		for _, id := range current.claimants(self) {
			if !slices.Contains(left, id) {
				next = id
				break
			}
		}
		if next == "" {
			change.Removed = append(change.Removed, rule.cidr)
			return p.revoke(ctx, target, *current)
		}

		if err := p.passOn(ctx, target, *current, next); err != nil {
			return err
		}
		passed, err := p.readRule(ctx, target, rule.id)
		if err != nil || passed == nil {
			return err
		}
		if passed.adoptedBy(next) {
			change.Kept = append(change.Kept, rule.cidr)
			change.OtherRequests = append(change.OtherRequests, passed.otherRequests(self)...)
			return p.removeTags(ctx, target, *passed, adopterTag(self), intent)
		}
		left = append(left, next)
	}
	return workflow.Errorf(workflow.ErrTransient,
		"aws: rule %s (%s on port %d) of security group %s was passed to %d requests that each let go of it at the same moment; run the step again",
		rule.id, rule.cidr, target.Port, target.SecurityGroupID, maxHandOvers)
}

// passOn makes the adopter the owner of the rule: it sets the rule's
// description to name the adopter, then the repolink:request tag to its ID.
// The adopter keeps its adopter tag, which shows that it still relies on
// the rule. So when two requests pass the same rule on at the same moment,
// neither removes a tag that the other's new owner relies on.
//
// The description comes first because the tag decides ownership. When the
// tag write fails, the rule still belongs to this request, which passes it
// on again on the next run and writes the description again.
func (p *Provider) passOn(ctx context.Context, target cloud.FirewallTarget, rule ingressRule, adopter string) error {
	_, err := p.ec2.UpdateSecurityGroupRuleDescriptionsIngress(ctx, &ec2.UpdateSecurityGroupRuleDescriptionsIngressInput{
		GroupId: aws.String(target.SecurityGroupID),
		SecurityGroupRuleDescriptions: []types.SecurityGroupRuleDescription{{
			SecurityGroupRuleId: aws.String(rule.id),
			Description:         aws.String(ruleDescription(adopter)),
		}},
	})
	if apiCode(err) == ruleNotFound {
		return nil
	}
	if err != nil {
		return classify(err, p.region, "set the description of rule %s (%s on port %d) of security group %s to name request %q",
			rule.id, rule.cidr, target.Port, target.SecurityGroupID, adopter)
	}

	_, err = p.ec2.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{rule.id},
		Tags:      []types.Tag{{Key: aws.String(cloud.TagRequest), Value: aws.String(adopter)}},
	})
	if apiCode(err) == ruleNotFound {
		return nil
	}
	return classify(err, p.region, "pass rule %s (%s on port %d) of security group %s from request %q to request %q",
		rule.id, rule.cidr, target.Port, target.SecurityGroupID, target.RequestID, adopter)
}

// revoke revokes the rule. A rule that is gone already, revoked by another
// request that let go of it at the same moment, is no error.
func (p *Provider) revoke(ctx context.Context, target cloud.FirewallTarget, rule ingressRule) error {
	_, err := p.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId:              aws.String(target.SecurityGroupID),
		SecurityGroupRuleIds: []string{rule.id},
	})
	if apiCode(err) == ruleNotFound {
		return nil
	}
	return classify(err, p.region, "revoke rule %s (%s on port %d) of request %q from security group %s",
		rule.id, rule.cidr, target.Port, target.RequestID, target.SecurityGroupID)
}

// removeTags removes tags from the rule. DeleteTags removes each tag only
// while it has the given value, and a tag or rule that is gone already is
// no error.
func (p *Provider) removeTags(ctx context.Context, target cloud.FirewallTarget, rule ingressRule, tags ...types.Tag) error {
	_, err := p.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{rule.id}, Tags: tags})
	if apiCode(err) == ruleNotFound {
		return nil
	}
	return classify(err, p.region, "remove the tags of request %q from rule %s of security group %s",
		target.RequestID, rule.id, target.SecurityGroupID)
}

func adopterTag(requestID string) types.Tag {
	return types.Tag{Key: aws.String(adopterTagKey(requestID)), Value: aws.String(requestID)}
}

// releasingTagKey is the key of the tag that an owner sets on a rule
// before it decides whether to revoke it. The value is the time, in RFC
// 3339, a space and the owner's request ID.
const releasingTagKey = "repolink:releasing"

// releaseWindow is how long a releasing tag makes adopters wait. An owner
// revokes within one EC2 call of reading the rule, so a tag older than
// this is left over from a step that stopped in between.
const releaseWindow = 5 * time.Minute

func releasingTag(requestID string, now time.Time) types.Tag {
	return types.Tag{Key: aws.String(releasingTagKey), Value: aws.String(now.UTC().Format(time.RFC3339) + " " + requestID)}
}

// releasing returns the request whose releasing tag on the rule was set
// less than releaseWindow before now.
func (r ingressRule) releasing(now time.Time) (string, bool) {
	at, requestID, ok := strings.Cut(r.tags[releasingTagKey], " ")
	if !ok {
		return "", false
	}
	set, err := time.Parse(time.RFC3339, at)
	if err != nil || now.Sub(set) >= releaseWindow {
		return "", false
	}
	return requestID, true
}

// claimants returns the IDs of the requests other than requestID that
// carry an adopter tag on the rule, owner or not, sorted.
func (r ingressRule) claimants(requestID string) []string {
	var ids []string
	for key, value := range r.tags {
		if value != requestID && key == adopterTagKey(value) {
			ids = append(ids, value)
		}
	}
	slices.Sort(ids)
	return ids
}

// sortChange sorts each list of change and drops repeated entries.
func sortChange(change *cloud.FirewallChange) {
	for _, list := range []*[]string{&change.Added, &change.Adopted, &change.Removed, &change.Kept, &change.OtherRequests} {
		slices.Sort(*list)
		*list = slices.Compact(*list)
	}
}
