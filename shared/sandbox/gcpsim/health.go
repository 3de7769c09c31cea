package gcpsim

import (
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/repolink/repolink/shared/sandbox/internal/healthprobe"
)

// HealthCheckRanges are the source ranges of Google Cloud's health checks
// for internal passthrough network load balancers. A backend turns HEALTHY
// only when a firewall rule allows both on the health check port.
var HealthCheckRanges = []string{"35.191.0.0/16", "130.211.0.0/22"}

// healthDialTimeout bounds one health probe.
const healthDialTimeout = 2 * time.Second

// servedPort is the only port that a sandbox VM serves: the launcher
// serves the proxy's port 443, and ResolveTarget stands for a seeded VM's
// port 443.
const servedPort = 443

// healthStatus is one instance's health behind a backend service.
type healthStatus struct {
	instance string
	ip       string
	port     int
	state    string
	addr     string
	probe    string // "tcp" or "http" when a network probe decides
}

// backendHealth computes the health of the instances of group behind the
// backend service at bsPath. The world decides what it can: an instance
// that is not RUNNING, a health check that no firewall rule lets through,
// or a backend still inside its first health check interval is UNHEALTHY.
// Otherwise a real probe to the VM decides, outside the lock.
func (s *Server) backendHealth(bsPath, group string) ([]healthStatus, *apiError) {
	s.mu.Lock()
	bs, ok := s.world.BackendServices[bsPath]
	if !ok {
		s.mu.Unlock()
		return nil, notFound(bsPath)
	}
	if !slices.ContainsFunc(bs.Backends, func(b Backend) bool { return b.Group == group }) {
		s.mu.Unlock()
		return nil, invalid("Invalid value for field 'resource.group': '%s'. The instance group is not a backend of '%s'.", group, bsPath)
	}
	g := s.world.InstanceGroups[group]
	hc := s.world.HealthChecks[bs.HealthChecks[0]]
	now := s.now()
	var out []healthStatus
	for _, m := range g.Members {
		inst, ok := s.world.Instances[m.Instance]
		if !ok {
			continue
		}
		st := healthStatus{instance: m.Instance, ip: inst.NetworkIP, state: "UNHEALTHY"}
		if hc != nil {
			st.port = hc.Port
			s.preHealth(bs, hc, inst, m, now, &st)
		}
		out = append(out, st)
	}
	s.mu.Unlock()

	for i := range out {
		if out[i].probe == "" {
			continue
		}
		if err := probe(out[i].addr, out[i].probe); err != nil {
			s.log.Debug("gcpsim health check failed", "backend_service", bsPath, "instance", out[i].instance, "error", err)
			continue
		}
		out[i].state = "HEALTHY"
	}
	return out, nil
}

// preHealth leaves st UNHEALTHY when the world decides, or sets st.probe
// and st.addr for a network probe. Callers hold s.mu.
func (s *Server) preHealth(bs *BackendService, hc *HealthCheck, inst *Instance, m Member, now time.Time, st *healthStatus) {
	if s.instanceStatus(inst, now) != "RUNNING" {
		return
	}
	for _, source := range HealthCheckRanges {
		if !s.firewallAllows(inst, source, hc.Port) {
			return
		}
	}
	from := s.runningAt(inst)
	for _, t := range []time.Time{m.AddedAt, bs.CreatedAt} {
		if t.After(from) {
			from = t
		}
	}
	if now.Before(from.Add(s.opts.Delays.BackendHealthy)) {
		return
	}
	st.addr = s.instanceAddr(inst, hc.Port)
	st.probe = "tcp"
	if hc.Type == "HTTP" {
		st.probe = "http"
	}
}

// firewallAllows reports whether any firewall rule of the instance's
// network lets TCP from every address of source reach port. Callers hold
// s.mu.
func (s *Server) firewallAllows(inst *Instance, source string, port int) bool {
	for _, key := range sortedKeys(s.world.Firewalls) {
		if allowsIngress(s.world.Firewalls[key], inst.Network, inst.NetworkTags, source, port) {
			return true
		}
	}
	return false
}

// instanceAddr returns the loopback address that serves port of the
// instance, or "" when nothing does. Callers hold s.mu.
func (s *Server) instanceAddr(inst *Instance, port int) string {
	if port != servedPort {
		return ""
	}
	if inst.Seeded {
		if s.opts.ResolveTarget == nil {
			return ""
		}
		addr, err := s.opts.ResolveTarget(inst.NetworkIP)
		if err != nil {
			s.log.Warn("gcpsim resolve target failed", "ip", inst.NetworkIP, "error", err)
			return ""
		}
		return addr
	}
	s.vmMu.Lock()
	defer s.vmMu.Unlock()
	return s.addrs[launchKey(inst.ID)]
}

// probe runs one health check: a TCP connect, or for HTTP a GET / that
// must return 200-399.
func probe(addr, kind string) error {
	if addr == "" {
		return fmt.Errorf("nothing serves the health check port")
	}
	conn, err := net.DialTimeout("tcp", addr, healthDialTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if kind != "http" {
		return nil
	}
	if err := conn.SetDeadline(time.Now().Add(healthDialTimeout)); err != nil {
		return err
	}
	return healthprobe.HTTPGet(conn, addr, "/", "GoogleHC/1.0")
}
