package awssim

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// defaultZoneCount is the number of availability zones of the sandbox
// region when the world names none. Two zones let the default example,
// which has two subnets, cover the region.
const defaultZoneCount = 2

// Zone is an availability zone of a sandbox region.
type Zone struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// SetZoneCount gives every region n availability zones, named with the
// letters a, b, ... and with IDs such as usw2-az1, and saves the world.
// Subnets seen before keep their zones.
func (s *Server) SetZoneCount(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world.Zones = regionZones(s.opts.Region, n)
	return s.commit()
}

// AddSubnet records a subnet of the VPC in the zone named zoneName, so that
// DescribeSubnets lists it for a filter on the VPC.
func (s *Server) AddSubnet(id, vpcID, zoneName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.zones(s.opts.Region), func(z Zone) bool { return z.Name == zoneName }) {
		return fmt.Errorf("awssim: zone %s is not a zone of %s", zoneName, s.opts.Region)
	}
	s.world.SubnetZones[id] = zoneName
	s.world.SubnetVPCs[id] = vpcID
	return s.commit()
}

// zones returns the zones of region. Every region has as many zones as
// the world's Zones, which SetZoneCount sets for the server's region.
// Callers hold s.mu.
func (s *Server) zones(region string) []Zone {
	n := len(s.world.Zones)
	if n == 0 {
		n = defaultZoneCount
	}
	return regionZones(region, n)
}

// zoneID returns the ID of the zone named name, or "" for an unknown zone.
// Callers hold s.mu.
func (s *Server) zoneID(name string) string {
	for _, zone := range s.zones(zoneRegion(name)) {
		if zone.Name == name {
			return zone.ID
		}
	}
	return ""
}

// regionZones returns n zones of region. The ID prefix follows AWS's
// pattern of the region's parts (us-west-2 gives usw2), and the sandbox
// maps letter a to az1, b to az2 and so on, while AWS shuffles that mapping
// per account.
func regionZones(region string, n int) []Zone {
	parts := strings.Split(region, "-")
	prefix := region
	if len(parts) >= 3 {
		prefix = parts[0]
		for _, part := range parts[1 : len(parts)-1] {
			prefix += part[:1]
		}
		prefix += parts[len(parts)-1]
	}
	zones := make([]Zone, 0, n)
	for i := range min(n, 26) {
		zones = append(zones, Zone{Name: fmt.Sprintf("%s%c", region, 'a'+rune(i)), ID: fmt.Sprintf("%s-az%d", prefix, i+1)})
	}
	return zones
}

type zoneInfoXML struct {
	Name   string `xml:"zoneName"`
	ID     string `xml:"zoneId"`
	State  string `xml:"zoneState"`
	Region string `xml:"regionName"`
	Type   string `xml:"zoneType"`
	OptIn  string `xml:"optInStatus"`
	Group  string `xml:"groupName"`
	Border string `xml:"networkBorderGroup"`
}

// describeAvailabilityZones lists the zones of the call's region, all of
// type availability-zone and state available, filtered by ZoneName, ZoneId
// and the zone-name, zone-id, zone-type and state filters.
func (s *Server) describeAvailabilityZones(region string, form url.Values) (any, error) {
	names := list(form, "ZoneName")
	ids := list(form, "ZoneId")
	filters := ec2Filters(form)

	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		Zones []zoneInfoXML `xml:"availabilityZoneInfo>item"`
	}{}
	for _, zone := range s.zones(region) {
		info := zoneInfoXML{Name: zone.Name, ID: zone.ID, State: "available", Region: region,
			Type: "availability-zone", OptIn: "opt-in-not-required", Group: region, Border: region}
		if len(names) > 0 && !slices.Contains(names, zone.Name) || len(ids) > 0 && !slices.Contains(ids, zone.ID) {
			continue
		}
		if zoneMatches(info, filters) {
			out.Zones = append(out.Zones, info)
		}
	}
	return out, nil
}

func zoneMatches(info zoneInfoXML, filters []ec2Filter) bool {
	return matchFilters(filters, func(name string) ([]string, bool) {
		switch name {
		case "zone-name":
			return one(info.Name)
		case "zone-id":
			return one(info.ID)
		case "zone-type":
			return one(info.Type)
		case "state":
			return one(info.State)
		case "region-name":
			return one(info.Region)
		}
		return nil, false
	}, true)
}

type subnetXML struct {
	ID     string `xml:"subnetId"`
	VPCID  string `xml:"vpcId"`
	Zone   string `xml:"availabilityZone"`
	ZoneID string `xml:"availabilityZoneId"`
	State  string `xml:"state"`
}

// describeSubnets lists subnets of the call's region by SubnetId, or the
// known subnets of the region that match the vpc-id, availability-zone and
// availability-zone-id filters. A subnet ID seen for the first time gets
// the next zone of the region, as in CreateLoadBalancer. A SubnetId of
// another region is not found, as in AWS. A subnet whose VPC the world does
// not record matches every vpc-id filter and is listed with the VPC of the
// filter.
func (s *Server) describeSubnets(region string, form url.Values) (any, error) {
	ids := list(form, "SubnetId")
	filters := ec2Filters(form)

	s.mu.Lock()
	defer s.mu.Unlock()
	listAll := len(ids) == 0
	if listAll {
		ids = sortedKeys(s.world.SubnetZones)
	}
	changed := false
	out := struct {
		Subnets []subnetXML `xml:"subnetSet>item"`
	}{}
	for _, id := range ids {
		if _, known := s.world.SubnetZones[id]; !known {
			changed = true
		}
		zone, ok := s.subnetZone(region, id)
		if !ok && listAll {
			continue
		}
		if !ok {
			return nil, subnetNotFound(id)
		}
		item := subnetXML{ID: id, VPCID: s.world.SubnetVPCs[id], Zone: zone, ZoneID: s.zoneID(zone), State: "available"}
		if subnetMatches(&item, filters) {
			out.Subnets = append(out.Subnets, item)
		}
	}
	if changed {
		if err := s.commit(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// subnetMatches reports whether a subnet passes the filters. A subnet
// without a recorded VPC gets the first value of the first vpc-id filter.
// Without such a filter it is listed with no VPC, although every AWS subnet
// has one. A caller that compares the VPC with a request's then cannot fail
// on a VPC that the sandbox made up.
func subnetMatches(item *subnetXML, filters []ec2Filter) bool {
	if item.VPCID == "" {
		if i := slices.IndexFunc(filters, func(f ec2Filter) bool { return f.Name == "vpc-id" }); i >= 0 && len(filters[i].Values) > 0 {
			item.VPCID = filters[i].Values[0]
		}
	}
	return matchFilters(filters, func(name string) ([]string, bool) {
		switch name {
		case "vpc-id":
			return one(item.VPCID)
		case "availability-zone":
			return one(item.Zone)
		case "availability-zone-id":
			return one(item.ZoneID)
		}
		return nil, false
	}, true)
}

// setSubnets replaces the subnets of a network load balancer. As with
// ELBv2, a subnet in a zone that another of the subnets is in is rejected,
// and a load balancer associated with an endpoint service may gain zones
// but not lose them. The endpoint service keeps the zones it had when the
// load balancer was associated with it.
func (s *Server) setSubnets(region string, form url.Values) (any, error) {
	arn := form.Get("LoadBalancerArn")
	subnets := list(form, "Subnets.member")
	if len(subnets) == 0 {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "At least one subnet must be specified")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	lb, err := s.loadBalancer(arn)
	if err != nil {
		return nil, err
	}
	var zones []string
	for _, subnet := range subnets {
		zone, ok := s.subnetZone(region, subnet)
		if !ok {
			return nil, elbSubnetNotFound(subnet)
		}
		if slices.Contains(zones, zone) {
			return nil, errorf(http.StatusBadRequest, "InvalidConfigurationRequest", "You cannot specify multiple subnets in the same Availability Zone (%s)", zone)
		}
		zones = append(zones, zone)
	}
	if s.hasEndpointService(arn) {
		for _, subnet := range lb.SubnetIDs {
			if !slices.Contains(subnets, subnet) {
				return nil, errorf(http.StatusBadRequest, "InvalidConfigurationRequest",
					"Subnet '%s' cannot be removed because the load balancer has active VPC endpoint service associations", subnet)
			}
		}
	}
	lb.SubnetIDs, lb.Zones = subnets, zones
	if err := s.commit(); err != nil {
		return nil, err
	}

	out := struct {
		Zones         []zoneXML `xml:"AvailabilityZones>member"`
		IPAddressType string    `xml:"IpAddressType"`
	}{IPAddressType: "ipv4"}
	for i, subnet := range lb.SubnetIDs {
		out.Zones = append(out.Zones, zoneXML{ZoneName: lb.Zones[i], SubnetID: subnet})
	}
	return out, nil
}

// hasEndpointService reports whether an endpoint service uses the load
// balancer. Callers hold s.mu.
func (s *Server) hasEndpointService(arn string) bool {
	for _, svc := range s.world.EndpointServices {
		if slices.Contains(svc.LoadBalancerARNs, arn) {
			return true
		}
	}
	return false
}

// EnsureSubnet records a subnet of the VPC in the zone named zoneName, as
// AddSubnet does, unless the world records the subnet already. A zone may
// be one of any region, so that a call for another region does not find
// the subnet.
func (s *Server) EnsureSubnet(id, vpcID, zoneName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.world.SubnetZones[id]; ok {
		return nil
	}
	region := zoneRegion(zoneName)
	if !slices.ContainsFunc(s.zones(region), func(z Zone) bool { return z.Name == zoneName }) {
		return fmt.Errorf("awssim: zone %s is not a zone of %s", zoneName, region)
	}
	s.world.SubnetZones[id] = zoneName
	s.world.SubnetVPCs[id] = vpcID
	return s.commit()
}
