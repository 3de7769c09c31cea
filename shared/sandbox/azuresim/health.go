package azuresim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
)

// probeTimeout bounds one sandbox health probe connect.
const probeTimeout = time.Second

// servedPort is the only port that a launched proxy VM serves.
const servedPort = 443

// launch starts the VM through the launcher and records its address. A
// failed launch leaves the VM with nothing serving, so its probes fail as
// they would on a broken VM.
func (s *Server) launch(vmID, customData string) {
	if s.opts.Launcher == nil || customData == "" {
		return
	}
	addr, err := s.opts.Launcher.Launch(context.Background(), vmID, customData)
	if err != nil {
		s.log.Error("azuresim launch failed", "vm", vmID, "error", err)
		return
	}
	s.vmMu.Lock()
	s.addrs[key(vmID)] = addr
	s.vmMu.Unlock()
	s.log.Info("azuresim vm launched", "vm", vmID, "addr", addr)
}

// relaunch starts the VMs of the world, so a new process serves what an
// earlier one built.
func (s *Server) relaunch(ctx context.Context) {
	type pending struct{ id, customData string }
	var todo []pending
	s.mu.Lock()
	for _, k := range sortedKeys(s.world.Resources) {
		if res := s.world.Resources[k]; res.Type == typeVM {
			todo = append(todo, pending{res.ID, res.CustomData})
		}
	}
	s.mu.Unlock()
	for _, p := range todo {
		if ctx.Err() != nil {
			return
		}
		s.launch(p.id, p.customData)
	}
}

// stopVMs stops every VM this process launched.
func (s *Server) stopVMs() {
	s.vmMu.Lock()
	ids := sortedKeys(s.addrs)
	s.addrs = map[string]string{}
	s.vmMu.Unlock()
	if s.opts.Launcher == nil {
		return
	}
	for _, id := range ids {
		if err := s.opts.Launcher.Stop(id); err != nil {
			s.log.Error("azuresim vm stop failed", "vm", id, "error", err)
		}
	}
}

// backend is one pool member as a probe reaches it.
type backend struct {
	member poolMember
	// addr is the loopback address that stands for the member, or "".
	addr string
	// reason explains why the member cannot be up before any probe.
	reason string
}

// ruleTarget is a load balancing rule resolved to its probe and members.
type ruleTarget struct {
	rule     armnetwork.LoadBalancingRule
	probe    armnetwork.Probe
	backends []backend
}

// resolveRule resolves a rule of a load balancer. Callers hold s.mu.
func (s *Server) resolveRule(lb armnetwork.LoadBalancer, match func(*armnetwork.LoadBalancingRule) bool) (*ruleTarget, error) {
	if lb.Properties == nil {
		return nil, fmt.Errorf("load balancer %s has no properties", str(lb.ID))
	}
	for _, rule := range lb.Properties.LoadBalancingRules {
		if rule == nil || rule.Properties == nil || !match(rule) {
			continue
		}
		target := &ruleTarget{rule: *rule}
		for _, probe := range lb.Properties.Probes {
			if probe != nil && rule.Properties.Probe != nil && key(str(probe.ID)) == key(str(rule.Properties.Probe.ID)) {
				target.probe = *probe
			}
		}
		if rule.Properties.BackendAddressPool == nil {
			return target, nil
		}
		for _, member := range s.nicsInPool(str(rule.Properties.BackendAddressPool.ID)) {
			target.backends = append(target.backends, s.backendOf(member))
		}
		return target, nil
	}
	return nil, nil
}

// backendOf finds what serves a pool member: the launched proxy VM that the
// NIC belongs to, or Options.Backend for a NIC without a sandbox VM.
// Callers hold s.mu.
func (s *Server) backendOf(member poolMember) backend {
	b := backend{member: member}
	vmID := s.vmOfNIC(member.nicID)
	if vmID == "" {
		if s.opts.Backend == nil {
			b.reason = "no VM is attached to the network interface"
			return b
		}
		addr, err := s.opts.Backend(member.ip)
		if err != nil {
			b.reason = err.Error()
			return b
		}
		b.addr = addr
		return b
	}
	if res := s.resource(vmID, typeVM); res == nil || s.provisioningState(res) != "Succeeded" {
		b.reason = "the virtual machine is still being created"
		return b
	}
	s.vmMu.Lock()
	b.addr = s.addrs[key(vmID)]
	s.vmMu.Unlock()
	if b.addr == "" {
		b.reason = "nothing listens on the virtual machine"
	}
	return b
}

// probe runs the rule's health probe against one backend, as a TCP
// connect. Only TCP probes on the served port can succeed, because the
// proxy serves TLS passthrough on 443 only.
func probe(target *ruleTarget, b backend) (bool, string) {
	if b.reason != "" {
		return false, b.reason
	}
	pp := target.probe.Properties
	if pp == nil {
		return false, "the rule has no health probe"
	}
	if pp.Protocol == nil || *pp.Protocol != armnetwork.ProbeProtocolTCP {
		return false, fmt.Sprintf("the probe uses %v, which fails against a TLS passthrough port", deref(pp.Protocol))
	}
	if pp.Port == nil || *pp.Port != servedPort {
		return false, fmt.Sprintf("the probe checks port %d, but the backend serves %d", deref(pp.Port), servedPort)
	}
	conn, err := net.DialTimeout("tcp", b.addr, probeTimeout)
	if err != nil {
		return false, "the probe connection failed"
	}
	conn.Close()
	return true, ""
}

func deref[T any](p *T) any {
	if p == nil {
		return "nothing"
	}
	return *p
}

// ruleHealth returns each backend's probe result for the load balancing
// rule health call. The probes are real connects to the launched
// VMs, made without the lock.
func (s *Server) ruleHealth(lbID, ruleName string) (*response, error) {
	s.mu.Lock()
	res := s.resource(lbID, typeLB)
	if res == nil {
		s.mu.Unlock()
		return nil, notFound(typeLB, lbID)
	}
	lb, err := decode[armnetwork.LoadBalancer](res)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	ready := s.provisioningState(res) == "Succeeded"
	target, err := s.resolveRule(lb, func(r *armnetwork.LoadBalancingRule) bool { return strings.EqualFold(str(r.Name), ruleName) })
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if target == nil {
		return nil, notFound("Microsoft.Network/loadBalancers/loadBalancingRules", lbID+"/loadBalancingRules/"+ruleName)
	}

	up, down := 0, 0
	var addresses []any
	for _, b := range target.backends {
		healthy, reason := false, "the load balancer is still being created"
		if ready {
			healthy, reason = probe(target, b)
		}
		state := "Down"
		if healthy {
			state, up = "Up", up+1
		} else {
			down++
		}
		addresses = append(addresses, map[string]any{
			"ipAddress":                         b.member.ip,
			"networkInterfaceIPConfigurationId": map[string]any{"id": b.member.configID},
			"state":                             state,
			"reason":                            reason,
		})
	}
	if addresses == nil {
		addresses = []any{}
	}
	return &response{status: http.StatusOK, body: map[string]any{"up": up, "down": down, "loadBalancerBackendAddresses": addresses}}, nil
}

// Address returns the loopback host:port that a connection to the Private
// Link Service reaches: its load balancer frontend, the TCP rule on port
// 443 of that frontend, the rule's backend pool, and there a member whose
// probe succeeds. The probe is a real connect.
func (s *Server) Address(serviceID string) (string, error) {
	target, err := s.serviceTarget(serviceID)
	if err != nil {
		return "", err
	}
	var reasons []string
	for _, b := range target.backends {
		healthy, reason := probe(target, b)
		if healthy {
			return b.addr, nil
		}
		reasons = append(reasons, b.member.ip+": "+reason)
	}
	if len(reasons) == 0 {
		reasons = append(reasons, "the backend pool is empty")
	}
	return "", fmt.Errorf("address of %s: no healthy backend (%s): %w", serviceID, strings.Join(reasons, "; "), ErrNotServing)
}

// serviceTarget follows a Private Link Service to the rule behind its
// frontend.
func (s *Server) serviceTarget(serviceID string) (*ruleTarget, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.resource(serviceID, typePLS)
	if res == nil {
		return nil, fmt.Errorf("private link service %s: %w", serviceID, ErrNotFound)
	}
	pls, err := decode[armnetwork.PrivateLinkService](res)
	if err != nil {
		return nil, err
	}
	if pls.Properties.EnableProxyProtocol != nil && *pls.Properties.EnableProxyProtocol {
		// The proxy expects the client's raw TLS ClientHello, and a PROXY
		// protocol header in front of it breaks every handshake.
		return nil, fmt.Errorf("address of %s: the service sends PROXY protocol headers, which the proxy does not read: %w", serviceID, ErrNotServing)
	}
	for _, fe := range pls.Properties.LoadBalancerFrontendIPConfigurations {
		frontendID := str(fe.ID)
		i := strings.LastIndex(strings.ToLower(frontendID), "/frontendipconfigurations/")
		if i < 0 {
			continue
		}
		lbRes := s.resource(frontendID[:i], typeLB)
		if lbRes == nil {
			continue
		}
		if state := s.provisioningState(lbRes); state != "Succeeded" {
			return nil, fmt.Errorf("address of %s: load balancer %s is %s: %w", serviceID, lbRes.ID, state, ErrNotServing)
		}
		lb, err := decode[armnetwork.LoadBalancer](lbRes)
		if err != nil {
			return nil, err
		}
		target, err := s.resolveRule(lb, func(r *armnetwork.LoadBalancingRule) bool {
			rp := r.Properties
			return rp.FrontendIPConfiguration != nil && key(str(rp.FrontendIPConfiguration.ID)) == key(frontendID) &&
				rp.FrontendPort != nil && *rp.FrontendPort == servedPort
		})
		if err != nil {
			return nil, err
		}
		if target == nil {
			continue
		}
		rp := target.rule.Properties
		if rp.Protocol == nil || *rp.Protocol != armnetwork.TransportProtocolTCP {
			return nil, fmt.Errorf("address of %s: the rule on port 443 uses %v, want Tcp: %w", serviceID, deref(rp.Protocol), ErrNotServing)
		}
		if rp.BackendPort == nil || *rp.BackendPort != servedPort {
			return nil, fmt.Errorf("address of %s: the rule forwards to port %v, but the proxy serves %d: %w", serviceID, deref(rp.BackendPort), servedPort, ErrNotServing)
		}
		return target, nil
	}
	return nil, fmt.Errorf("address of %s: no load balancer rule on port 443 behind the service: %w", serviceID, ErrNotServing)
}
