package awssim

import (
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/sandbox/internal/healthprobe"
)

// healthDialTimeout bounds one sandbox health check connect.
const healthDialTimeout = time.Second

func (s *Server) instanceState(inst *Instance, now time.Time) string {
	switch {
	case inst.TerminatedAt != nil:
		return "terminated"
	case now.Before(inst.LaunchedAt.Add(s.opts.Delays.InstanceRunning)):
		return "pending"
	}
	return "running"
}

// instanceStateCode is the EC2 numeric code of an instance state.
func instanceStateCode(state string) int {
	switch state {
	case "pending":
		return 0
	case "running":
		return 16
	case "shutting-down":
		return 32
	case "terminated":
		return 48
	case "stopping":
		return 64
	case "stopped":
		return 80
	}
	return 0
}

func (s *Server) loadBalancerState(lb *LoadBalancer, now time.Time) string {
	if now.Before(lb.CreatedAt.Add(s.opts.Delays.LoadBalancerActive)) {
		return "provisioning"
	}
	return "active"
}

func (s *Server) connectionState(conn *EndpointConnection, now time.Time) string {
	switch {
	case conn.Final != "":
		return conn.Final
	case conn.AcceptedAt == nil:
		return "pendingAcceptance"
	case now.Before(conn.AcceptedAt.Add(s.opts.Delays.ConnectionAvailable)):
		return "pending"
	}
	return "available"
}

// visible reports whether a resource created at created shows up in
// describe calls that filter or look up by name.
func (s *Server) visible(created, now time.Time) bool {
	return !now.Before(created.Add(s.opts.Delays.Visibility))
}

// subnetZone returns the availability zone of subnet, giving a subnet seen
// for the first time the next zone of region in turn. Subnets added with
// AddSubnet do not take a turn. It reports false for a subnet in a zone of
// another region, which a call for region does not find. Callers hold s.mu.
func (s *Server) subnetZone(region, subnet string) (string, bool) {
	if zone, ok := s.world.SubnetZones[subnet]; ok {
		return zone, zoneRegion(zone) == region
	}
	zones := s.zones(region)
	turn := len(s.world.SubnetZones) - len(s.world.SubnetVPCs)
	zone := zones[turn%len(zones)].Name
	s.world.SubnetZones[subnet] = zone
	return zone, true
}

// targetHealth is the health of one target as DescribeTargetHealth reports
// it.
type targetHealth struct {
	Target      Target
	HealthPort  string
	State       string
	Reason      string
	Description string
}

// healthProbe is a health check that must reach the network, prepared under
// s.mu and run after it is released.
type healthProbe struct {
	index    int
	addr     string
	protocol string
	path     string
	// ipTarget is set for a target of type ip, whose addr is resolved
	// through Options.ResolveIP without the lock.
	ipTarget bool
	port     int
}

// describeHealth returns the health of every target of tg. It holds s.mu
// only to read the world: the health checks themselves are real connects to
// the launched VMs.
func (s *Server) describeHealth(tgARN string) ([]targetHealth, error) {
	s.mu.Lock()
	tg, err := s.targetGroup(tgARN)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	now := s.now()
	zones := s.servingZones(tg.ARN, now)

	out := make([]targetHealth, len(tg.Targets))
	var probes []healthProbe
	for i, target := range tg.Targets {
		health := targetHealth{Target: target, HealthPort: strconv.Itoa(target.Port)}
		if tg.HealthCheckPort != "" && tg.HealthCheckPort != "traffic-port" {
			health.HealthPort = tg.HealthCheckPort
		}
		probe, decided := s.preHealth(tg, target, zones, now, &health)
		out[i] = health
		if !decided {
			probe.index = i
			probes = append(probes, probe)
		}
	}
	s.mu.Unlock()

	for _, probe := range probes {
		if probe.ipTarget {
			probe.addr = s.resolveIP(out[probe.index].Target.ID, probe.port)
		}
		if err := checkHealth(probe); err != nil {
			out[probe.index].State = "unhealthy"
			out[probe.index].Reason = "Target.FailedHealthChecks"
			out[probe.index].Description = "Health checks failed"
			s.log.Debug("awssim health check failed", "target_group", tgARN, "target", out[probe.index].Target.ID, "error", err)
			continue
		}
		out[probe.index].State = "healthy"
	}
	return out, nil
}

// servingZones returns the zones of the load balancers whose listeners
// forward to tgARN, or nil when no load balancer uses it. Callers hold s.mu.
func (s *Server) servingZones(tgARN string, now time.Time) []string {
	var zones []string
	used := false
	for _, l := range s.world.Listeners {
		if l.TargetGroupARN != tgARN {
			continue
		}
		lb, ok := s.world.LoadBalancers[l.LoadBalancerARN]
		if !ok {
			continue
		}
		used = true
		zones = append(zones, lb.Zones...)
	}
	if !used {
		return nil
	}
	return zones
}

// preHealth decides the health of target from the world alone where it can,
// with the states and reason codes of the ELBv2 TargetHealth type. Like
// ELBv2, it reports a target unused (Target.NotInUse) while no load
// balancer listener forwards to its group. It returns decided=false with a
// probe when a network health check must decide. Callers hold s.mu.
func (s *Server) preHealth(tg *TargetGroup, target Target, zones []string, now time.Time, health *targetHealth) (healthProbe, bool) {
	if tg.TargetType == "ip" {
		return s.preHealthIP(tg, target, zones, now, health)
	}
	inst, ok := s.world.Instances[target.ID]
	if !ok || s.instanceState(inst, now) == "terminated" {
		health.State, health.Reason = "unused", "Target.InvalidState"
		health.Description = "Target is in the stopped or terminated state"
		return healthProbe{}, true
	}
	if zones == nil {
		health.State, health.Reason = "unused", "Target.NotInUse"
		health.Description = "Target group is not configured to receive traffic from the load balancer"
		return healthProbe{}, true
	}
	if !slices.Contains(zones, s.world.SubnetZones[inst.SubnetID]) {
		health.State, health.Reason = "unused", "Target.NotInUse"
		health.Description = "Target is in an Availability Zone that is not enabled for the load balancer"
		return healthProbe{}, true
	}
	if !tg.HealthCheckEnabled {
		health.State, health.Reason = "unavailable", "Target.HealthCheckDisabled"
		health.Description = "Health checks are disabled"
		return healthProbe{}, true
	}

	runningAt := inst.LaunchedAt.Add(s.opts.Delays.InstanceRunning)
	checkFrom := target.RegisteredAt
	if runningAt.After(checkFrom) {
		checkFrom = runningAt
	}
	if now.Before(checkFrom.Add(s.opts.Delays.TargetHealthy)) {
		health.State, health.Reason = "initial", "Elb.InitialHealthChecking"
		health.Description = "Initial health checks in progress"
		return healthProbe{}, true
	}

	// The launcher serves the instance's port 443 only.
	s.vmMu.Lock()
	addr := s.addrs[inst.ID]
	s.vmMu.Unlock()
	if health.HealthPort != "443" {
		addr = ""
	}
	return healthProbe{addr: addr, protocol: tg.HealthCheckProtocol, path: tg.HealthCheckPath}, false
}

// checkHealth runs one health check the way ELBv2 does for the protocol: a
// TCP connect, or an HTTP(S) GET that must return 200-399.
func checkHealth(probe healthProbe) error {
	if probe.addr == "" {
		return fmt.Errorf("nothing serves the health check port")
	}
	conn, err := net.DialTimeout("tcp", probe.addr, healthDialTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(healthDialTimeout)); err != nil {
		return err
	}

	switch strings.ToUpper(probe.protocol) {
	case "", "TCP", "TLS", "TCP_UDP":
		return nil
	case "HTTPS":
		// ELBv2 does not validate the target's certificate, and it sends no
		// server name.
		tlsConn := tls.Client(conn, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // matches the load balancer's health check.
		if err := tlsConn.Handshake(); err != nil {
			return err
		}
		return httpCheck(tlsConn, probe)
	}
	return httpCheck(conn, probe)
}

func httpCheck(conn net.Conn, probe healthProbe) error {
	path := probe.path
	if path == "" {
		path = "/"
	}
	return healthprobe.HTTPGet(conn, probe.addr, path, "ELB-HealthChecker/2.0")
}

// preHealthIP is preHealth for a target of type ip: an address inside the
// VPC that no instance of the sandbox backs. The sandbox does not know which
// zone the address is in, so it skips the zone check. Callers hold s.mu.
func (s *Server) preHealthIP(tg *TargetGroup, target Target, zones []string, now time.Time, health *targetHealth) (healthProbe, bool) {
	switch {
	case zones == nil:
		health.State, health.Reason = "unused", "Target.NotInUse"
		health.Description = "Target group is not configured to receive traffic from the load balancer"
		return healthProbe{}, true
	case !tg.HealthCheckEnabled:
		health.State, health.Reason = "unavailable", "Target.HealthCheckDisabled"
		health.Description = "Health checks are disabled"
		return healthProbe{}, true
	case now.Before(target.RegisteredAt.Add(s.opts.Delays.TargetHealthy)):
		health.State, health.Reason = "initial", "Elb.InitialHealthChecking"
		health.Description = "Initial health checks in progress"
		return healthProbe{}, true
	}
	port := target.Port
	if tg.HealthCheckPort != "" && tg.HealthCheckPort != "traffic-port" {
		port, _ = strconv.Atoi(tg.HealthCheckPort)
	}
	return healthProbe{protocol: tg.HealthCheckProtocol, path: tg.HealthCheckPath, ipTarget: true, port: port}, false
}

// resolveIP returns the loopback address that serves ip:port, or "" when
// nothing does.
func (s *Server) resolveIP(ip string, port int) string {
	if s.opts.ResolveIP == nil {
		return ""
	}
	addr, err := s.opts.ResolveIP(ip, port)
	if err != nil {
		s.log.Debug("awssim ip target unreachable", "ip", ip, "port", port, "error", err)
		return ""
	}
	return addr
}
