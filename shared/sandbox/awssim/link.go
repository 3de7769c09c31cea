package awssim

import (
	"errors"
	"fmt"
	"net"
)

// Errors of the PrivateLink consumer side, for errors.Is.
var (
	// ErrNotFound means the endpoint service or connection does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNotAllowed means the principal is not in the service's allow list.
	ErrNotAllowed = errors.New("principal not allowed")
	// ErrNotServing means nothing behind the service can take a connection
	// yet: no active load balancer, no TCP 443 listener, or no healthy
	// target.
	ErrNotServing = errors.New("not serving")
)

// serviceByName returns the endpoint service called name. Callers hold s.mu.
func (s *Server) serviceByName(name string) (*EndpointService, error) {
	for _, svc := range s.world.EndpointServices {
		if svc.Name == name {
			return svc, nil
		}
	}
	return nil, fmt.Errorf("endpoint service %q: %w", name, ErrNotFound)
}

// Connect creates an interface endpoint of principal to the endpoint
// service called serviceName and returns its ID. The principal must be
// allowed, by exact ARN or by "*". The connection starts in
// pendingAcceptance, or is accepted at once when the service does not
// require acceptance. Connecting again with the same principal returns the
// same endpoint unless it was deleted.
func (s *Server) Connect(serviceName, principal string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, err := s.serviceByName(serviceName)
	if err != nil {
		return "", err
	}
	if slicesIndex(svc.Permissions, principal) < 0 && slicesIndex(svc.Permissions, "*") < 0 {
		return "", fmt.Errorf("connect %s to %s: %w", principal, serviceName, ErrNotAllowed)
	}

	for _, id := range sortedKeys(s.world.Connections) {
		conn := s.world.Connections[id]
		if conn.ServiceID == svc.ID && conn.Principal == principal && conn.Final != "deleted" {
			return conn.EndpointID, nil
		}
	}

	now := s.now()
	conn := &EndpointConnection{
		EndpointID: "vpce-" + randomHex(17),
		ServiceID:  svc.ID,
		Principal:  principal,
		Owner:      accountOf(principal),
		CreatedAt:  now,
	}
	if !svc.AcceptanceRequired {
		conn.AcceptedAt = &now
	}
	s.world.Connections[conn.EndpointID] = conn
	if err := s.commit(); err != nil {
		delete(s.world.Connections, conn.EndpointID)
		return "", err
	}
	s.log.Info("awssim endpoint connected", "service_id", svc.ID, "endpoint_id", conn.EndpointID)
	return conn.EndpointID, nil
}

// ConnectionState returns the state of endpointID as EC2 spells it:
// pendingAcceptance, pending, available, rejected or deleted.
func (s *Server) ConnectionState(serviceName, endpointID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, err := s.connection(serviceName, endpointID)
	if err != nil {
		return "", err
	}
	return s.connectionState(conn, s.now()), nil
}

// Disconnect deletes the endpoint. Deleting it again succeeds.
func (s *Server) Disconnect(serviceName, endpointID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, err := s.connection(serviceName, endpointID)
	if err != nil {
		return err
	}
	if conn.Final == "deleted" {
		return nil
	}
	previous := conn.Final
	conn.Final = "deleted"
	if err := s.commit(); err != nil {
		conn.Final = previous
		return err
	}
	return nil
}

// connection returns the connection endpointID of the service called
// serviceName. Callers hold s.mu.
func (s *Server) connection(serviceName, endpointID string) (*EndpointConnection, error) {
	svc, err := s.serviceByName(serviceName)
	if err != nil {
		return nil, err
	}
	conn, ok := s.world.Connections[endpointID]
	if !ok || conn.ServiceID != svc.ID {
		return nil, fmt.Errorf("endpoint %s of %s: %w", endpointID, serviceName, ErrNotFound)
	}
	return conn, nil
}

// Address returns the loopback host:port that a connection to the service
// called serviceName reaches: the service's network load balancer, its TCP
// listener on port 443, the target group it forwards to, and there a
// registered, running, healthy instance's VM. The health is checked for
// real, by connecting to the VM.
func (s *Server) Address(serviceName string) (string, error) {
	tgARN, err := s.serviceTargetGroup(serviceName)
	if err != nil {
		return "", err
	}
	health, err := s.describeHealth(tgARN)
	if err != nil {
		return "", fmt.Errorf("address of %s: %w", serviceName, err)
	}

	var states []string
	for _, h := range health {
		if h.State != "healthy" {
			states = append(states, h.Target.ID+" is "+h.State)
			continue
		}
		s.vmMu.Lock()
		addr := s.addrs[h.Target.ID]
		s.vmMu.Unlock()
		if addr == "" && net.ParseIP(h.Target.ID) != nil {
			addr = s.resolveIP(h.Target.ID, h.Target.Port)
		}
		if addr != "" {
			return addr, nil
		}
	}
	return "", fmt.Errorf("address of %s: no healthy target in %s %v: %w", serviceName, tgARN, states, ErrNotServing)
}

// serviceTargetGroup follows the service to the target group behind its
// TCP 443 listener.
func (s *Server) serviceTargetGroup(serviceName string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, err := s.serviceByName(serviceName)
	if err != nil {
		return "", err
	}
	now := s.now()
	for _, lbARN := range svc.LoadBalancerARNs {
		lb, ok := s.world.LoadBalancers[lbARN]
		if !ok {
			continue
		}
		if state := s.loadBalancerState(lb, now); state != "active" {
			return "", fmt.Errorf("address of %s: load balancer %s is %s: %w", serviceName, lb.Name, state, ErrNotServing)
		}
		for _, arn := range sortedKeys(s.world.Listeners) {
			l := s.world.Listeners[arn]
			if l.LoadBalancerARN != lbARN || l.Port != 443 {
				continue
			}
			// A TLS listener ends the client's TLS session at the load
			// balancer, so the repository host's handshake never reaches
			// the proxy.
			if l.Protocol != "TCP" {
				return "", fmt.Errorf("address of %s: listener on port 443 is %s, want TCP: %w", serviceName, l.Protocol, ErrNotServing)
			}
			return l.TargetGroupARN, nil
		}
	}
	return "", fmt.Errorf("address of %s: no load balancer with a TCP 443 listener: %w", serviceName, ErrNotServing)
}
