// Package teardowngcp removes what the gcp-privatelink route built for a
// request, after the shared steps have dropped the Snowflake objects and
// deprovisioned the endpoint. Connections waits until the service
// attachment has no live consumer endpoint. The other steps then delete the
// service attachment, the forwarding rule, the backend service, the health
// check, the instance group, the proxy VM, the firewall rules and last the
// Private Service Connect subnet when repolink created it and no other
// request uses it. Each deletes only what carries the request's
// tag and reports skipped when it finds nothing. The subnet is the
// exception, because the requests that set the same gcp.psc_subnet share
// it. While another resource of the request still uses a resource, the
// step returns NotReady, so that the state machine retries with backoff. When a resource that is not the request's uses it, such as
// another request's service attachment on a shared subnet, the step reports
// it as kept with the reason, and the teardown goes on.
package teardowngcp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/gcproute"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Output names the resource that a step removed or looked at.
type Output = workflow.Result

// Connections returns NotReady while the request's service attachment has
// a consumer endpoint that is not REJECTED or CLOSED, and reports checked
// once none is left.
func Connections(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	name := gcproute.NamesFor(req).ServiceAttachment
	sa, err := network.FindServiceAttachment(ctx, req.GCP.Region, name)
	if err != nil {
		return Output{}, fmt.Errorf("find service attachment %s: %w", name, err)
	}
	if sa == nil {
		return Output{Action: workflow.Skipped, ID: name}, nil
	}
	if live := Live(sa.ConnectedEndpoints); len(live) > 0 {
		return Output{}, workflow.NotReady("service attachment %s still has %s; waiting for Snowflake to remove its endpoint after deprovisioning",
			sa.Path, describe(live))
	}
	return Output{Action: workflow.Checked, ID: sa.Path}, nil
}

// ServiceAttachment deletes the request's service attachment.
func ServiceAttachment(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	return remove(ctx, env, in, "service attachment", func(n gcproute.Names) string { return n.ServiceAttachment },
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) (string, map[string]string, error) {
			sa, err := network.FindServiceAttachment(ctx, g.Region, name)
			if sa == nil || err != nil {
				return "", nil, err
			}
			return sa.Path, sa.Tags, nil
		},
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) error {
			return network.DeleteServiceAttachment(ctx, g.Region, name)
		})
}

// PSCSubnet deletes the Private Service Connect subnet that the request
// names when repolink created it, for this request or for another one that
// set the same gcp.psc_subnet, and no other service attachment takes NAT
// addresses from it. So the teardown of the last request that uses a
// shared subnet deletes it, whichever request created it. A subnet without
// repolink's tags was made by hand and stays. A subnet that another
// attachment, or another request that has not created its attachment yet
// or is being torn down, still uses is reported as kept, so that the rest
// of the teardown goes on. When two teardowns delete it at once, the second delete finds it
// gone, and both report deleted.
//
// Compute Engine cannot make the delete conditional on the lists, so a
// request that selects the subnet between the lists and the delete still
// loses it. Its service attachment step then returns NotReady, and the
// retry creates the subnet again.
func PSCSubnet(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	g := req.GCP
	if g.PSCSubnet == "" {
		return Output{Action: workflow.Skipped, ID: "none"}, nil
	}
	subnet, err := network.FindSubnetwork(ctx, g.Region, g.PSCSubnet)
	if err != nil {
		return Output{}, fmt.Errorf("find subnetwork %s: %w", g.PSCSubnet, err)
	}
	if subnet == nil || subnet.Tags[cloud.TagRequest] == "" {
		return Output{Action: workflow.Skipped, ID: g.PSCSubnet}, nil
	}

	// The attachments are listed before the firewall rules, because a
	// request creates its NAT firewall rule before its attachment.
	users, err := subnetUsers(ctx, network, g.Region, subnet.Path, gcproute.NamesFor(req).ServiceAttachment)
	if err != nil {
		return Output{}, err
	}
	pending, err := pendingUsers(ctx, network, g.Region, subnet, req.ID, users)
	if err != nil {
		return Output{}, err
	}
	if len(users) > 0 || len(pending) > 0 {
		return Output{Action: workflow.Kept, ID: subnet.Path, Reason: usersReason(users, pending)}, nil
	}

	if err := network.DeleteSubnetwork(ctx, g.Region, g.PSCSubnet); err != nil {
		// An attachment created since the list blocks the delete.
		if user := foreignUser(err, gcproute.NamesFor(req)); user != "" {
			return Output{Action: workflow.Kept, ID: subnet.Path,
				Reason: user + " still uses it; the teardown of the last request that uses the subnet deletes it, and a subnet that an attachment made by hand uses must be deleted by hand once unused"}, nil
		}
		return Output{}, fmt.Errorf("delete subnetwork %s: %w", subnet.Path, err)
	}
	return Output{Action: workflow.Deleted, ID: subnet.Path}, nil
}

// subnetUsers returns the attachments in region, other than the request's
// own, that take NAT addresses from the subnet. The request's own
// attachment is left out because it may still be going away, and then a
// delete of the subnet fails with NotReady and is retried.
func subnetUsers(ctx context.Context, network cloud.GCPNetwork, region, subnet, own string) ([]cloud.GCPServiceAttachment, error) {
	attachments, err := network.ListServiceAttachments(ctx, region)
	if err != nil {
		return nil, fmt.Errorf("list service attachments in %s: %w", region, err)
	}
	var users []cloud.GCPServiceAttachment
	for _, sa := range attachments {
		if sa.Name == own {
			continue
		}
		if slices.ContainsFunc(sa.NATSubnets, func(s string) bool { return gcproute.SamePath(s, subnet) }) {
			users = append(users, sa)
		}
	}
	return users, nil
}

// pendingUser is another request whose NAT firewall rule opens the proxy
// port to the subnet's range while it has no service attachment.
type pendingUser struct {
	rule cloud.GCPFirewallRule
	// tearingDown is set when the request's forwarding rule is gone too.
	// A run creates the forwarding rule before the NAT firewall rule, and
	// a teardown deletes the NAT firewall rule after the forwarding rule,
	// so only a teardown leaves the NAT firewall rule alone.
	tearingDown bool
}

// pendingUsers returns the other requests with a NAT firewall rule that
// opens the proxy port to the subnet's range and no attachment among
// users. The service attachment step creates that rule right after it
// selects or creates the subnet, so such a request uses the subnet before
// its attachment exists. The subnet itself cannot carry the mark, because
// Compute Engine sets a subnet's description only at creation and gives
// subnets no labels (computepb.Subnetwork in cloud.google.com/go/compute
// v1.75.0).
func pendingUsers(ctx context.Context, network cloud.GCPNetwork, region string, subnet *cloud.GCPSubnetwork, own string, users []cloud.GCPServiceAttachment) ([]pendingUser, error) {
	rules, err := network.ListFirewallRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("list firewall rules: %w", err)
	}
	var pending []pendingUser
	for _, rule := range rules {
		owner := rule.Tags[cloud.TagRequest]
		if owner == "" || owner == own || rule.Name != gcproute.NamesFor(request.Request{ID: owner}).NATFirewall {
			continue
		}
		// Subnets of one network never overlap, so the network and the
		// range identify the subnet. A rule left from a deleted subnet
		// of the same range also counts, which keeps this subnet until
		// that rule's request is torn down.
		if !gcproute.SamePath(rule.Network, subnet.Network) || !slices.Contains(rule.SourceRanges, subnet.IPCIDRRange) {
			continue
		}
		if slices.ContainsFunc(users, func(sa cloud.GCPServiceAttachment) bool { return sa.Tags[cloud.TagRequest] == owner }) {
			continue
		}
		forwardingRule := gcproute.NamesFor(request.Request{ID: owner}).ForwardingRule
		fr, err := network.FindForwardingRule(ctx, region, forwardingRule)
		if err != nil {
			return nil, fmt.Errorf("find forwarding rule %s of request %s: %w", forwardingRule, owner, err)
		}
		pending = append(pending, pendingUser{rule: rule, tearingDown: fr == nil})
	}
	return pending, nil
}

// usersReason returns the reason to keep the subnet: the attachments and
// the requests that use it and who deletes it later, which is the teardown
// of the last request among them unless an attachment was made by hand.
func usersReason(users []cloud.GCPServiceAttachment, pending []pendingUser) string {
	var parts []string
	byHand := false
	if len(users) > 0 {
		paths := make([]string, 0, len(users))
		for _, sa := range users {
			paths = append(paths, sa.Path)
			if sa.Tags[cloud.TagRequest] == "" {
				byHand = true
			}
		}
		parts = append(parts, "service attachment "+strings.Join(paths, ", ")+" still takes NAT addresses from it")
	}
	for _, user := range pending {
		owner := user.rule.Tags[cloud.TagRequest]
		if user.tearingDown {
			parts = append(parts, fmt.Sprintf("request %s is being torn down: its service attachment and forwarding rule are gone, and its teardown has not yet deleted firewall rule %s",
				owner, user.rule.Path))
			continue
		}
		parts = append(parts, fmt.Sprintf("request %s selected it and has no service attachment yet (firewall rule %s)",
			owner, user.rule.Path))
	}
	reason := strings.Join(parts, "; ") + "; "
	if byHand {
		return reason + "delete the subnet by hand once no attachment uses it"
	}
	return reason + "the teardown of the last request that uses the subnet deletes it"
}

// ForwardingRule deletes the request's forwarding rule.
func ForwardingRule(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	return remove(ctx, env, in, "forwarding rule", func(n gcproute.Names) string { return n.ForwardingRule },
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) (string, map[string]string, error) {
			fr, err := network.FindForwardingRule(ctx, g.Region, name)
			if fr == nil || err != nil {
				return "", nil, err
			}
			return fr.Path, fr.Tags, nil
		},
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) error {
			return network.DeleteForwardingRule(ctx, g.Region, name)
		})
}

// BackendService deletes the request's backend service.
func BackendService(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	return remove(ctx, env, in, "backend service", func(n gcproute.Names) string { return n.BackendService },
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) (string, map[string]string, error) {
			bs, err := network.FindBackendService(ctx, g.Region, name)
			if bs == nil || err != nil {
				return "", nil, err
			}
			return bs.Path, bs.Tags, nil
		},
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) error {
			return network.DeleteBackendService(ctx, g.Region, name)
		})
}

// HealthCheck deletes the request's health check.
func HealthCheck(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	return remove(ctx, env, in, "health check", func(n gcproute.Names) string { return n.HealthCheck },
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) (string, map[string]string, error) {
			hc, err := network.FindHealthCheck(ctx, g.Region, name)
			if hc == nil || err != nil {
				return "", nil, err
			}
			return hc.Path, hc.Tags, nil
		},
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) error {
			return network.DeleteHealthCheck(ctx, g.Region, name)
		})
}

// InstanceGroup deletes the request's instance group. With proxy none its
// member is the repository's own VM, which stays.
func InstanceGroup(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	return remove(ctx, env, in, "instance group", func(n gcproute.Names) string { return n.InstanceGroup },
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) (string, map[string]string, error) {
			group, err := network.FindInstanceGroup(ctx, g.Zone, name)
			if group == nil || err != nil {
				return "", nil, err
			}
			return group.Path, group.Tags, nil
		},
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) error {
			return network.DeleteInstanceGroup(ctx, g.Zone, name)
		})
}

// ProxyVM deletes the request's proxy VM. With proxy none the request has
// none, so it reports skipped.
func ProxyVM(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	return remove(ctx, env, in, "proxy VM", func(n gcproute.Names) string { return n.VM },
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) (string, map[string]string, error) {
			inst, err := network.FindInstance(ctx, g.Zone, name)
			if inst == nil || err != nil {
				return "", nil, err
			}
			return inst.Path, inst.Tags, nil
		},
		func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) error {
			return network.DeleteInstance(ctx, g.Zone, name)
		})
}

// FirewallRules deletes the two firewall rules that repolink created for
// the request: the one for health checks and the one for the Private
// Service Connect NAT subnet. It reports deleted when it deleted either,
// with the first rule deleted as its ID and the second in Related.
func FirewallRules(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	names := gcproute.NamesFor(req)
	out := Output{Action: workflow.Skipped, ID: names.HealthFirewall}
	for _, name := range []string{names.HealthFirewall, names.NATFirewall} {
		rule, err := network.FindFirewallRule(ctx, name)
		if err != nil {
			return Output{}, fmt.Errorf("find firewall rule %s: %w", name, err)
		}
		if rule == nil {
			continue
		}
		if err := owned("firewall rule", rule.Path, rule.Tags, req.ID); err != nil {
			return Output{}, err
		}
		if err := network.DeleteFirewallRule(ctx, name); err != nil {
			return Output{}, fmt.Errorf("delete firewall rule %s: %w", rule.Path, err)
		}
		if out.Action == workflow.Skipped {
			out = Output{Action: workflow.Deleted, ID: rule.Path}
			continue
		}
		out.Related = append(out.Related, Output{Action: workflow.Deleted, ID: rule.Path})
	}
	return out, nil
}

// finder returns the path and tags of the named resource, or "" when it
// does not exist.
type finder func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) (string, map[string]string, error)

type deleter func(ctx context.Context, network cloud.GCPNetwork, g *request.GCP, name string) error

// remove finds the resource of the request's deterministic name, checks
// that it carries the request's tag and deletes it.
func remove(ctx context.Context, env *workflow.Env, in workflow.Document, kind string, nameOf func(gcproute.Names) string, find finder, del deleter) (Output, error) {
	req := in.Request
	network, err := gcproute.Network(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	name := nameOf(gcproute.NamesFor(req))
	path, tags, err := find(ctx, network, req.GCP, name)
	if err != nil {
		return Output{}, fmt.Errorf("find %s %s: %w", kind, name, err)
	}
	// NOTE: a resource that an interrupted earlier attempt of this step
	// deleted is reported skipped too, because nothing records that delete.
	if path == "" {
		return Output{Action: workflow.Skipped, ID: name}, nil
	}
	if err := owned(kind, path, tags, req.ID); err != nil {
		return Output{}, err
	}
	if err := del(ctx, network, req.GCP, name); err != nil {
		if user := foreignUser(err, gcproute.NamesFor(req)); user != "" {
			return Output{Action: workflow.Kept, ID: path,
				Reason: user + " still uses it and was not built for this request; delete the " + kind + " by hand once unused"}, nil
		}
		return Output{}, fmt.Errorf("delete %s %s: %w", kind, path, err)
	}
	return Output{Action: workflow.Deleted, ID: path}, nil
}

// foreignUser returns the path of the resource that blocks a delete with
// NotReady when that resource is not one of the request's own, and ""
// otherwise. A user of the request's own, such as its service attachment
// while that is still being deleted, goes away, so the delete is retried.
//
// NOTE: the path comes from the text of Compute Engine's
// resourceInUseByAnotherResource message ("... is already being used by
// 'PATH'"). A message in another form gives "", so the step keeps waiting.
func foreignUser(err error, names gcproute.Names) string {
	if workflow.NameOf(err) != workflow.ErrNotReady {
		return ""
	}
	_, rest, ok := strings.Cut(err.Error(), "already being used by '")
	if !ok {
		return ""
	}
	user, _, ok := strings.Cut(rest, "'")
	if !ok || user == "" {
		return ""
	}
	own := []string{names.VM, names.InstanceGroup, names.HealthCheck, names.HealthFirewall, names.NATFirewall,
		names.BackendService, names.ForwardingRule, names.ServiceAttachment}
	if slices.Contains(own, user[strings.LastIndex(user, "/")+1:]) {
		return ""
	}
	return user
}

// Live returns the consumer endpoints that keep the attachment in use:
// every one that is not REJECTED or CLOSED.
func Live(endpoints []cloud.GCPConnectedEndpoint) []cloud.GCPConnectedEndpoint {
	var live []cloud.GCPConnectedEndpoint
	for _, ep := range endpoints {
		switch strings.ToUpper(ep.Status) {
		case "REJECTED", "CLOSED":
			continue
		}
		live = append(live, ep)
	}
	return live
}

// owned returns Conflict unless the resource carries the request's tag, so
// that teardown never deletes what another request or a person built
// under the same name.
func owned(kind, path string, tags map[string]string, requestID string) error {
	if owner := tags[cloud.TagRequest]; owner != requestID {
		return workflow.Errorf(workflow.ErrConflict,
			"%s %s carries %s=%q, not %q; it was not built for this request, so delete it by hand if it is no longer used",
			kind, path, cloud.TagRequest, owner, requestID)
	}
	return nil
}

func describe(endpoints []cloud.GCPConnectedEndpoint) string {
	parts := make([]string, 0, len(endpoints))
	for _, ep := range endpoints {
		parts = append(parts, ep.Endpoint+" "+ep.Status)
	}
	noun := "endpoint"
	if len(endpoints) > 1 {
		noun = "endpoints"
	}
	return noun + " " + strings.Join(parts, ", ")
}
