// Package plan looks up what a request would build, step by step, without
// creating or changing anything: every call is a describe, a SHOW or a
// read-only system function.
package plan

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/functions/proxyvm"
	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// States of an item.
const (
	// Exists means the resource exists and a run would adopt it.
	Exists = "exists"
	// Create means the resource was not found and a run would create it.
	Create = "create"
	// Run means the step always runs and has nothing to look up, such as
	// the grants and the verification.
	Run = "run"
	// Skip means the step does not apply to the request.
	Skip = "skip"
	// Unknown means the lookup failed; Detail has the error.
	Unknown = "unknown"
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
}

// Report lists the items of a request in the order the steps run.
type Report struct {
	Request string `json:"request"`
	Route   string `json:"route"`
	Items   []Item `json:"items"`
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
	switch req.Route {
	case request.RouteAWSPrivateLink:
		p.aws(ctx)
	case request.RoutePublic:
	default:
		p.add(Item{Step: "network", Kind: string(req.Route) + " resources", State: Unknown,
			Detail: "plan looks up the network resources of aws-privatelink only"})
	}
	p.snowflake(ctx)
	return p.report
}

type planner struct {
	env    *workflow.Env
	req    request.Request
	names  workflow.Names
	report Report

	// Found on the AWS side, for the Snowflake endpoint lookup.
	serviceName string
}

func (p *planner) add(it Item) { p.report.Items = append(p.report.Items, it) }

// found returns an Exists or Create item for a lookup result.
func found(step, kind, name string, exists bool, id string, err error) Item {
	it := Item{Step: step, Kind: kind, Name: name, State: Create}
	switch {
	case err != nil:
		it.State, it.Detail = Unknown, err.Error()
	case exists:
		it.State, it.ID = Exists, id
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

	if req.AWS.Proxy == "none" {
		p.add(Item{Step: "proxy_vm", Kind: "EC2 instance", Name: names.ProxyVM, State: Skip, Detail: "proxy none: the load balancer targets " + req.AWS.TargetAddress})
	} else {
		inst, err := network.FindInstance(ctx, req.ID, names.ProxyVM)
		it := found("proxy_vm", "EC2 instance", names.ProxyVM, inst != nil, idOf(inst), err)
		if inst != nil {
			it.Detail = "state " + inst.State
		}
		p.add(it)
	}

	tg, err := network.FindTargetGroup(ctx, names.TargetGroup)
	p.add(found("target_group", "target group", names.TargetGroup, tg != nil, arnOf(tg), err))

	lb, err := network.FindLoadBalancer(ctx, names.LoadBalancer)
	it := found("load_balancer", "network load balancer", names.LoadBalancer, lb != nil, "", err)
	if lb != nil {
		it.ID, it.Detail = lb.ARN, "state "+lb.State
	}
	p.add(it)
	listenerName := fmt.Sprintf("TCP %d", proxyvm.ProxyPort)
	if lb == nil {
		p.add(Item{Step: "load_balancer", Kind: "listener", Name: listenerName, State: Create})
	} else {
		listener, err := network.FindListener(ctx, lb.ARN, proxyvm.ProxyPort)
		p.add(found("load_balancer", "listener", listenerName, listener != nil, listenerARN(listener), err))
	}

	svc, err := network.FindEndpointService(ctx, req.ID)
	it = found("endpoint_service", "VPC endpoint service", cloud.TagRequest+"="+req.ID, svc != nil, "", err)
	if svc != nil {
		it.ID, it.Detail = svc.ID, svc.Name
		p.serviceName = svc.Name
	}
	p.add(it)

	if svc == nil {
		p.add(Item{Step: "connection", Kind: "endpoint connection", Name: "from Snowflake", State: Create, Detail: "accepted once Snowflake requests it"})
		return
	}
	conns, err := network.EndpointConnections(ctx, svc.ID)
	it = found("connection", "endpoint connection", "from Snowflake", len(conns) > 0, "", err)
	if len(conns) > 0 {
		it.ID, it.Detail = conns[0].EndpointID, "state "+conns[0].State
	}
	p.add(it)
}

func (p *planner) snowflake(ctx context.Context) {
	req, names, sf := p.req, p.names, p.req.Snowflake
	conn, err := p.env.Snowflake(ctx, sf)
	if err != nil {
		for _, it := range p.snowflakeItems() {
			it.State, it.Detail = Unknown, "log in to Snowflake: "+err.Error()
			p.add(it)
		}
		return
	}

	if req.Route == request.RouteAWSPrivateLink {
		p.add(p.endpoint(ctx, conn))
	}
	lookups := []struct {
		step, kind, show, name, scope string
	}{
		{"secret", "SECRET", "SECRETS", names.Secret, sfobject.InSchema(sf)},
		{"integration", "API INTEGRATION", "API INTEGRATIONS", names.Integration, ""},
		{"repository", "ARTIFACT REPOSITORY", "ARTIFACT REPOSITORIES", names.Repository, sfobject.InSchema(sf)},
	}
	for _, l := range lookups {
		row, err := sfobject.Find(ctx, conn, l.show, l.name, l.scope)
		p.add(found(l.step, l.kind, snowflake.StoredName(l.name), row != nil, row["name"], err))
	}
	p.add(p.defaultItem())
	p.add(Item{Step: "grants", Kind: "grants", Name: strings.Join(req.Repository.GrantToRoles, ", "), State: Run,
		Detail: "USAGE and READ are granted again; granting is idempotent"})
	p.add(Item{Step: "verification", Kind: "temporary function", Name: names.Function, State: Run,
		Detail: "installs " + strings.Join(req.Repository.Packages, ", ")})
}

// endpoint looks for the account's private endpoint to the request's
// endpoint service, or, before the service exists, to the index host.
func (p *planner) endpoint(ctx context.Context, conn snowflake.Conn) Item {
	host, err := provisionendpoint.IndexHost(p.req.Repository.IndexURL)
	if err != nil {
		return Item{Step: "endpoint", Kind: "Snowflake private endpoint", State: Unknown, Detail: err.Error()}
	}
	infos, err := provisionendpoint.Endpoints(ctx, conn)
	if err != nil {
		return Item{Step: "endpoint", Kind: "Snowflake private endpoint", Name: host, State: Unknown, Detail: err.Error()}
	}
	for _, info := range infos {
		if p.serviceName != "" && info.ServiceID() == p.serviceName {
			return Item{Step: "endpoint", Kind: "Snowflake private endpoint", Name: host, State: Exists,
				ID: info.ServiceID(), Detail: fmt.Sprintf("%s, status %s", info.EndpointState, info.Status)}
		}
	}
	detail := fmt.Sprintf("the account has %d of %d private endpoints", len(infos), provisionendpoint.MaxEndpoints)
	if err := provisionendpoint.CheckCapacity(p.req.Snowflake.Account, infos, provisionendpoint.ServiceIs(p.serviceName)); err != nil {
		detail += "; the run will stop in preflight, because " + err.Error()
	}
	return Item{Step: "endpoint", Kind: "Snowflake private endpoint", Name: host, State: Create, Detail: detail}
}

func (p *planner) defaultItem() Item {
	it := Item{Step: "default", Kind: "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", Name: p.req.Repository.DefaultFor, State: Run}
	if p.req.Repository.DefaultFor == "none" {
		it.State, it.Detail = Skip, "default_for is none"
	}
	return it
}

// snowflakeItems lists the Snowflake items without lookups, for when the
// login failed.
func (p *planner) snowflakeItems() []Item {
	names := p.names
	var items []Item
	if p.req.Route == request.RouteAWSPrivateLink {
		items = append(items, Item{Step: "endpoint", Kind: "Snowflake private endpoint"})
	}
	return append(items,
		Item{Step: "secret", Kind: "SECRET", Name: snowflake.StoredName(names.Secret)},
		Item{Step: "integration", Kind: "API INTEGRATION", Name: snowflake.StoredName(names.Integration)},
		Item{Step: "repository", Kind: "ARTIFACT REPOSITORY", Name: snowflake.StoredName(names.Repository)},
	)
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
