package plan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/defaultrepo"
	"github.com/repolink/repolink/functions/endpointservice"
	"github.com/repolink/repolink/functions/grants"
	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/functions/preflight"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/functions/teardownendpoint"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func (p *planner) snowflake(ctx context.Context) {
	req, sf := p.req, p.req.Snowflake
	conn, err := p.env.Snowflake(ctx, sf)
	if err != nil {
		for _, it := range p.snowflakeItems() {
			if it.State != Unchecked {
				it.State, it.Detail = Unknown, "log in to Snowflake: "+err.Error()
			}
			p.add(it)
			if it.Step == "endpoint" {
				p.addConnection()
			}
		}
		return
	}

	switch req.Route {
	case request.RouteAWSPrivateLink:
		p.checkPrincipal(ctx, conn)
		p.add(p.endpoint(ctx, conn))
		p.addConnection()
	case request.RouteAzurePrivateLink, request.RouteGCPPrivateLink:
		p.add(p.routeEndpoint(ctx, conn))
	}
	objects := sfobject.Objects(req)
	items := make(map[string]Item, len(objects))
	for _, obj := range objects {
		it := p.object(ctx, conn, obj)
		items[obj.Step] = it
		p.add(it)
	}
	p.add(p.defaultItem(ctx, conn))
	p.add(p.grantsItem(ctx, conn, items["integration"], items["repository"]))
	p.add(p.verificationItem(), p.warehouseItem())
}

func (p *planner) verificationItem() Item {
	return Item{Step: "verification", Kind: "temporary function", Name: p.names.Function, State: Run,
		Detail: "installs " + strings.Join(p.req.Repository.Packages, ", ")}
}

// object looks up a SECRET, API INTEGRATION or ARTIFACT REPOSITORY. An
// object created for another request, and one not created for this request
// whose settings differ from it, are Conflict, by the checks with which
// preflight stops the run. The steps bring the request's own objects in
// line, so those are Update: the secret and the repository on every run,
// because Snowflake shows neither the credential nor the INDEX_URL, and
// the integration when its settings differ. Other objects are adopted
// unchanged.
func (p *planner) object(ctx context.Context, conn snowflake.Conn, obj sfobject.Object) Item {
	row, err := obj.Find(ctx, conn)
	it := found(obj.Step, obj.Type, snowflake.StoredName(obj.Name), row != nil, row["name"], err)
	if row == nil {
		return it
	}
	if err := obj.CheckOwner(row, p.req.ID); err != nil {
		it.State, it.Detail = Conflict, "the run will stop in preflight, because "+err.Error()
		return it
	}
	drifts, err := obj.Drift(ctx, conn, row, p.req)
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return it
	}
	own := sfobject.Owner(row) == p.req.ID
	switch {
	case !own && len(drifts) > 0:
		it.State, it.Detail = Conflict, "the run will stop in preflight, because "+obj.DriftConflict(drifts).Error()
	case obj.Step == "secret" && own && secretTypeDiffers(row, p.req):
		it.State, it.Detail = Conflict, fmt.Sprintf("the secret has TYPE = %s, but $.repository.auth.type %s needs TYPE = %s, "+
			"which the run cannot set on it; tear down the request first", row["secret_type"],
			p.req.Repository.Auth.Type, request.SecretType(p.req.Repository.Auth.Type))
	case obj.Step == "secret" && own:
		it.State, it.Detail = Update, "the run sets the credential again"
	case obj.Step == "secret":
		it.Detail = "made by hand; the run adopts it with its credential as it is"
	case own && sfobject.NeedsReplace(drifts):
		it.State, it.Detail = Update, "the run replaces it, because "+sfobject.DriftText(drifts)
	case own && len(drifts) > 0:
		it.State, it.Detail = Update, "the run alters it, because "+sfobject.DriftText(drifts)
	case obj.Step == "repository" && own:
		it.State, it.Detail = Update, "the run sets INDEX_URL again, because Snowflake does not show it"
	}
	return it
}

// warehouseItem returns the session's warehouse, which the verification
// runs on, as Unchecked. The session_warehouse check of preflight, which
// plan runs too, finds a session without a warehouse. Neither checks the
// role's privileges on the warehouse, so a warehouse that the role cannot
// use shows only when the verification step fails with InvalidRequest
// after the other steps have built everything.
func (p *planner) warehouseItem() Item {
	sf := p.req.Snowflake
	it := Item{Step: "verification", Kind: "warehouse", State: Unchecked}
	if sf.Warehouse == "" {
		it.Name = "default of user " + sf.User
		it.Detail = "the request sets no $.snowflake.warehouse, so the session uses the user's default warehouse; " +
			"the session_warehouse check finds a missing one, but whether the role can use it is not checked"
		return it
	}
	it.Name = snowflake.StoredName(sf.Warehouse)
	it.Detail = "the session_warehouse check finds a missing warehouse, but whether the role can use it is not checked; " +
		"if it cannot, the verification step fails after the others"
	return it
}

// checkPrincipal marks the existing endpoint service Update when Snowflake's
// principal is not allowed on it yet, because the endpoint service step then
// adds it.
func (p *planner) checkPrincipal(ctx context.Context, conn snowflake.Conn) {
	if p.service == nil {
		return
	}
	it := &p.report.Items[p.serviceItem]
	principal, err := endpointservice.SnowflakePrincipal(ctx, conn)
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return
	}
	allowed, err := p.awsNetwork.AllowedPrincipals(ctx, p.service.ID)
	if err != nil {
		it.State, it.Detail = Unknown, fmt.Sprintf("read allowed principals of %s: %v", p.service.ID, err)
		return
	}
	if !slices.Contains(allowed, principal) {
		it.State, it.Detail = Update, it.Detail+"; the run allows Snowflake's principal "+principal
	}
}

// routeEndpoint looks up the Azure Private Link Service or the Google Cloud
// service attachment that the request's endpoint connects to, which plan
// does not show as items of their own, and then the endpoint itself.
func (p *planner) routeEndpoint(ctx context.Context, conn snowflake.Conn) Item {
	service, err := teardownendpoint.ServiceName(ctx, p.env, p.req)
	if err != nil {
		host, _ := provisionendpoint.IndexHost(p.req.Repository.IndexURL)
		return Item{Step: "endpoint", Kind: "Snowflake private endpoint", Name: host, State: Unknown, Detail: err.Error()}
	}
	p.serviceName = service
	return p.endpoint(ctx, conn)
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
	// Current picks a live endpoint over one that a teardown deprovisioned
	// before the service with the same ID was created again.
	if info := provisionendpoint.Current(infos, p.serviceName); p.serviceName != "" && info != nil {
		it := Item{Step: "endpoint", Kind: "Snowflake private endpoint", Name: host, State: Adopt,
			ID: info.ServiceID(), Detail: fmt.Sprintf("%s, status %s", info.EndpointState, info.Status)}
		switch strings.ToUpper(info.EndpointState) {
		case "PENDING_DELETION":
			it.State, it.Detail = Update, it.Detail+"; the run restores it"
		case "DELETING":
			it.State, it.Detail = Create, it.Detail+"; the run waits until it is gone and provisions it again"
		}
		return it
	}
	detail := fmt.Sprintf("the account has %d of %d private endpoints", len(infos), provisionendpoint.MaxEndpoints)
	it := Item{Step: "endpoint", Kind: "Snowflake private endpoint", Name: host, State: Create, Detail: detail}
	// Preflight's own check, so that the places that other requests' runs
	// reserved count as they do when a run starts.
	err = preflight.CheckEndpointCapacity(ctx, p.env, p.req, infos)
	switch {
	case err == nil:
	case workflow.NameOf(err) == workflow.ErrConflict:
		it.State, it.Detail = Conflict, detail+"; the run will stop in preflight, because "+capacityConflict(err)
	default:
		it.State, it.Detail = Unknown, detail+"; "+err.Error()
	}
	return it
}

// capacityConflict returns the text of preflight's capacity Conflict err
// with advice for a request that may have no run yet to redrive.
func capacityConflict(err error) string {
	var capacity *provisionendpoint.CapacityError
	if !errors.As(err, &capacity) {
		return err.Error()
	}
	return capacity.Reason + "; " + capacity.Advice("run the request")
}

// defaultItem reads DEFAULT_PYTHON_ARTIFACT_REPOSITORY on every level. The
// default step sets it on the requested level when that level does not set
// it to the request's repository itself. It unsets it on the other levels
// that a run set, and on those that set it to the request's repository
// when the request created that repository. The item is Conflict when the
// requested level names the repository that a run of another request set
// there, because preflight then stops the run. When the requested level
// names another repository that no run of the request set, the item names
// the value that the run replaces.
func (p *planner) defaultItem(ctx context.Context, conn snowflake.Conn) Item {
	sf := p.req.Snowflake
	level := p.req.Repository.DefaultFor
	if level == "none" {
		level = ""
	}
	it := Item{Step: "default", Kind: "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", Name: p.req.Repository.DefaultFor}
	repo := sfobject.Qualified(sf, p.names.Repository)
	var changes []string
	if level != "" {
		target, err := defaultrepo.Target(sf, level)
		if err != nil {
			it.State, it.Detail = Unknown, err.Error()
			return it
		}
		set, err := defaultrepo.IsSet(ctx, conn, target, level, repo)
		if err != nil {
			it.State, it.Detail = Unknown, err.Error()
			return it
		}
		if set {
			it.ID, it.Detail = target, "names "+repo
		} else {
			claim, err := defaultrepo.Claim(ctx, p.env.Defaults, conn, p.req, level, target)
			if err != nil {
				it.State, it.Detail = Unknown, err.Error()
				return it
			}
			if claim != nil {
				it.State, it.Detail = Conflict, "the run will stop in preflight, because "+defaultrepo.ClaimConflict(*claim).Error()
				return it
			}
			replaced, err := defaultrepo.Replaced(ctx, p.env.Defaults, conn, p.req, level, target, repo)
			if err != nil {
				it.State, it.Detail = Unknown, err.Error()
				return it
			}
			change := "sets it on " + target + " to " + repo
			if replaced != "" {
				it.Replaces = replaced
				change += ", replacing " + replaced + ", which no run of request " + p.req.ID + " set"
			}
			changes = append(changes, change)
		}
	}
	others, err := defaultrepo.FindOthers(ctx, p.env.Defaults, conn, p.req, level)
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return it
	}
	if len(others.Unset) > 0 {
		changes = append(changes, "unsets it on the "+strings.Join(others.Unset, ", ")+", where it names "+repo+" and default_for does not")
	}
	for _, target := range others.ElsewhereTargets() {
		changes = append(changes, "unsets it on "+target+", which a run set before the request changed its database or schema")
	}
	for _, d := range others.Replaced {
		it.Unreplaced = append(it.Unreplaced, d.Replaced)
		changes = append(changes, "leaves "+d.Target+" unset, although it was "+d.Replaced+" before a run replaced it")
	}
	switch {
	case len(changes) > 0:
		it.State, it.Detail = Update, "the run "+strings.Join(changes, " and ")
	case level == "":
		it.State, it.Detail = Skip, "default_for is none"
	default:
		it.State = Adopt
	}
	if len(others.Kept) > 0 {
		kept := "the run keeps it on the " + strings.Join(others.Kept, ", ") + ", where it names a repository " + others.Origin
		if it.Detail != "" {
			kept = it.Detail + "; " + kept
		}
		it.Detail = kept
	}
	for _, detail := range others.LeftDetail() {
		left := "the run " + detail
		if it.Detail != "" {
			left = it.Detail + "; " + left
		}
		it.Detail = left
	}
	return it
}

// grantsItem reads the grants on the database, schema, integration and
// repository. The grants step grants only what a role lacks. It revokes
// what repolink granted on the integration and repository to roles that the
// request no longer lists. So the item is Update when there is something to
// revoke, Create when there is only something to grant, and Adopt or Skip
// otherwise. It is Conflict when a role is missing from the account,
// because preflight then stops the run. A privilege on an integration or
// repository that a run creates is missing without a lookup, because SHOW
// GRANTS fails on an object that does not exist.
func (p *planner) grantsItem(ctx context.Context, conn snowflake.Conn, integration, repository Item) Item {
	roles := p.req.Repository.GrantToRoles
	it := Item{Step: "grants", Kind: "grants", Name: strings.Join(roles, ", ")}
	sf := p.req.Snowflake
	creates := map[string]bool{
		"INTEGRATION":         integration.State == Create,
		"ARTIFACT REPOSITORY": repository.State == Create,
	}
	if len(roles) > 0 {
		absent, err := grants.MissingRoles(ctx, conn, roles)
		if err != nil {
			it.State, it.Detail = Unknown, err.Error()
			return it
		}
		if len(absent) > 0 {
			it.State, it.Detail = Conflict, "the run will stop in preflight, because "+grants.MissingRolesMessage(p.req.Snowflake, absent)
			it.InvalidRequest = true
			return it
		}
	}
	missing := 0
	if len(roles) > 0 {
		var lookups []grants.Grant
		for _, g := range grants.Wanted(sf.Database, sf.Schema, p.names.Integration, sfobject.Qualified(sf, p.names.Repository)) {
			if creates[g.Kind] {
				missing += len(roles)
				continue
			}
			lookups = append(lookups, g)
		}
		found, err := grants.Missing(ctx, conn, lookups, roles)
		if err != nil {
			it.State, it.Detail = Unknown, err.Error()
			return it
		}
		missing += len(found)
	}
	stale, err := grants.Stale(ctx, conn, p.req, roles)
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return it
	}

	var details []string
	if missing > 0 {
		details = append(details, fmt.Sprintf("the run grants %d missing privileges", missing))
	}
	if revoked := stale.Roles(); len(revoked) > 0 {
		details = append(details, "the run revokes USAGE on the integration and READ on the repository from "+
			strings.Join(revoked, ", ")+", which grant_to_roles no longer lists, and keeps their USAGE on the database and schema")
	}
	for _, k := range stale.Kept {
		details = append(details, "the run keeps "+k)
	}
	it.Detail = strings.Join(details, "; ")
	switch {
	case len(stale.Revoke) > 0:
		it.State = Update
	case missing > 0:
		it.State = Create
	case len(roles) == 0 && len(stale.Kept) == 0:
		it.State, it.Detail = Skip, "grant_to_roles is empty"
	default:
		it.State, it.ID = Adopt, strings.Join(roles, ",")
		if len(roles) > 0 && it.Detail == "" {
			it.Detail = "every role holds USAGE and READ"
		}
	}
	return it
}

// snowflakeItems lists every Snowflake step's item without lookups, for
// when the login failed, so that the plan still shows each step.
func (p *planner) snowflakeItems() []Item {
	var items []Item
	switch p.req.Route {
	case request.RouteAWSPrivateLink, request.RouteAzurePrivateLink, request.RouteGCPPrivateLink:
		// Plan takes a validated request, whose index URL has a host.
		host, _ := provisionendpoint.IndexHost(p.req.Repository.IndexURL)
		items = append(items, Item{Step: "endpoint", Kind: "Snowflake private endpoint", Name: host})
	}
	for _, obj := range sfobject.Objects(p.req) {
		items = append(items, Item{Step: obj.Step, Kind: obj.Type, Name: snowflake.StoredName(obj.Name)})
	}
	items = append(items,
		Item{Step: "default", Kind: "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", Name: p.req.Repository.DefaultFor},
		Item{Step: "grants", Kind: "grants", Name: strings.Join(p.req.Repository.GrantToRoles, ", ")},
		p.verificationItem(),
		p.warehouseItem(),
	)
	return items
}

// secretTypeDiffers reports whether row, the SHOW SECRETS row of the
// request's secret, has another TYPE than the request's auth type creates.
// A row without secret_type is taken to match.
func secretTypeDiffers(row snowflake.Row, req request.Request) bool {
	got := row["secret_type"]
	return got != "" && !strings.EqualFold(got, request.SecretType(req.Repository.Auth.Type))
}
