// Package awszones checks that the subnets of an aws-privatelink request
// cover every availability zone of the region, one subnet per zone.
// Snowflake creates its interface endpoint in the zones of its own VPC,
// and an endpoint service serves only the zones that its network load
// balancer had when it was associated with the service. A zone that Snowflake uses and the load
// balancer lacks makes the Snowflake endpoint fail.
package awszones

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// Field is the request field that lists the subnets.
const Field = "$.aws.subnet_ids"

// Coverage is the region's zones and the request's subnets in them.
type Coverage struct {
	Zones []cloud.AvailabilityZone
	// Subnets are the request's subnets in the order of the request.
	Subnets []cloud.Subnet
	// Missing are the zones that no subnet of the request is in.
	Missing []cloud.AvailabilityZone
	// Repeated are the zones that more than one subnet of the request is
	// in, in the order of the region's zones.
	Repeated []RepeatedZone
	// Candidates maps the ID of a missing zone to the VPC's subnets in it.
	Candidates map[string][]string
}

// RepeatedZone is an availability zone with more than one of the request's
// subnets. A network load balancer takes at most one subnet per zone, so
// CreateLoadBalancer and SetSubnets reject such a list.
type RepeatedZone struct {
	Zone cloud.AvailabilityZone
	// SubnetIDs are the request's subnets in the zone, in request order.
	SubnetIDs []string
}

// Read describes the region's zones and the request's subnets, and for each
// zone that the subnets miss, the VPC's subnets in that zone. execution is
// as for Check.
func Read(ctx context.Context, network cloud.AWSNetwork, aws request.AWS, execution string) (Coverage, error) {
	zones, err := network.AvailabilityZones(ctx)
	if err != nil {
		return Coverage{}, fmt.Errorf("read availability zones of %s: %w", aws.Region, err)
	}
	subnets, err := ReadSubnets(ctx, network, aws, execution)
	if err != nil {
		return Coverage{}, err
	}
	cov := Coverage{Zones: zones, Subnets: subnets}

	inZone := map[string][]string{}
	for _, subnet := range cov.Subnets {
		inZone[subnet.ZoneID] = append(inZone[subnet.ZoneID], subnet.ID)
	}
	for _, zone := range zones {
		switch ids := inZone[zone.ID]; {
		case len(ids) == 0:
			cov.Missing = append(cov.Missing, zone)
		case len(ids) > 1:
			cov.Repeated = append(cov.Repeated, RepeatedZone{Zone: zone, SubnetIDs: ids})
		}
	}
	if len(cov.Missing) == 0 || aws.VPCID == "" {
		return cov, nil
	}

	vpcSubnets, err := network.VPCSubnets(ctx, aws.VPCID)
	if err != nil {
		return Coverage{}, fmt.Errorf("read subnets of %s: %w", aws.VPCID, err)
	}
	cov.Candidates = map[string][]string{}
	for _, subnet := range vpcSubnets {
		for _, zone := range cov.Missing {
			if subnet.ZoneID == zone.ID {
				cov.Candidates[zone.ID] = append(cov.Candidates[zone.ID], subnet.ID)
			}
		}
	}
	for _, ids := range cov.Candidates {
		slices.Sort(ids)
	}
	return cov, nil
}

// Check returns an InvalidRequest error when two of the request's subnets
// share a zone, naming the zone and its subnets, or when the subnets miss a
// zone of the region, naming the missing zone IDs, the VPC's subnets in them
// and the field to change. When the request's endpoint service exists
// already, Check returns the missing zones and their fix as a warning
// instead. Snowflake's endpoint was then made in the zones that it uses, so
// a zone that the region gained since must not stop a rerun. A shared zone
// is always an error, because the load balancer rejects the subnet list.
// execution is the run that has built resources for the request already,
// or "" when the calling step comes before any resource is built. The fix
// of a shared zone drops a subnet, which repolink rejects while such
// resources exist, so with an execution the message ends with a teardown
// first.
func Check(ctx context.Context, network cloud.AWSNetwork, req request.Request, execution string) (Warning, error) {
	cov, err := Read(ctx, network, *req.AWS, execution)
	if err != nil {
		return Warning{}, err
	}
	if len(cov.Repeated) > 0 {
		if execution != "" {
			return Warning{}, workflow.Invalid("%s. %s", cov.RepeatedMessage(), workflow.PlacementFix(Field, execution))
		}
		return Warning{}, workflow.Invalid("%s", cov.RepeatedMessage())
	}
	if len(cov.Missing) == 0 {
		return Warning{}, nil
	}
	built, err := ServiceBuilt(ctx, network, req.ID)
	if err != nil {
		return Warning{}, err
	}
	if built {
		return Warning{Detail: cov.Detail(*req.AWS), Fix: cov.Fix(*req.AWS)}, nil
	}
	return Warning{}, cov.Err(*req.AWS)
}

// Warning is a zone problem that does not stop a run. An empty Detail means
// no warning.
type Warning struct {
	Detail string
	// Fix is the change to make in the request or the VPC.
	Fix string
}

// ServiceBuilt reports whether the endpoint service of the request exists.
func ServiceBuilt(ctx context.Context, network cloud.AWSNetwork, requestID string) (bool, error) {
	svc, err := network.FindEndpointService(ctx, requestID)
	if err != nil {
		return false, fmt.Errorf("find endpoint service of %s: %w", requestID, err)
	}
	return svc != nil, nil
}

// Err returns the InvalidRequest error for the missing zones, or nil when
// there are none.
func (c Coverage) Err(aws request.AWS) error {
	if len(c.Missing) == 0 {
		return nil
	}
	return workflow.Invalid("%s", c.Message(aws))
}

// Message describes the missing zones and the fix.
func (c Coverage) Message(aws request.AWS) string {
	return c.Detail(aws) + ". " + c.Fix(aws)
}

// Detail describes the missing zones and why each zone needs a subnet.
func (c Coverage) Detail(aws request.AWS) string {
	missing := make([]string, 0, len(c.Missing))
	for _, zone := range c.Missing {
		missing = append(missing, zone.ID+" ("+zone.Name+")")
	}
	return fmt.Sprintf("%s has no subnet in availability zones %s of %s. Snowflake's VPC may use any zone of the region, "+
		"and its private endpoint fails in a zone that the load balancer and endpoint service do not serve",
		Field, strings.Join(missing, ", "), aws.Region)
}

// Fix names the subnets of the VPC in each missing zone, or advises
// creating one where the VPC has none.
func (c Coverage) Fix(aws request.AWS) string {
	var fixes []string
	for _, zone := range c.Missing {
		if ids := c.Candidates[zone.ID]; len(ids) > 0 {
			fixes = append(fixes, fmt.Sprintf("%s has %s", zone.ID, strings.Join(ids, ", ")))
		} else {
			fixes = append(fixes, fmt.Sprintf("%s has no subnet in %s, so create one", zone.ID, aws.VPCID))
		}
	}
	return fmt.Sprintf("Add one subnet of each missing zone to %s (%s)", Field, strings.Join(fixes, "; "))
}

// RepeatedMessage describes the zones that more than one of the request's
// subnets is in and the fix.
func (c Coverage) RepeatedMessage() string {
	zones := make([]string, 0, len(c.Repeated))
	for _, repeated := range c.Repeated {
		zones = append(zones, fmt.Sprintf("%s (%s) has %s", repeated.Zone.ID, repeated.Zone.Name, strings.Join(repeated.SubnetIDs, ", ")))
	}
	return fmt.Sprintf("%s has more than one subnet in one availability zone: %s. "+
		"A network load balancer takes one subnet per zone, so keep one subnet of each zone in %s",
		Field, strings.Join(zones, "; "), Field)
}

// ordered returns subnets in the order of ids, leaving out IDs that the
// response did not list.
func ordered(subnets []cloud.Subnet, ids []string) []cloud.Subnet {
	out := make([]cloud.Subnet, 0, len(ids))
	for _, id := range ids {
		for _, subnet := range subnets {
			if subnet.ID == id {
				out = append(out, subnet)
				break
			}
		}
	}
	return out
}
