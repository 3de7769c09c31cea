package awssim

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// elbNamePattern is ELBv2's rule for load balancer and target group names:
// up to 32 alphanumerics and hyphens, not starting or ending with a hyphen.
var elbNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)

// networkAttributes are the load balancer attributes of a new network load
// balancer, with their defaults.
var networkAttributes = map[string]string{
	"access_logs.s3.enabled":            "false",
	"access_logs.s3.bucket":             "",
	"access_logs.s3.prefix":             "",
	"deletion_protection.enabled":       "false",
	"load_balancing.cross_zone.enabled": "false",
	"ipv6.deny_all_igw_traffic":         "false",
	"dns_record.client_routing_policy":  "any_availability_zone",
	"zonal_shift.config.enabled":        "false",
}

// targetGroupAttributes are the attributes of a new TCP target group, with
// their defaults.
var targetGroupAttributes = map[string]string{
	"deregistration_delay.timeout_seconds": "300",
	"proxy_protocol_v2.enabled":            "false",
	"stickiness.enabled":                   "false",
	"stickiness.type":                      "source_ip",
}

func (s *Server) elbAction(ctx context.Context, action string, form url.Values) (any, error) {
	switch action {
	case "CreateTargetGroup":
		return s.createTargetGroup(s.callRegion(ctx), form)
	case "DescribeTargetGroups":
		return s.describeTargetGroups(form)
	case "DeleteTargetGroup":
		return s.deleteTargetGroup(form)
	case "RegisterTargets":
		return s.registerTargets(form)
	case "DeregisterTargets":
		return s.deregisterTargets(form)
	case "DescribeTargetHealth":
		return s.describeTargetHealth(form)
	case "DescribeTargetGroupAttributes":
		return s.describeTargetGroupAttributes(form)
	case "ModifyTargetGroupAttributes":
		return s.modifyTargetGroupAttributes(form)
	case "CreateLoadBalancer":
		return s.createLoadBalancer(s.callRegion(ctx), form)
	case "DescribeLoadBalancers":
		return s.describeLoadBalancers(form)
	case "DeleteLoadBalancer":
		return s.deleteLoadBalancer(form)
	case "SetSubnets":
		return s.setSubnets(s.callRegion(ctx), form)
	case "DescribeLoadBalancerAttributes":
		return s.describeAttributes(form)
	case "ModifyLoadBalancerAttributes":
		return s.modifyAttributes(form)
	case "CreateListener":
		return s.createListener(form)
	case "DescribeListeners":
		return s.describeListeners(form)
	case "DeleteListener":
		return s.deleteListener(form)
	case "AddTags":
		return s.addTags(form)
	case "DescribeTags":
		return s.describeTags(form)
	}
	return nil, errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, elbv2Version)
}

// elbARN returns a new ARN of an ELBv2 resource in region.
func (s *Server) elbARN(region, kind, name string) string {
	return "arn:" + partition(region).ID + ":elasticloadbalancing:" + region + ":" + s.opts.AccountID + ":" + kind + "/" + name + "/" + randomHex(16)
}

func elbTagMap(form url.Values) map[string]string {
	tags := map[string]string{}
	for _, tag := range structs(form, "Tags.member") {
		tags[tag["Key"]] = tag["Value"]
	}
	return tags
}

func intField(form url.Values, key string, fallback int) (int, error) {
	v := form.Get(key)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "ValidationError", "invalid %s %q: want an integer", key, v)
	}
	return n, nil
}

type targetGroupXML struct {
	ARN                     string   `xml:"TargetGroupArn"`
	Name                    string   `xml:"TargetGroupName"`
	Protocol                string   `xml:"Protocol"`
	Port                    int      `xml:"Port"`
	VPCID                   string   `xml:"VpcId"`
	HealthCheckProtocol     string   `xml:"HealthCheckProtocol"`
	HealthCheckPort         string   `xml:"HealthCheckPort"`
	HealthCheckEnabled      bool     `xml:"HealthCheckEnabled"`
	HealthCheckInterval     int      `xml:"HealthCheckIntervalSeconds"`
	HealthCheckTimeout      int      `xml:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount   int      `xml:"HealthyThresholdCount"`
	UnhealthyThresholdCount int      `xml:"UnhealthyThresholdCount"`
	HealthCheckPath         string   `xml:"HealthCheckPath,omitempty"`
	TargetType              string   `xml:"TargetType"`
	IPAddressType           string   `xml:"IpAddressType"`
	LoadBalancerARNs        []string `xml:"LoadBalancerArns>member"`
}

func (s *Server) targetGroupXML(tg *TargetGroup) targetGroupXML {
	out := targetGroupXML{
		ARN: tg.ARN, Name: tg.Name, Protocol: tg.Protocol, Port: tg.Port, VPCID: tg.VPCID,
		HealthCheckProtocol: tg.HealthCheckProtocol, HealthCheckPort: tg.HealthCheckPort,
		HealthCheckEnabled: tg.HealthCheckEnabled, HealthCheckInterval: tg.HealthCheckInterval,
		HealthCheckTimeout: tg.HealthCheckTimeout, HealthyThresholdCount: tg.HealthyThresholdCount,
		UnhealthyThresholdCount: tg.UnhealthyThresholdCount, HealthCheckPath: tg.HealthCheckPath,
		TargetType: tg.TargetType, IPAddressType: "ipv4",
	}
	for _, l := range s.world.Listeners {
		if l.TargetGroupARN == tg.ARN && !contains(out.LoadBalancerARNs, l.LoadBalancerARN) {
			out.LoadBalancerARNs = append(out.LoadBalancerARNs, l.LoadBalancerARN)
		}
	}
	return out
}

type targetGroupsOutput struct {
	TargetGroups []targetGroupXML `xml:"TargetGroups>member"`
	NextMarker   string           `xml:"NextMarker,omitempty"`
}

func (s *Server) createTargetGroup(region string, form url.Values) (any, error) {
	name := form.Get("Name")
	if !elbNamePattern.MatchString(name) {
		return nil, errorf(http.StatusBadRequest, "ValidationError",
			"Target group name '%s' must have at most 32 alphanumeric characters or hyphens, and must not begin or end with a hyphen", name)
	}
	tg := &TargetGroup{
		Name:                name,
		Protocol:            form.Get("Protocol"),
		VPCID:               form.Get("VpcId"),
		TargetType:          form.Get("TargetType"),
		HealthCheckEnabled:  form.Get("HealthCheckEnabled") != "false",
		HealthCheckProtocol: form.Get("HealthCheckProtocol"),
		HealthCheckPort:     form.Get("HealthCheckPort"),
		HealthCheckPath:     form.Get("HealthCheckPath"),
		Tags:                elbTagMap(form),
	}
	var err error
	if tg.Port, err = intField(form, "Port", 0); err != nil {
		return nil, err
	}
	if tg.HealthCheckInterval, err = intField(form, "HealthCheckIntervalSeconds", 30); err != nil {
		return nil, err
	}
	if tg.HealthCheckTimeout, err = intField(form, "HealthCheckTimeoutSeconds", 10); err != nil {
		return nil, err
	}
	if tg.HealthyThresholdCount, err = intField(form, "HealthyThresholdCount", 5); err != nil {
		return nil, err
	}
	if tg.UnhealthyThresholdCount, err = intField(form, "UnhealthyThresholdCount", 2); err != nil {
		return nil, err
	}
	if err := s.fillTargetGroupDefaults(tg); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, existing := range s.world.TargetGroups {
		if existing.Name != name {
			continue
		}
		// ELBv2 returns the existing group when every setting matches.
		if sameTargetGroup(existing, tg) {
			return targetGroupsOutput{TargetGroups: []targetGroupXML{s.targetGroupXML(existing)}}, nil
		}
		return nil, errorf(http.StatusBadRequest, "DuplicateTargetGroupName", "A target group with the same name '%s' exists, but with different settings", name)
	}
	tg.ARN = s.elbARN(region, "targetgroup", name)
	tg.CreatedAt = s.now()
	s.world.TargetGroups[tg.ARN] = tg
	if err := s.commit(); err != nil {
		delete(s.world.TargetGroups, tg.ARN)
		return nil, err
	}
	return targetGroupsOutput{TargetGroups: []targetGroupXML{s.targetGroupXML(tg)}}, nil
}

// fillTargetGroupDefaults validates tg and fills in what ELBv2 defaults.
func (s *Server) fillTargetGroupDefaults(tg *TargetGroup) error {
	if tg.TargetType == "" {
		tg.TargetType = "instance"
	}
	switch tg.Protocol {
	case "TCP", "TLS", "UDP", "TCP_UDP", "HTTP", "HTTPS":
	case "":
		return errorf(http.StatusBadRequest, "ValidationError", "A protocol must be specified")
	default:
		return errorf(http.StatusBadRequest, "ValidationError", "Protocol '%s' is not supported", tg.Protocol)
	}
	if tg.Port < 1 || tg.Port > 65535 {
		return errorf(http.StatusBadRequest, "ValidationError", "A port between 1 and 65535 must be specified")
	}
	if tg.VPCID == "" && tg.TargetType != "lambda" {
		return errorf(http.StatusBadRequest, "ValidationError", "A VPC ID must be specified")
	}
	if tg.HealthCheckProtocol == "" {
		tg.HealthCheckProtocol = tg.Protocol
		if tg.Protocol == "UDP" || tg.Protocol == "TCP_UDP" || tg.Protocol == "TLS" {
			tg.HealthCheckProtocol = "TCP"
		}
	}
	if tg.HealthCheckPort == "" {
		tg.HealthCheckPort = "traffic-port"
	}
	if (tg.HealthCheckProtocol == "HTTP" || tg.HealthCheckProtocol == "HTTPS") && tg.HealthCheckPath == "" {
		tg.HealthCheckPath = "/"
	}
	if tg.HealthCheckTimeout >= tg.HealthCheckInterval {
		return errorf(http.StatusBadRequest, "ValidationError",
			"Health check timeout '%d' must be smaller than the interval '%d'", tg.HealthCheckTimeout, tg.HealthCheckInterval)
	}
	return nil
}

func sameTargetGroup(a, b *TargetGroup) bool {
	return a.Protocol == b.Protocol && a.Port == b.Port && a.VPCID == b.VPCID && a.TargetType == b.TargetType &&
		a.HealthCheckProtocol == b.HealthCheckProtocol && a.HealthCheckPort == b.HealthCheckPort &&
		a.HealthCheckEnabled == b.HealthCheckEnabled && a.HealthCheckPath == b.HealthCheckPath &&
		a.HealthCheckInterval == b.HealthCheckInterval && a.HealthCheckTimeout == b.HealthCheckTimeout &&
		a.HealthyThresholdCount == b.HealthyThresholdCount && a.UnhealthyThresholdCount == b.UnhealthyThresholdCount
}

func (s *Server) describeTargetGroups(form url.Values) (any, error) {
	names := list(form, "Names.member")
	arns := list(form, "TargetGroupArns.member")
	lbARN := form.Get("LoadBalancerArn")

	s.mu.Lock()
	defer s.mu.Unlock()
	var out targetGroupsOutput
	usedByLoadBalancer := func(tg *TargetGroup) bool {
		return lbARN == "" || contains(s.targetGroupXML(tg).LoadBalancerARNs, lbARN)
	}
	notFound := errorf(http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found")
	selected, err := describeByNameOrARN(s, s.world.TargetGroups, names, arns, s.now(), usedByLoadBalancer, notFound)
	if err != nil {
		return nil, err
	}
	for _, tg := range selected {
		out.TargetGroups = append(out.TargetGroups, s.targetGroupXML(tg))
	}
	return out, nil
}

// elbResource is an ELBv2 resource that describe calls select by name or
// ARN.
type elbResource interface {
	createdResource
	elbName() string
}

func (tg *TargetGroup) elbName() string          { return tg.Name }
func (tg *TargetGroup) creationTime() time.Time  { return tg.CreatedAt }
func (lb *LoadBalancer) elbName() string         { return lb.Name }
func (lb *LoadBalancer) creationTime() time.Time { return lb.CreatedAt }

// describeByNameOrARN returns, in ARN order, the resources that an ELBv2
// Describe call selects. With names it selects those with one of the names
// that are past the visibility delay at now, with arns those with one of
// the ARNs, and with neither every resource. A non-nil keep must accept
// each. The call fails with notFound when fewer resources are selected
// than names and ARNs were requested. Callers hold s.mu.
func describeByNameOrARN[T elbResource](s *Server, resources map[string]T, names, arns []string, now time.Time,
	keep func(T) bool, notFound error) ([]T, error) {
	var selected []T
	for _, arn := range sortedKeys(resources) {
		resource := resources[arn]
		switch {
		case len(names) > 0 && (!contains(names, resource.elbName()) || !s.visible(resource.creationTime(), now)):
			continue
		case len(arns) > 0 && !contains(arns, arn):
			continue
		}
		if keep == nil || keep(resource) {
			selected = append(selected, resource)
		}
	}
	if (len(names) > 0 || len(arns) > 0) && len(selected) < len(names)+len(arns) {
		return nil, notFound
	}
	return selected, nil
}

func (s *Server) deleteTargetGroup(form url.Values) (any, error) {
	arn := form.Get("TargetGroupArn")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.world.TargetGroups[arn]; !ok {
		return nil, nil
	}
	for _, l := range s.world.Listeners {
		if l.TargetGroupARN == arn {
			return nil, errorf(http.StatusBadRequest, "ResourceInUse", "Target group '%s' is currently in use by a listener or a rule", arn)
		}
	}
	delete(s.world.TargetGroups, arn)
	return nil, s.commit()
}

func (s *Server) registerTargets(form url.Values) (any, error) {
	arn := form.Get("TargetGroupArn")
	targets := structs(form, "Targets.member")

	s.mu.Lock()
	defer s.mu.Unlock()
	tg, err := s.targetGroup(arn)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, fields := range targets {
		port, err := strconv.Atoi(fields["Port"])
		if fields["Port"] == "" {
			port, err = tg.Port, nil
		}
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "invalid target port %q", fields["Port"])
		}
		if err := s.checkTarget(tg, fields["Id"], fields["AvailabilityZone"], now); err != nil {
			return nil, err
		}
		if registered(tg, fields["Id"], port) {
			continue
		}
		tg.Targets = append(tg.Targets, Target{ID: fields["Id"], Port: port, RegisteredAt: now})
	}
	return nil, s.commit()
}

func registered(tg *TargetGroup, id string, port int) bool {
	for _, target := range tg.Targets {
		if target.ID == id && target.Port == port {
			return true
		}
	}
	return false
}

func (s *Server) deregisterTargets(form url.Values) (any, error) {
	arn := form.Get("TargetGroupArn")
	targets := structs(form, "Targets.member")

	s.mu.Lock()
	defer s.mu.Unlock()
	tg, err := s.targetGroup(arn)
	if err != nil {
		return nil, err
	}
	for _, fields := range targets {
		kept := tg.Targets[:0]
		for _, target := range tg.Targets {
			if target.ID == fields["Id"] && (fields["Port"] == "" || strconv.Itoa(target.Port) == fields["Port"]) {
				continue
			}
			kept = append(kept, target)
		}
		tg.Targets = kept
	}
	return nil, s.commit()
}

type targetHealthXML struct {
	Target struct {
		ID   string `xml:"Id"`
		Port int    `xml:"Port"`
	} `xml:"Target"`
	HealthCheckPort string `xml:"HealthCheckPort"`
	TargetHealth    struct {
		State       string `xml:"State"`
		Reason      string `xml:"Reason,omitempty"`
		Description string `xml:"Description,omitempty"`
	} `xml:"TargetHealth"`
}

func (s *Server) describeTargetHealth(form url.Values) (any, error) {
	health, err := s.describeHealth(form.Get("TargetGroupArn"))
	if err != nil {
		return nil, err
	}
	only := structs(form, "Targets.member")

	var out struct {
		Descriptions []targetHealthXML `xml:"TargetHealthDescriptions>member"`
	}
	for _, h := range health {
		if len(only) > 0 && !wantedTarget(only, h.Target) {
			continue
		}
		var item targetHealthXML
		item.Target.ID, item.Target.Port = h.Target.ID, h.Target.Port
		item.HealthCheckPort = h.HealthPort
		item.TargetHealth.State, item.TargetHealth.Reason, item.TargetHealth.Description = h.State, h.Reason, h.Description
		out.Descriptions = append(out.Descriptions, item)
	}
	return out, nil
}

func wantedTarget(only []map[string]string, target Target) bool {
	for _, fields := range only {
		if fields["Id"] == target.ID && (fields["Port"] == "" || fields["Port"] == strconv.Itoa(target.Port)) {
			return true
		}
	}
	return false
}

type loadBalancerXML struct {
	ARN               string    `xml:"LoadBalancerArn"`
	DNSName           string    `xml:"DNSName"`
	HostedZoneID      string    `xml:"CanonicalHostedZoneId"`
	CreatedTime       string    `xml:"CreatedTime"`
	Name              string    `xml:"LoadBalancerName"`
	Scheme            string    `xml:"Scheme"`
	VPCID             string    `xml:"VpcId,omitempty"`
	State             string    `xml:"State>Code"`
	Type              string    `xml:"Type"`
	AvailabilityZones []zoneXML `xml:"AvailabilityZones>member"`
	SecurityGroups    []string  `xml:"SecurityGroups>member"`
	IPAddressType     string    `xml:"IpAddressType"`
}

type zoneXML struct {
	ZoneName string `xml:"ZoneName"`
	SubnetID string `xml:"SubnetId"`
}

func (s *Server) loadBalancerXML(lb *LoadBalancer, now time.Time) loadBalancerXML {
	out := loadBalancerXML{
		ARN: lb.ARN, DNSName: lb.DNSName, HostedZoneID: "Z18D5FSROUN65G", CreatedTime: lb.CreatedAt.Format(time.RFC3339),
		Name: lb.Name, Scheme: lb.Scheme, State: s.loadBalancerState(lb, now), Type: lb.Type,
		SecurityGroups: lb.SecurityGroups, IPAddressType: "ipv4",
	}
	for i, subnet := range lb.SubnetIDs {
		out.AvailabilityZones = append(out.AvailabilityZones, zoneXML{ZoneName: lb.Zones[i], SubnetID: subnet})
	}
	return out
}

type loadBalancersOutput struct {
	LoadBalancers []loadBalancerXML `xml:"LoadBalancers>member"`
	NextMarker    string            `xml:"NextMarker,omitempty"`
}

func (s *Server) createLoadBalancer(region string, form url.Values) (any, error) {
	name := form.Get("Name")
	if !elbNamePattern.MatchString(name) || strings.HasPrefix(name, "internal-") {
		return nil, errorf(http.StatusBadRequest, "ValidationError",
			"Load balancer name '%s' must have at most 32 alphanumeric characters or hyphens, must not begin or end with a hyphen, and must not begin with 'internal-'", name)
	}
	lb := &LoadBalancer{
		Name:           name,
		Type:           form.Get("Type"),
		Scheme:         form.Get("Scheme"),
		SubnetIDs:      list(form, "Subnets.member"),
		SecurityGroups: list(form, "SecurityGroups.member"),
		Tags:           elbTagMap(form),
	}
	if lb.Type == "" {
		lb.Type = "application"
	}
	if lb.Scheme == "" {
		lb.Scheme = "internet-facing"
	}
	if lb.Type != "network" {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "the sandbox supports only network load balancers, not %q", lb.Type)
	}
	if len(lb.SubnetIDs) == 0 {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "At least one subnet must be specified")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, existing := range s.world.LoadBalancers {
		if existing.Name != name {
			continue
		}
		// ELBv2 returns the existing load balancer when the settings match.
		if existing.Scheme == lb.Scheme && strings.Join(existing.SubnetIDs, ",") == strings.Join(lb.SubnetIDs, ",") {
			return loadBalancersOutput{LoadBalancers: []loadBalancerXML{s.loadBalancerXML(existing, now)}}, nil
		}
		return nil, errorf(http.StatusBadRequest, "DuplicateLoadBalancerName", "A load balancer with the same name '%s' exists, but with different settings", name)
	}

	seen := map[string]bool{}
	for _, subnet := range lb.SubnetIDs {
		zone, ok := s.subnetZone(region, subnet)
		if !ok {
			return nil, elbSubnetNotFound(subnet)
		}
		if seen[zone] {
			return nil, errorf(http.StatusBadRequest, "InvalidConfigurationRequest", "You cannot specify multiple subnets in the same Availability Zone (%s)", zone)
		}
		seen[zone] = true
		lb.Zones = append(lb.Zones, zone)
	}
	lb.ARN = s.elbARN(region, "loadbalancer/net", name)
	lb.DNSName = name + "-" + randomHex(16) + ".elb." + region + "." + partition(region).DNSSuffix
	lb.CreatedAt = now
	lb.Attributes = map[string]string{}
	for key, value := range networkAttributes {
		lb.Attributes[key] = value
	}
	s.world.LoadBalancers[lb.ARN] = lb
	if err := s.commit(); err != nil {
		delete(s.world.LoadBalancers, lb.ARN)
		return nil, err
	}
	return loadBalancersOutput{LoadBalancers: []loadBalancerXML{s.loadBalancerXML(lb, now)}}, nil
}

func (s *Server) describeLoadBalancers(form url.Values) (any, error) {
	names := list(form, "Names.member")
	arns := list(form, "LoadBalancerArns.member")

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out loadBalancersOutput
	notFound := errorf(http.StatusBadRequest, "LoadBalancerNotFound", "One or more load balancers not found")
	selected, err := describeByNameOrARN(s, s.world.LoadBalancers, names, arns, now, nil, notFound)
	if err != nil {
		return nil, err
	}
	for _, lb := range selected {
		out.LoadBalancers = append(out.LoadBalancers, s.loadBalancerXML(lb, now))
	}
	return out, nil
}

func (s *Server) deleteLoadBalancer(form url.Values) (any, error) {
	arn := form.Get("LoadBalancerArn")
	s.mu.Lock()
	defer s.mu.Unlock()
	lb, ok := s.world.LoadBalancers[arn]
	if !ok {
		return nil, nil
	}
	if lb.Attributes["deletion_protection.enabled"] == "true" {
		return nil, errorf(http.StatusBadRequest, "OperationNotPermitted", "Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
	}
	for _, svc := range s.world.EndpointServices {
		if contains(svc.LoadBalancerARNs, arn) {
			return nil, errorf(http.StatusBadRequest, "ResourceInUse", "Load balancer '%s' is in use by endpoint service %s", arn, svc.ID)
		}
	}
	for id, l := range s.world.Listeners {
		if l.LoadBalancerARN == arn {
			delete(s.world.Listeners, id)
		}
	}
	delete(s.world.LoadBalancers, arn)
	return nil, s.commit()
}

type attributesOutput struct {
	Attributes []attributeXML `xml:"Attributes>member"`
}

type attributeXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func attributesXML(attrs map[string]string) attributesOutput {
	var out attributesOutput
	for _, key := range sortedKeys(attrs) {
		out.Attributes = append(out.Attributes, attributeXML{Key: key, Value: attrs[key]})
	}
	return out
}

func (s *Server) describeAttributes(form url.Values) (any, error) {
	arn := form.Get("LoadBalancerArn")
	s.mu.Lock()
	defer s.mu.Unlock()
	lb, err := s.loadBalancer(arn)
	if err != nil {
		return nil, err
	}
	return attributesXML(lb.Attributes), nil
}

func (s *Server) modifyAttributes(form url.Values) (any, error) {
	arn := form.Get("LoadBalancerArn")
	attrs := structs(form, "Attributes.member")

	s.mu.Lock()
	defer s.mu.Unlock()
	lb, err := s.loadBalancer(arn)
	if err != nil {
		return nil, err
	}
	if err := setAttributes(&lb.Attributes, networkAttributes, attrs); err != nil {
		return nil, err
	}
	if err := s.commit(); err != nil {
		return nil, err
	}
	return attributesXML(lb.Attributes), nil
}

// setAttributes checks that every key in attrs is in known and that each
// ".enabled" value is true or false. Only when all are valid does it write
// them into *dst, creating the map when it is nil.
func setAttributes(dst *map[string]string, known map[string]string, attrs []map[string]string) error {
	for _, attr := range attrs {
		if _, ok := known[attr["Key"]]; !ok {
			return errorf(http.StatusBadRequest, "InvalidConfigurationRequest", "Key %s not valid", attr["Key"])
		}
		if strings.HasSuffix(attr["Key"], ".enabled") && attr["Value"] != "true" && attr["Value"] != "false" {
			return errorf(http.StatusBadRequest, "InvalidConfigurationRequest",
				"Value '%s' for attribute %s is not valid: want true or false", attr["Value"], attr["Key"])
		}
	}
	if *dst == nil {
		*dst = map[string]string{}
	}
	for _, attr := range attrs {
		(*dst)[attr["Key"]] = attr["Value"]
	}
	return nil
}

// effectiveAttributes returns the defaults of a target group's attributes
// overlaid with the values set on tg.
func effectiveAttributes(tg *TargetGroup) map[string]string {
	attrs := make(map[string]string, len(targetGroupAttributes))
	for key, value := range targetGroupAttributes {
		attrs[key] = value
	}
	for key, value := range tg.Attributes {
		attrs[key] = value
	}
	return attrs
}

func (s *Server) describeTargetGroupAttributes(form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tg, err := s.targetGroup(form.Get("TargetGroupArn"))
	if err != nil {
		return nil, err
	}
	return attributesXML(effectiveAttributes(tg)), nil
}

func (s *Server) modifyTargetGroupAttributes(form url.Values) (any, error) {
	attrs := structs(form, "Attributes.member")

	s.mu.Lock()
	defer s.mu.Unlock()
	tg, err := s.targetGroup(form.Get("TargetGroupArn"))
	if err != nil {
		return nil, err
	}
	if err := setAttributes(&tg.Attributes, targetGroupAttributes, attrs); err != nil {
		return nil, err
	}
	if err := s.commit(); err != nil {
		return nil, err
	}
	return attributesXML(effectiveAttributes(tg)), nil
}

type listenerXML struct {
	ARN             string `xml:"ListenerArn"`
	LoadBalancerARN string `xml:"LoadBalancerArn"`
	Port            int    `xml:"Port"`
	Protocol        string `xml:"Protocol"`
	DefaultActions  []struct {
		Type           string `xml:"Type"`
		TargetGroupARN string `xml:"TargetGroupArn"`
	} `xml:"DefaultActions>member"`
}

func toListenerXML(l *Listener) listenerXML {
	out := listenerXML{ARN: l.ARN, LoadBalancerARN: l.LoadBalancerARN, Port: l.Port, Protocol: l.Protocol}
	out.DefaultActions = append(out.DefaultActions, struct {
		Type           string `xml:"Type"`
		TargetGroupARN string `xml:"TargetGroupArn"`
	}{"forward", l.TargetGroupARN})
	return out
}

type listenersOutput struct {
	Listeners  []listenerXML `xml:"Listeners>member"`
	NextMarker string        `xml:"NextMarker,omitempty"`
}

func (s *Server) createListener(form url.Values) (any, error) {
	lbARN := form.Get("LoadBalancerArn")
	protocol := form.Get("Protocol")
	port, err := intField(form, "Port", 0)
	if err != nil {
		return nil, err
	}
	actions := structs(form, "DefaultActions.member")
	if len(actions) != 1 || actions[0]["Type"] != "forward" || actions[0]["TargetGroupArn"] == "" {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "the sandbox supports one default forward action with a TargetGroupArn")
	}
	certificates := structs(form, "Certificates.member")
	switch {
	case protocol != "TCP" && protocol != "TLS" && protocol != "UDP" && protocol != "TCP_UDP":
		return nil, errorf(http.StatusBadRequest, "UnsupportedProtocol", "Protocol '%s' is not supported by network load balancers", protocol)
	case port < 1 || port > 65535:
		return nil, errorf(http.StatusBadRequest, "ValidationError", "A port between 1 and 65535 must be specified")
	case protocol == "TLS" && len(certificates) == 0:
		return nil, errorf(http.StatusBadRequest, "CertificateNotFound", "A certificate must be specified for TLS listeners")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.loadBalancer(lbARN); err != nil {
		return nil, err
	}
	tgARN := actions[0]["TargetGroupArn"]
	if _, err := s.targetGroup(tgARN); err != nil {
		return nil, err
	}
	for _, l := range s.world.Listeners {
		if l.LoadBalancerARN != lbARN || l.Port != port {
			continue
		}
		if l.Protocol == protocol && l.TargetGroupARN == tgARN {
			return listenersOutput{Listeners: []listenerXML{toListenerXML(l)}}, nil
		}
		return nil, errorf(http.StatusBadRequest, "DuplicateListener", "A listener already exists on this port for this load balancer")
	}

	l := &Listener{
		ARN:             strings.Replace(lbARN, ":loadbalancer/", ":listener/", 1) + "/" + randomHex(16),
		LoadBalancerARN: lbARN,
		Protocol:        protocol,
		Port:            port,
		TargetGroupARN:  tgARN,
		CreatedAt:       s.now(),
	}
	for _, cert := range certificates {
		l.CertificateARNs = append(l.CertificateARNs, cert["CertificateArn"])
	}
	s.world.Listeners[l.ARN] = l
	if err := s.commit(); err != nil {
		delete(s.world.Listeners, l.ARN)
		return nil, err
	}
	return listenersOutput{Listeners: []listenerXML{toListenerXML(l)}}, nil
}

func (s *Server) describeListeners(form url.Values) (any, error) {
	lbARN := form.Get("LoadBalancerArn")
	arns := list(form, "ListenerArns.member")

	s.mu.Lock()
	defer s.mu.Unlock()
	if lbARN != "" {
		if _, err := s.loadBalancer(lbARN); err != nil {
			return nil, err
		}
	}
	var out listenersOutput
	for _, arn := range sortedKeys(s.world.Listeners) {
		l := s.world.Listeners[arn]
		if lbARN != "" && l.LoadBalancerARN != lbARN {
			continue
		}
		if len(arns) > 0 && !contains(arns, arn) {
			continue
		}
		out.Listeners = append(out.Listeners, toListenerXML(l))
	}
	if len(arns) > 0 && len(out.Listeners) < len(arns) {
		return nil, errorf(http.StatusBadRequest, "ListenerNotFound", "One or more listeners not found")
	}
	return out, nil
}

func (s *Server) deleteListener(form url.Values) (any, error) {
	arn := form.Get("ListenerArn")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.world.Listeners[arn]; !ok {
		return nil, listenerNotFound(arn)
	}
	delete(s.world.Listeners, arn)
	return nil, s.commit()
}

// maxTagResources is the most ARNs one DescribeTags call accepts.
const maxTagResources = 20

type tagDescriptionXML struct {
	ResourceARN string         `xml:"ResourceArn"`
	Tags        []attributeXML `xml:"Tags>member"`
}

type tagDescriptionsOutput struct {
	TagDescriptions []tagDescriptionXML `xml:"TagDescriptions>member"`
}

// describeTags returns the tags of load balancers, target groups and
// listeners, in the order of the requested ARNs. The sandbox stores no
// listener tags, so a listener has none.
func (s *Server) describeTags(form url.Values) (any, error) {
	arns := list(form, "ResourceArns.member")
	if len(arns) == 0 {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "ResourceArns must contain at least one ARN")
	}
	if len(arns) > maxTagResources {
		return nil, errorf(http.StatusBadRequest, "ValidationError",
			"ResourceArns contains %d ARNs, but at most %d are allowed", len(arns), maxTagResources)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var out tagDescriptionsOutput
	for _, arn := range arns {
		tags, err := s.resourceTags(arn)
		if err != nil {
			return nil, err
		}
		desc := tagDescriptionXML{ResourceARN: arn}
		for _, key := range sortedKeys(tags) {
			desc.Tags = append(desc.Tags, attributeXML{Key: key, Value: tags[key]})
		}
		out.TagDescriptions = append(out.TagDescriptions, desc)
	}
	return out, nil
}

// maxResourceTags is the maximum number of tags on one ELBv2 resource.
const maxResourceTags = 50

// addTags adds tags to load balancers and target groups and overwrites the
// values of keys they already have. The sandbox stores no listener tags, so
// tagging a listener fails.
func (s *Server) addTags(form url.Values) (any, error) {
	arns := list(form, "ResourceArns.member")
	tags := elbTagMap(form)
	if len(arns) == 0 || len(tags) == 0 {
		return nil, errorf(http.StatusBadRequest, "ValidationError", "ResourceArns and Tags must each contain at least one item")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	targets := make([]map[string]string, 0, len(arns))
	for _, arn := range arns {
		var stored *map[string]string
		if lb, ok := s.world.LoadBalancers[arn]; ok {
			stored = &lb.Tags
		} else if tg, ok := s.world.TargetGroups[arn]; ok {
			stored = &tg.Tags
		} else if _, err := s.resourceTags(arn); err != nil {
			return nil, err
		} else {
			return nil, errorf(http.StatusBadRequest, "ValidationError", "the sandbox stores no tags for %s", arn)
		}
		if *stored == nil {
			*stored = map[string]string{}
		}
		merged := len(*stored)
		for key := range tags {
			if _, ok := (*stored)[key]; !ok {
				merged++
			}
		}
		if merged > maxResourceTags {
			return nil, errorf(http.StatusBadRequest, "TooManyTags", "the resource %s would have %d tags, but at most %d are allowed", arn, merged, maxResourceTags)
		}
		targets = append(targets, *stored)
	}
	for _, stored := range targets {
		for key, value := range tags {
			stored[key] = value
		}
	}
	return nil, s.commit()
}

// resourceTags returns the tags of the ELBv2 resource with arn, or the
// not-found error that ELBv2 returns for its kind. The caller holds s.mu.
func (s *Server) resourceTags(arn string) (map[string]string, error) {
	if lb, ok := s.world.LoadBalancers[arn]; ok {
		return lb.Tags, nil
	}
	if tg, ok := s.world.TargetGroups[arn]; ok {
		return tg.Tags, nil
	}
	if _, ok := s.world.Listeners[arn]; ok {
		return nil, nil
	}
	switch {
	case strings.Contains(arn, ":targetgroup/"):
		return nil, targetGroupNotFound(arn)
	case strings.Contains(arn, ":listener/"):
		return nil, listenerNotFound(arn)
	}
	return nil, loadBalancerNotFound(arn)
}

func targetGroupNotFound(arn string) error {
	return errorf(http.StatusBadRequest, "TargetGroupNotFound", "Target groups '[%s]' not found", arn)
}

func loadBalancerNotFound(arn string) error {
	return errorf(http.StatusBadRequest, "LoadBalancerNotFound", "Load balancers '[%s]' not found", arn)
}

func listenerNotFound(arn string) error {
	return errorf(http.StatusBadRequest, "ListenerNotFound", "Listener '%s' not found", arn)
}

// targetGroup returns the target group with arn, or ELBv2's not-found
// error. Callers hold s.mu.
func (s *Server) targetGroup(arn string) (*TargetGroup, error) {
	tg, ok := s.world.TargetGroups[arn]
	if !ok {
		return nil, targetGroupNotFound(arn)
	}
	return tg, nil
}

// loadBalancer returns the load balancer with arn, or ELBv2's not-found
// error. Callers hold s.mu.
func (s *Server) loadBalancer(arn string) (*LoadBalancer, error) {
	lb, ok := s.world.LoadBalancers[arn]
	if !ok {
		return nil, loadBalancerNotFound(arn)
	}
	return lb, nil
}

// privateRanges are the address ranges that a target of type ip may use
// inside a VPC: RFC 1918 and the RFC 6598 shared range.
var privateRanges = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}

// checkTarget checks that id can be registered in tg: a running instance for
// a group of type instance, or a private IPv4 address for type ip. Callers
// hold s.mu.
func (s *Server) checkTarget(tg *TargetGroup, id, zone string, now time.Time) error {
	if tg.TargetType != "ip" {
		inst, ok := s.world.Instances[id]
		if !ok || s.instanceState(inst, now) == "terminated" {
			return errorf(http.StatusBadRequest, "InvalidTarget",
				"The following targets are not in a running state and cannot be registered: '%s'", id)
		}
		// NOTE: the wording of ELBv2's message for an instance of another
		// VPC is not checked against AWS.
		if vpc := s.world.SubnetVPCs[inst.SubnetID]; vpc != "" && vpc != tg.VPCID {
			return errorf(http.StatusBadRequest, "InvalidTarget",
				"The following targets are not in the target group's VPC '%s': '%s'", tg.VPCID, id)
		}
		return nil
	}
	ip := net.ParseIP(id)
	if ip == nil || ip.To4() == nil {
		return errorf(http.StatusBadRequest, "ValidationError", "The IP address '%s' is not a valid IPv4 address", id)
	}
	// As on ELBv2, an address of the VPC takes its zone from its subnet,
	// and an address outside the VPC needs a zone, such as all.
	_, vpcBlock, _ := net.ParseCIDR(sandboxVPCBlock)
	switch {
	case vpcBlock.Contains(ip) && zone == "all":
		return errorf(http.StatusBadRequest, "ValidationError",
			"The IP address '%s' is within the VPC, and cannot have its Availability Zone overridden to 'all'", id)
	case !vpcBlock.Contains(ip) && zone == "":
		return errorf(http.StatusBadRequest, "ValidationError",
			"The Availability Zone is required for IP address '%s' because it is not in the VPC", id)
	}
	for _, block := range privateRanges {
		if _, network, _ := net.ParseCIDR(block); network.Contains(ip) {
			return nil
		}
	}
	return errorf(http.StatusBadRequest, "InvalidTarget",
		"The IP address '%s' is outside the VPC and the private address ranges; register an address inside the VPC", id)
}
