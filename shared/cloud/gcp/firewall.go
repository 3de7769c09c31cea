package gcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/repolink/repolink/shared/cloud"
)

var _ cloud.Firewall = (*Firewall)(nil)

// maxRangesPerRule is how many source ranges repolink puts into one rule.
//
// NOTE: 256 is a conservative choice; Compute Engine's documented limit
// on source ranges per rule was not checked against the live API.
const maxRangesPerRule = 256

// Firewall implements cloud.Firewall with VPC firewall rules named
// repolink-egress-<hash>-<n>, where the hash covers the request ID, the
// network and the port. Each rule allows TCP on the target's port from at
// most maxRangesPerRule ranges to the target tags.
type Firewall struct {
	p *Provider
}

// egressRulePrefix starts the name of every egress rule, whatever its
// request, network and port.
const egressRulePrefix = "repolink-egress-"

// ruleBase returns the name prefix of the target's rules on its port.
func ruleBase(target cloud.FirewallTarget) string {
	sum := sha256.Sum256([]byte(target.RequestID + "\x00" + target.Network + "\x00" + strconv.Itoa(target.Port)))
	return egressRulePrefix + hex.EncodeToString(sum[:])[:10] + "-"
}

// rules returns repolink's egress rules for the target's request and
// network on any port, by name. Rules on another port are those of a port
// that the request named before.
func (f *Firewall) rules(ctx context.Context, target cloud.FirewallTarget) (map[string]*cloud.GCPFirewallRule, error) {
	ctx, cancel := f.p.call(ctx)
	defer cancel()
	network := ref(target.Project, "global", "networks", target.Network)
	out := map[string]*cloud.GCPFirewallRule{}
	for fw, err := range f.p.firewalls.List(ctx, &computepb.ListFirewallsRequest{Project: target.Project}).All() {
		if err != nil {
			return nil, classify(err, target.Project, "list firewall rules")
		}
		rule := firewallOf(fw)
		if !strings.HasPrefix(rule.Name, egressRulePrefix) || rule.Tags[cloud.TagRequest] != target.RequestID || rule.Network != network {
			continue
		}
		out[rule.Name] = rule
	}
	return out, nil
}

// IngressRanges returns the source ranges that repolink's rules for the
// request allow on the target's port.
func (f *Firewall) IngressRanges(ctx context.Context, target cloud.FirewallTarget) ([]string, error) {
	rules, err := f.rules(ctx, target)
	if err != nil {
		return nil, err
	}
	base := ruleBase(target)
	var out []string
	for _, rule := range rules {
		if !strings.HasPrefix(rule.Name, base) || rule.Disabled || !allowsPort(rule.TCPPorts, target.Port) {
			continue
		}
		for _, r := range rule.SourceRanges {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// SetIngressRanges makes repolink's rules allow exactly cidrs on the
// target's port. Rules whose ranges or target tags differ are updated,
// missing rules are created, and rules no longer needed are deleted,
// including every rule of the request on a port it no longer names. No rule
// is left without source ranges, because an ingress rule without a source
// allows every address. Each request has rules of its own, named after it,
// because Compute Engine accepts rules that repeat another rule's ranges.
// No request relies on another's rule, and the change never lists adopted
// or kept ranges.
func (f *Firewall) SetIngressRanges(ctx context.Context, target cloud.FirewallTarget, cidrs []string) (cloud.FirewallChange, error) {
	want := slices.Clone(cidrs)
	slices.Sort(want)
	want = slices.Compact(want)
	rules, err := f.rules(ctx, target)
	if err != nil {
		return cloud.FirewallChange{}, err
	}
	base := ruleBase(target)
	change := rangeChange(rules, base, want)

	network := f.p.Network(target.Project)
	keep := map[string]bool{}
	for i := 0; i*maxRangesPerRule < len(want); i++ {
		chunk := want[i*maxRangesPerRule : min((i+1)*maxRangesPerRule, len(want))]
		name := base + strconv.Itoa(i)
		keep[name] = true
		spec := cloud.GCPFirewallRuleSpec{
			Name: name, RequestID: target.RequestID, Network: target.Network,
			TCPPorts: []string{strconv.Itoa(target.Port)}, SourceRanges: chunk, TargetTags: target.TargetTags,
		}
		existing, ok := rules[name]
		switch {
		case !ok:
			if _, err := network.CreateFirewallRule(ctx, spec); err != nil {
				return cloud.FirewallChange{}, err
			}
		case !sameRule(existing, spec):
			if err := network.UpdateFirewallRule(ctx, spec); err != nil {
				return cloud.FirewallChange{}, err
			}
			change.Updated = true
		}
	}
	for _, name := range sortedNames(rules) {
		if keep[name] {
			continue
		}
		err := network.insert(ctx, "delete firewall rule "+name, func(ctx context.Context) (*compute.Operation, error) {
			return f.p.firewalls.Delete(ctx, &computepb.DeleteFirewallRequest{Project: target.Project, Firewall: name})
		})
		if err != nil && !isNotFound(err) {
			return cloud.FirewallChange{}, fmt.Errorf("remove stale egress rule: %w", err)
		}
		change.Updated = true
	}
	return change, nil
}

// rangeChange returns the ranges that setting want adds to the rules named
// with base, and the ranges of every rule of the request that want drops.
func rangeChange(rules map[string]*cloud.GCPFirewallRule, base string, want []string) cloud.FirewallChange {
	var change cloud.FirewallChange
	var onPort, all []string
	for name, rule := range rules {
		all = append(all, rule.SourceRanges...)
		if strings.HasPrefix(name, base) {
			onPort = append(onPort, rule.SourceRanges...)
		}
	}
	for _, cidr := range want {
		if !slices.Contains(onPort, cidr) {
			change.Added = append(change.Added, cidr)
		}
	}
	slices.Sort(all)
	for _, cidr := range slices.Compact(all) {
		if !slices.Contains(want, cidr) {
			change.Removed = append(change.Removed, cidr)
		}
	}
	return change
}

// sameRule reports whether an existing rule already matches spec.
func sameRule(rule *cloud.GCPFirewallRule, spec cloud.GCPFirewallRuleSpec) bool {
	ranges := slices.Clone(rule.SourceRanges)
	slices.Sort(ranges)
	tags := slices.Clone(rule.TargetTags)
	slices.Sort(tags)
	wantTags := slices.Clone(spec.TargetTags)
	slices.Sort(wantTags)
	return !rule.Disabled && rule.Direction == "INGRESS" && slices.Equal(ranges, spec.SourceRanges) &&
		slices.Equal(rule.TCPPorts, spec.TCPPorts) && slices.Equal(tags, wantTags)
}

// allowsPort reports whether one of the TCP ports or ranges covers port.
func allowsPort(ports []string, port int) bool {
	for _, p := range ports {
		lo, hi, isRange := strings.Cut(p, "-")
		from, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		to := from
		if isRange {
			if to, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if from <= port && port <= to {
			return true
		}
	}
	return false
}

func sortedNames(m map[string]*cloud.GCPFirewallRule) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
