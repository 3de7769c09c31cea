// Package plan looks up what a request would build, step by step, without
// creating or changing anything: every call is a describe, a SHOW or a
// read-only system function.
package plan

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/loadbalancer"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/functions/targetgroup"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// States of an item. The text plan prints them as they are, and the JSON
// plan has them in the "state" field of each item.
const (
	// Adopt means the resource exists and a run would keep it unchanged.
	Adopt = "adopt"
	// Update means the resource exists and a run would change it in place,
	// such as the SECRET, whose credential every run sets again.
	Update = "update"
	// Create means the resource was not found and a run would create it.
	Create = "create"
	// Run means the step always runs and has nothing to look up, such as
	// the verification.
	Run = "run"
	// Conflict means the resource exists but differs from the request in a
	// way that a run does not change, so the run stops with a Conflict
	// error. It also means that the request names something the account
	// lacks, such as a role to grant to, so preflight stops the run with
	// InvalidRequest. Detail names what differs and what to do.
	Conflict = "conflict"
	// Skip means the step does not apply to the request.
	Skip = "skip"
	// Unknown means the lookup failed; Detail has the error.
	Unknown = "unknown"
	// Unchecked means that plan has no read-only lookup for the resource,
	// such as the warehouse that the verification runs on, so only a run
	// finds out whether it exists. Detail names what fails when it is
	// missing.
	Unchecked = "unchecked"
)

// Item is one resource that a step manages.
type Item struct {
	Step  string `json:"step"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	State string `json:"state"`
	// ID is the resource ID of an existing resource.
	ID     string `json:"id,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Replaces is the value that the run overwrites although no run of the
	// request set it, such as a default repository that a person set.
	Replaces string `json:"replaces,omitempty"`
	// Unreplaced are the values that earlier runs replaced on the levels
	// that the run unsets. The run does not restore them.
	Unreplaced []string `json:"unreplaced,omitempty"`
	// InvalidRequest marks a Conflict that the run rejects as an
	// InvalidRequest error, so that only a change to the request fixes it.
	InvalidRequest bool `json:"invalid_request,omitempty"`
}

// Report lists the items of a request in the order the steps run.
type Report struct {
	Request string `json:"request"`
	Route   string `json:"route"`
	Items   []Item `json:"items"`
	// Summary counts Items by state. Plan sets it with Summarize.
	Summary Summary `json:"summary"`
}

// Summary is the number of items in each state that decides whether to
// run. The items that run or skip are not counted. Unchecked is kept apart
// from Unknown so that Conflict and Unknown both 0 still means that every
// lookup found nothing at which a run stops.
type Summary struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Adopt     int `json:"adopt"`
	Conflict  int `json:"conflict"`
	Unknown   int `json:"unknown"`
	Unchecked int `json:"unchecked"`
}

// Summarize counts the report's items by state.
func (r Report) Summarize() Summary {
	var s Summary
	for _, it := range r.Items {
		s.add(it.State)
	}
	return s
}

// Counted reports whether a Summary counts items in the given state.
func Counted(state string) bool {
	var s Summary
	return s.add(state)
}

// add counts one item in the given state. It returns false, and changes
// nothing, for a state that a Summary does not count.
func (s *Summary) add(state string) bool {
	switch state {
	case Create:
		s.Create++
	case Update:
		s.Update++
	case Adopt:
		s.Adopt++
	case Conflict:
		s.Conflict++
	case Unknown:
		s.Unknown++
	case Unchecked:
		s.Unchecked++
	default:
		return false
	}
	return true
}

// RequestAtFault reports whether the report has a Conflict and every
// Conflict has InvalidRequest set, so that only a change to the request
// lets a run through.
func (r Report) RequestAtFault() bool {
	conflicts := 0
	for _, it := range r.Items {
		if it.State != Conflict {
			continue
		}
		if !it.InvalidRequest {
			return false
		}
		conflicts++
	}
	return conflicts > 0
}

// Count returns how many items have the given state.
func (r Report) Count(state string) int {
	n := 0
	for _, it := range r.Items {
		if it.State == state {
			n++
		}
	}
	return n
}

// Plan looks up every resource of a validated request. A failed lookup is
// reported as Unknown with its error, and the other lookups go on.
func Plan(ctx context.Context, env *workflow.Env, req request.Request) Report {
	p := &planner{env: env, req: req, names: workflow.NamesFor(req)}
	p.report = Report{Request: req.ID, Route: string(req.Route)}
	p.add(p.preflightItems(ctx)...)
	switch req.Route {
	case request.RouteAWSPrivateLink:
		p.aws(ctx)
	case request.RoutePublic:
	default:
		p.add(Item{Step: "network", Kind: string(req.Route) + " resources", State: Unknown,
			Detail: "plan looks up the network resources of aws-privatelink only"})
	}
	p.snowflake(ctx)
	p.report.Summary = p.report.Summarize()
	return p.report
}

type planner struct {
	env    *workflow.Env
	req    request.Request
	names  workflow.Names
	report Report

	// Found on the AWS side, for the Snowflake lookups: the endpoint
	// service, its item's index in the report, and the network that reads
	// its allowed principals. On the Azure and Google Cloud routes only
	// serviceName is set, to the Private Link Service ID or the service
	// attachment path.
	service     *cloud.EndpointService
	serviceItem int
	serviceName string
	awsNetwork  cloud.AWSNetwork

	// connection is the endpoint connection's item. The run accepts the
	// connection after the Snowflake endpoint step, so the item follows
	// the endpoint's item.
	connection *Item
}

func (p *planner) add(items ...Item) { p.report.Items = append(p.report.Items, items...) }

// found returns an Adopt or Create item for a lookup result.
func found(step, kind, name string, exists bool, id string, err error) Item {
	it := Item{Step: step, Kind: kind, Name: name, State: Create}
	switch {
	case err != nil:
		it.State, it.Detail = Unknown, err.Error()
	case exists:
		it.State, it.ID = Adopt, id
	}
	return it
}

func (p *planner) aws(ctx context.Context) {
	req, names := p.req, p.names
	network, err := p.env.AWS(ctx, req.AWS.Region)
	if err != nil {
		p.add(Item{Step: "proxy_vm", Kind: "AWS", Name: req.AWS.Region, State: Unknown, Detail: err.Error()})
		return
	}

	var inst *cloud.Instance
	var instErr error
	if proxyvm.Direct(req) {
		p.add(Item{Step: "proxy_vm", Kind: "EC2 instance", Name: names.ProxyVM, State: Skip, Detail: "proxy none: the load balancer targets " + req.AWS.TargetAddress})
	} else {
		inst, instErr = network.FindInstance(ctx, req.ID, names.ProxyVM)
		it := found("proxy_vm", "EC2 instance", names.ProxyVM, inst != nil, idOf(inst), instErr)
		if inst != nil {
			it.Detail = "state " + inst.State
			p.checkProxySettings(inst, &it)
		}
		p.add(it)
	}

	tg, err := network.FindTargetGroup(ctx, names.TargetGroup)
	it := found("target_group", "target group", names.TargetGroup, tg != nil, arnOf(tg), err)
	if tg != nil && instErr == nil {
		p.checkTarget(ctx, network, tg, inst, &it)
	}
	p.add(it)

	lb, err := network.FindLoadBalancer(ctx, names.LoadBalancer)
	it = found("load_balancer", "network load balancer", names.LoadBalancer, lb != nil, "", err)
	var lbZones []string
	if lb != nil {
		it.ID, it.Detail = lb.ARN, "state "+lb.State
		checkCrossZone(ctx, network, lb.ARN, &it)
		lbZones = p.checkSubnets(ctx, network, lb, &it)
	}
	p.add(it)
	listenerName := fmt.Sprintf("TCP %d", proxyvm.ProxyPort)
	if lb == nil {
		p.add(Item{Step: "load_balancer", Kind: "listener", Name: listenerName, State: Create})
	} else {
		listener, err := network.FindListener(ctx, lb.ARN, proxyvm.ProxyPort)
		p.add(found("load_balancer", "listener", listenerName, listener != nil, listenerARN(listener), err))
	}
	p.add(p.zoneItem(ctx, network))

	svc, err := network.FindEndpointService(ctx, req.ID)
	it = found("endpoint_service", "VPC endpoint service", cloud.TagRequest+"="+req.ID, svc != nil, "", err)
	if svc != nil {
		it.ID, it.Detail = svc.ID, svc.Name
		checkServiceZones(svc, lbZones, &it)
		p.service, p.serviceName, p.awsNetwork = svc, svc.Name, network
		p.serviceItem = len(p.report.Items)
	}
	p.add(it)

	if svc == nil {
		p.connection = &Item{Step: "connection", Kind: "endpoint connection", Name: "from Snowflake", State: Create, Detail: "accepted once Snowflake requests it"}
		return
	}
	conns, err := network.EndpointConnections(ctx, svc.ID)
	it = found("connection", "endpoint connection", "from Snowflake", len(conns) > 0, "", err)
	if len(conns) > 0 {
		it.ID, it.Detail = conns[0].EndpointID, "state "+conns[0].State
		if strings.EqualFold(conns[0].State, "pendingAcceptance") {
			it.State, it.Detail = Update, it.Detail+"; the run accepts it"
		}
	}
	p.connection = &it
}

// addConnection adds the endpoint connection's item, when the AWS lookups
// made one.
func (p *planner) addConnection() {
	if p.connection != nil {
		p.add(*p.connection)
	}
}

// checkTarget marks an existing target group Update when a run would
// register the requested target in it, such as the proxy instance that a
// run launches, or deregister the target that the group's repolink:target
// tag records and the request no longer names. The decisions are those of
// the target group step.
func (p *planner) checkTarget(ctx context.Context, network cloud.AWSNetwork, tg *cloud.TargetGroup, inst *cloud.Instance, it *Item) {
	kind := "instance"
	if proxyvm.Direct(p.req) {
		kind = "ip"
	}
	if tg.TargetType != "" && !strings.EqualFold(tg.TargetType, kind) {
		it.State, it.Detail = Conflict, fmt.Sprintf("the run will stop, because the group has targets of type %s and $.aws.proxy %s needs type %s; "+
			"delete it so that one of the right type is created", tg.TargetType, p.req.AWS.Proxy, kind)
		return
	}
	if !proxyvm.Direct(p.req) && inst == nil {
		it.State, it.Detail = Update, "the run registers the proxy instance that it launches"
		return
	}
	want, err := targetgroup.RequestedTarget(p.req, idOf(inst))
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return
	}
	health, err := network.TargetHealth(ctx, tg.ARN)
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return
	}
	recorded, hasRecord := tg.Tags[cloud.TagTarget]
	var changes []string
	if !targetgroup.Registered(health, want) {
		changes = append(changes, "registers "+want)
	}
	if hasRecord && recorded != want && targetgroup.Registered(health, recorded) {
		changes = append(changes, "deregisters "+recorded+", which the request no longer names")
	}
	others := targetgroup.Unrecorded(health, want, recorded)
	switch {
	case !hasRecord && len(others) > 0:
		it.State, it.Detail = Conflict, fmt.Sprintf("the run will stop, because the group also routes to %s and has no %s tag to tell whether repolink registered them",
			strings.Join(others, ", "), cloud.TagTarget)
	case len(changes) > 0:
		it.State, it.Detail = Update, "the run "+strings.Join(changes, " and ")
	default:
		it.Detail = want + " registered"
	}
	if len(others) > 0 && hasRecord {
		it.Detail += "; the run keeps " + strings.Join(others, ", ") + ", which someone else registered"
	}
}

// checkProxySettings marks the proxy instance Conflict when its tags record
// another upstream or host list than the request, because the proxy VM step
// then stops with that error.
func (p *planner) checkProxySettings(inst *cloud.Instance, it *Item) {
	hosts, err := proxyvm.ProxyHosts(p.req.Repository.IndexURL, p.req.Repository.ExtraAllowedPrefixes)
	if err == nil {
		err = proxyvm.CheckSettings(inst.ID, "", inst.Tags, proxyvm.AWSSettings(p.req, hosts))
	}
	if err != nil {
		it.State, it.Detail = Conflict, "the run will stop, because "+err.Error()
	}
}

// checkCrossZone marks an existing load balancer Update when a run would
// turn cross-zone load balancing on.
func checkCrossZone(ctx context.Context, network cloud.AWSNetwork, arn string, it *Item) {
	attrs, err := network.LoadBalancerAttributes(ctx, arn)
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return
	}
	if attrs[loadbalancer.AttrCrossZone] != "true" {
		it.State, it.Detail = Update, it.Detail+"; the run turns cross-zone load balancing on"
	}
}

func idOf(inst *cloud.Instance) string {
	if inst == nil {
		return ""
	}
	return inst.ID
}

func arnOf(tg *cloud.TargetGroup) string {
	if tg == nil {
		return ""
	}
	return tg.ARN
}

func listenerARN(l *cloud.Listener) string {
	if l == nil {
		return ""
	}
	return l.ARN
}
