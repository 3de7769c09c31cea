package azure

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/workflow"
)

var _ cloud.Firewall = (*Firewall)(nil)

// Priorities that network security group rules may use.
const (
	minRulePriority = 100
	maxRulePriority = 4096
)

// Firewall implements cloud.Firewall on network security groups. Each
// request gets one inbound allow rule per port, named after the request,
// whose source prefixes are the allowed ranges. It builds clients for the
// subscription of each security group ID, and is safe for concurrent use.
type Firewall struct {
	cred azcore.TokenCredential
	co   *arm.ClientOptions
	poll *runtime.PollUntilDoneOptions

	mu      sync.Mutex
	clients map[string]*armnetwork.ClientFactory
}

// NewFirewall returns a firewall adapter; opts.SubscriptionID is ignored.
func NewFirewall(opts Options) (*Firewall, error) {
	cred, err := opts.credential()
	if err != nil {
		return nil, err
	}
	return &Firewall{cred: cred, co: opts.clientOptions(), poll: opts.pollOptions(), clients: map[string]*armnetwork.ClientFactory{}}, nil
}

func (f *Firewall) factory(subscription string) (*armnetwork.ClientFactory, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if factory, ok := f.clients[subscription]; ok {
		return factory, nil
	}
	factory, err := armnetwork.NewClientFactory(subscription, f.cred, f.co)
	if err != nil {
		return nil, fmt.Errorf("azure: build network clients for subscription %s: %w", subscription, err)
	}
	f.clients[subscription] = factory
	return factory, nil
}

// IngressRanges returns the source prefixes of the request's rule, or none
// when the rule does not exist.
func (f *Firewall) IngressRanges(ctx context.Context, target cloud.FirewallTarget) ([]string, error) {
	nsg, err := parseID(target.NetworkSecurityGroupID, "Microsoft.Network/networkSecurityGroups")
	if err != nil {
		return nil, err
	}
	factory, err := f.factory(nsg.SubscriptionID)
	if err != nil {
		return nil, err
	}
	name := RuleName(target.RequestID, target.Port)
	resp, err := factory.NewSecurityRulesClient().Get(ctx, nsg.ResourceGroupName, nsg.Name, name, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "get security rule %s of %s", name, target.NetworkSecurityGroupID)
	}
	return sourcePrefixes(resp.SecurityRule), nil
}

// SetIngressRanges writes the request's rule for the target's port with
// exactly cidrs as source prefixes, deletes it when cidrs is empty, and
// changes nothing when the rule already lists them. It also deletes the
// request's rules on every other port, so that a port change or a teardown
// leaves no rule of an earlier port open. Each request has a rule of its
// own, because Azure requires only the name, and the priority within a
// direction, to be unique in a group. So two requests' rules may list the
// same ranges. No request relies on another's rule, and the change never
// lists adopted or kept ranges.
//
// A new rule takes the lowest priority that no inbound rule of the group
// uses. Two requests that read the group at the same moment would pick the
// same one, so the group is written whole with If-Match set to the etag it
// was read with. Resource Manager responds with 412 when another write
// changed the group in between, and then the group is read again and the
// priority picked again, up to maxGroupWrites times. Kubernetes' Azure cloud
// provider relies on the same precondition for its writes to security
// groups.
func (f *Firewall) SetIngressRanges(ctx context.Context, target cloud.FirewallTarget, cidrs []string) (cloud.FirewallChange, error) {
	nsg, err := parseID(target.NetworkSecurityGroupID, "Microsoft.Network/networkSecurityGroups")
	if err != nil {
		return cloud.FirewallChange{}, err
	}
	factory, err := f.factory(nsg.SubscriptionID)
	if err != nil {
		return cloud.FirewallChange{}, err
	}
	groups := factory.NewSecurityGroupsClient()

	for attempt := 1; ; attempt++ {
		resp, err := groups.Get(ctx, nsg.ResourceGroupName, nsg.Name, nil)
		if err != nil {
			return cloud.FirewallChange{}, classify(err, "get network security group %s", target.NetworkSecurityGroupID)
		}
		change, updated, err := withRequestRule(resp.SecurityGroup, target, cidrs)
		if err != nil || updated == nil {
			return change, err
		}

		err = f.writeGroup(ctx, groups, nsg, updated)
		switch {
		case err == nil:
			return change, nil
		case !isPreconditionFailed(err):
			return cloud.FirewallChange{}, classify(err, "write rule %s of %s", RuleName(target.RequestID, target.Port), target.NetworkSecurityGroupID)
		case attempt == maxGroupWrites:
			return cloud.FirewallChange{}, workflow.Errorf(workflow.ErrTransient,
				"azure: network security group %s changed during each of %d writes of rule %s; run the step again",
				target.NetworkSecurityGroupID, maxGroupWrites, RuleName(target.RequestID, target.Port))
		}
	}
}

// maxGroupWrites bounds how often SetIngressRanges reads a network security
// group again after another writer changed it between read and write.
const maxGroupWrites = 5

// withRequestRule returns the change that makes the request's rule in group
// allow exactly cidrs on the target's port, and a copy of group with that
// change made, or nil when the rule is right already. The copy drops the
// request's rules on every other port, which are left from a port that the
// request named before.
func withRequestRule(group armnetwork.SecurityGroup, target cloud.FirewallTarget, cidrs []string) (cloud.FirewallChange, *armnetwork.SecurityGroup, error) {
	var change cloud.FirewallChange
	name := RuleName(target.RequestID, target.Port)
	var rules []*armnetwork.SecurityRule
	var existing *armnetwork.SecurityRule
	var dropped []string
	if group.Properties != nil {
		for _, rule := range group.Properties.SecurityRules {
			switch {
			case rule != nil && strings.EqualFold(str(rule.Name), name):
				existing = rule
			case rule != nil && isRequestRule(str(rule.Name), target.RequestID):
				dropped = append(dropped, sourcePrefixes(*rule)...)
			default:
				rules = append(rules, rule)
			}
		}
	}

	want := normalized(cidrs)
	var before []string
	if existing != nil {
		before = normalized(sourcePrefixes(*existing))
	}
	change.Added = difference(want, before)
	change.Removed = difference(normalized(append(dropped, before...)), want)
	change.Updated = len(dropped) > 0 || existing != nil && !slices.Equal(before, want)
	switch {
	case len(want) == 0 && existing == nil && len(dropped) == 0:
		return change, nil, nil
	case len(want) == 0:
		return change, withRules(group, rules), nil
	case existing != nil && slices.Equal(before, want) && len(dropped) == 0:
		return change, nil, nil
	}

	priority := int32(0)
	if existing != nil && existing.Properties != nil && existing.Properties.Priority != nil {
		priority = *existing.Properties.Priority
	}
	if priority == 0 {
		var err error
		if priority, err = freePriority(group); err != nil {
			return cloud.FirewallChange{}, nil, fmt.Errorf("azure: %w in %s", err, target.NetworkSecurityGroupID)
		}
	}
	// NOTE: the request names no address of the repository, so the rule has
	// destination * and applies to everything the group is attached to.
	rule := &armnetwork.SecurityRule{Name: to(name), Properties: &armnetwork.SecurityRulePropertiesFormat{
		Description:              to(truncate(cloud.TagRequest+"="+target.RequestID+": Snowflake egress ranges", 140)),
		Access:                   to(armnetwork.SecurityRuleAccessAllow),
		Direction:                to(armnetwork.SecurityRuleDirectionInbound),
		Protocol:                 to(armnetwork.SecurityRuleProtocolTCP),
		Priority:                 to(priority),
		SourcePortRange:          to("*"),
		DestinationAddressPrefix: to("*"),
		DestinationPortRange:     to(strconv.Itoa(target.Port)),
		SourceAddressPrefixes:    toPointers(want),
	}}
	return change, withRules(group, append(rules, rule)), nil
}

// withRules returns a copy of group with rules as its security rules. The
// copy keeps every other field as read, so that the write changes nothing
// else. Resource Manager ignores the read-only fields among them.
func withRules(group armnetwork.SecurityGroup, rules []*armnetwork.SecurityRule) *armnetwork.SecurityGroup {
	updated := group
	props := armnetwork.SecurityGroupPropertiesFormat{}
	if group.Properties != nil {
		props = *group.Properties
	}
	props.SecurityRules = rules
	updated.Properties = &props
	return &updated
}

// writeGroup writes group with If-Match set to the etag it was read with.
// Only the write carries the header: the poller's reads of the operation
// and of the group use ctx as given.
func (f *Firewall) writeGroup(ctx context.Context, groups *armnetwork.SecurityGroupsClient, nsg *arm.ResourceID, group *armnetwork.SecurityGroup) error {
	writeCtx := ctx
	if etag := str(group.Etag); etag != "" {
		writeCtx = policy.WithHTTPHeader(ctx, http.Header{"If-Match": {etag}})
	}
	poller, err := groups.BeginCreateOrUpdate(writeCtx, nsg.ResourceGroupName, nsg.Name, *group, nil)
	_, err = wait(ctx, poller, err, f.poll)
	return err
}

// isPreconditionFailed reports whether err is Resource Manager's 412 for an
// If-Match etag that no longer matches.
func isPreconditionFailed(err error) bool {
	var respErr *azcore.ResponseError
	return errors.As(err, &respErr) && respErr.StatusCode == http.StatusPreconditionFailed
}

var ruleNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// RuleName returns the name of the request's rule for port: readable, at
// most 80 characters, and unique per request ID through a hash.
func RuleName(requestID string, port int) string {
	return ruleNamePrefix(requestID) + strconv.Itoa(port)
}

// ruleNamePrefix returns the part of the request's rule names before the
// port.
func ruleNamePrefix(requestID string) string {
	sum := sha256.Sum256([]byte(requestID))
	readable := strings.Trim(ruleNameUnsafe.ReplaceAllString(requestID, "-"), "-.")
	if len(readable) > 40 {
		readable = readable[:40]
	}
	return fmt.Sprintf("repolink-%s-%s-", readable, hex.EncodeToString(sum[:])[:8])
}

// isRequestRule reports whether name is RuleName of the request for some
// port. A rule name of another request that starts with the same prefix
// does not match, because the rest of it contains that request's hash and
// a dash, not only the digits of a port.
func isRequestRule(name, requestID string) bool {
	prefix := ruleNamePrefix(requestID)
	if len(name) <= len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return false
	}
	_, err := strconv.ParseUint(name[len(prefix):], 10, 16)
	return err == nil
}

// freePriority returns the lowest priority that no inbound rule of the
// group uses.
func freePriority(group armnetwork.SecurityGroup) (int32, error) {
	used := map[int32]bool{}
	if group.Properties != nil {
		for _, rule := range group.Properties.SecurityRules {
			if rule == nil || rule.Properties == nil || rule.Properties.Priority == nil {
				continue
			}
			if d := rule.Properties.Direction; d != nil && *d != armnetwork.SecurityRuleDirectionInbound {
				continue
			}
			used[*rule.Properties.Priority] = true
		}
	}
	for p := int32(minRulePriority); p <= maxRulePriority; p++ {
		if !used[p] {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free inbound rule priority between %d and %d", minRulePriority, maxRulePriority)
}

func sourcePrefixes(rule armnetwork.SecurityRule) []string {
	if rule.Properties == nil {
		return nil
	}
	var out []string
	if p := str(rule.Properties.SourceAddressPrefix); p != "" {
		out = append(out, p)
	}
	for _, p := range rule.Properties.SourceAddressPrefixes {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// difference returns the entries of a that b lacks.
func difference(a, b []string) []string {
	var out []string
	for _, v := range a {
		if !slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

// normalized returns the distinct prefixes, sorted.
func normalized(cidrs []string) []string {
	out := slices.Clone(cidrs)
	slices.Sort(out)
	return slices.Compact(out)
}

func toPointers(values []string) []*string {
	out := make([]*string, len(values))
	for i := range values {
		out[i] = &values[i]
	}
	return out
}

func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max]
}
