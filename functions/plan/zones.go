package plan

import (
	"context"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/awszones"
	"github.com/repolink/repolink/functions/loadbalancer"
	"github.com/repolink/repolink/shared/cloud"
)

// zoneItem checks, as the preflight and load balancer steps do, that the
// request's subnets cover every availability zone of the region with one
// subnet per zone.
func (p *planner) zoneItem(ctx context.Context, network cloud.AWSNetwork) Item {
	it := Item{Step: "load_balancer", Kind: "availability zones", Name: p.req.AWS.Region, State: Run}
	cov, err := awszones.Read(ctx, network, *p.req.AWS, "")
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return it
	}
	if len(cov.Repeated) > 0 {
		it.State, it.Detail = Conflict, "the run will stop, because "+cov.RepeatedMessage()
		it.InvalidRequest = true
		return it
	}
	if len(cov.Missing) > 0 {
		built, err := awszones.ServiceBuilt(ctx, network, p.req.ID)
		switch {
		case err != nil:
			it.State, it.Detail = Unknown, err.Error()
		case built:
			it.Detail = "the run goes on with a warning, because the request's endpoint service exists: " + cov.Message(*p.req.AWS)
		default:
			it.State, it.Detail = Conflict, "the run will stop, because "+cov.Message(*p.req.AWS)
			it.InvalidRequest = true
		}
		return it
	}
	ids := make([]string, 0, len(cov.Zones))
	for _, zone := range cov.Zones {
		ids = append(ids, zone.ID)
	}
	it.Detail = awszones.Field + " covers " + strings.Join(ids, ", ")
	return it
}

// checkSubnets marks an existing load balancer Update when a run would add
// the request's subnets in zones that it lacks, and returns the zones that
// the load balancer has after the run.
func (p *planner) checkSubnets(ctx context.Context, network cloud.AWSNetwork, lb *cloud.LoadBalancer, it *Item) []string {
	added, err := loadbalancer.MissingSubnets(ctx, network, lb, p.req.AWS.SubnetIDs)
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return lb.Zones
	}
	if len(added) == 0 {
		return lb.Zones
	}
	subnets, err := network.Subnets(ctx, added)
	if err != nil {
		it.State, it.Detail = Unknown, err.Error()
		return lb.Zones
	}
	zones := slices.Clone(lb.Zones)
	for _, subnet := range subnets {
		zones = append(zones, subnet.ZoneName)
	}
	if it.State == Adopt {
		it.State = Update
	}
	it.Detail += "; the run adds subnets " + strings.Join(added, ", ")
	return zones
}

// checkServiceZones marks an existing endpoint service Conflict when it
// would not serve every zone of the load balancer, because the endpoint
// service step then stops.
func checkServiceZones(svc *cloud.EndpointService, lbZones []string, it *Item) {
	if len(svc.Zones) == 0 {
		return
	}
	var missing []string
	for _, zone := range lbZones {
		if !slices.Contains(svc.Zones, zone) {
			missing = append(missing, zone)
		}
	}
	if len(missing) > 0 {
		it.State, it.Detail = Conflict, "the run will stop, because the service does not serve zones "+strings.Join(missing, ", ")+
			" of the load balancer; associate the load balancer with the service again"
	}
}
