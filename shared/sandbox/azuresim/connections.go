package azuresim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
)

// Connection statuses as Resource Manager spells them.
const (
	statusPending      = "Pending"
	statusApproved     = "Approved"
	statusRejected     = "Rejected"
	statusDisconnected = "Disconnected"
)

// Errors of the private connectivity side, for errors.Is.
var (
	// ErrNotFound means the Private Link Service or connection does not
	// exist.
	ErrNotFound = errors.New("not found")
	// ErrNotServing means nothing behind the service can take a connection.
	ErrNotServing = errors.New("not serving")
)

// connectionsOf returns the connections on a Private Link Service in a
// stable order. Callers hold s.mu.
func (s *Server) connectionsOf(serviceID string) []*Connection {
	var out []*Connection
	for _, k := range sortedKeys(s.world.Connections) {
		if c := s.world.Connections[k]; key(c.ServiceID) == key(serviceID) {
			out = append(out, c)
		}
	}
	return out
}

func connectionView(c *Connection) map[string]any {
	return map[string]any{
		"id":   c.ID,
		"name": c.Name,
		"type": typePEC,
		"etag": `W/"` + c.LinkIdentifier + `"`,
		"properties": map[string]any{
			"provisioningState": "Succeeded",
			"linkIdentifier":    c.LinkIdentifier,
			"privateEndpoint":   map[string]any{"id": c.PrivateEndpointID},
			"privateLinkServiceConnectionState": map[string]any{
				"status":          c.Status,
				"description":     c.Description,
				"actionsRequired": "None",
			},
		},
	}
}

func (s *Server) listConnections(r *http.Request, serviceID string) (*response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resource(serviceID, typePLS) == nil {
		return nil, notFound(typePLS, serviceID)
	}
	var views []any
	for _, c := range s.connectionsOf(serviceID) {
		views = append(views, connectionView(c))
	}
	return s.page(r, views), nil
}

// connectionMethod reads or updates one connection. An update changes only
// the status and description and ignores the read-only fields that a
// read-modify-write sends back. It responds 200, the only status the SDK
// accepts for this call.
func (s *Server) connectionMethod(method, serviceID, name string, body []byte) (*response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resource(serviceID, typePLS) == nil {
		return nil, notFound(typePLS, serviceID)
	}
	c := s.world.Connections[key(serviceID+"/privateEndpointConnections/"+name)]
	if c == nil {
		return nil, notFound(typePEC, serviceID+"/privateEndpointConnections/"+name)
	}
	switch method {
	case http.MethodGet:
		return ok(connectionView(c)), nil
	case http.MethodPut:
	default:
		return nil, errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "the sandbox does not serve %s on %s", method, typePEC)
	}

	update, err := decodeBody[armnetwork.PrivateEndpointConnection](body)
	if err != nil {
		return nil, err
	}
	if update.Properties == nil || update.Properties.PrivateLinkServiceConnectionState == nil {
		return nil, invalid("The request must set properties.privateLinkServiceConnectionState.")
	}
	state := update.Properties.PrivateLinkServiceConnectionState
	status := str(state.Status)
	if err := checkTransition(c.Status, status); err != nil {
		return nil, err
	}
	previous := *c
	c.Status = canonicalStatus(status)
	c.Description = str(state.Description)
	if err := s.commit(); err != nil {
		*c = previous
		return nil, err
	}
	s.log.Info("azuresim connection updated", "connection", c.ID, "status", c.Status)
	return ok(connectionView(c)), nil
}

func canonicalStatus(status string) string {
	for _, known := range []string{statusPending, statusApproved, statusRejected, statusDisconnected} {
		if strings.EqualFold(status, known) {
			return known
		}
	}
	return status
}

// checkTransition allows approving or rejecting a pending connection,
// rejecting an approved one, and setting the current status again.
//
// NOTE: the error codes are the sandbox's own; the codes that Resource
// Manager returns for these transitions were not observed.
func checkTransition(from, to string) error {
	to = canonicalStatus(to)
	switch {
	case to != statusApproved && to != statusRejected && to != statusPending:
		return invalid("Status %q is not valid; use Approved or Rejected.", to)
	case from == to:
		return nil
	case from == statusPending && (to == statusApproved || to == statusRejected):
		return nil
	case from == statusApproved && to == statusRejected:
		return nil
	}
	return errorf(http.StatusBadRequest, "InvalidPrivateEndpointConnectionStatusChange",
		"A private endpoint connection in status %s cannot change to %s.", from, to)
}

// Connect creates a private endpoint of the sandbox Snowflake in its own
// subscription and a Pending connection from it on the Private Link
// Service serviceID, and returns the endpoint's resource ID. Connecting
// again with the same principal returns the same endpoint unless it was
// disconnected.
func (s *Server) Connect(serviceID, principal string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.resource(serviceID, typePLS)
	if res == nil {
		return "", fmt.Errorf("private link service %s: %w", serviceID, ErrNotFound)
	}
	if state := s.provisioningState(res); state != "Succeeded" {
		return "", fmt.Errorf("private link service %s is %s: %w", serviceID, state, ErrNotServing)
	}
	for _, c := range s.connectionsOf(serviceID) {
		if c.Principal == principal && c.Status != statusDisconnected {
			return c.PrivateEndpointID, nil
		}
	}

	// Snowflake names the endpoint with a GUID, and the service names the
	// connection after the endpoint plus a suffix of its own.
	endpointName := newGUID()
	name := endpointName + "." + newGUID()
	c := &Connection{
		ID:                res.ID + "/privateEndpointConnections/" + name,
		Name:              name,
		ServiceID:         res.ID,
		PrivateEndpointID: "/subscriptions/" + SnowflakeSubscription + "/resourcegroups/sf-privatelink/providers/microsoft.network/privateendpoints/" + endpointName,
		Principal:         principal,
		Status:            statusPending,
		Description:       "Awaiting approval",
		LinkIdentifier:    fmt.Sprint(536870912 + len(s.world.Connections) + 1),
		CreatedAt:         s.now(),
	}
	s.world.Connections[key(c.ID)] = c
	if err := s.commit(); err != nil {
		delete(s.world.Connections, key(c.ID))
		return "", err
	}
	s.log.Info("azuresim endpoint connected", "service", res.ID, "connection", c.Name, "endpoint_id", c.PrivateEndpointID)
	return c.PrivateEndpointID, nil
}

// connectionByEndpoint returns the connection from endpointID on the
// service. Callers hold s.mu.
func (s *Server) connectionByEndpoint(serviceID, endpointID string) (*Connection, error) {
	if s.resource(serviceID, typePLS) == nil {
		return nil, fmt.Errorf("private link service %s: %w", serviceID, ErrNotFound)
	}
	for _, c := range s.connectionsOf(serviceID) {
		if key(c.PrivateEndpointID) == key(endpointID) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("endpoint %s on %s: %w", endpointID, serviceID, ErrNotFound)
}

// ConnectionState returns the connection's status as Resource Manager
// spells it: Pending, Approved, Rejected or Disconnected.
func (s *Server) ConnectionState(serviceID, endpointID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.connectionByEndpoint(serviceID, endpointID)
	if err != nil {
		return "", err
	}
	return c.Status, nil
}

// Disconnect marks the connection Disconnected, as deleting the private
// endpoint does. Disconnecting again succeeds.
func (s *Server) Disconnect(serviceID, endpointID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.connectionByEndpoint(serviceID, endpointID)
	if err != nil {
		return err
	}
	if c.Status == statusDisconnected {
		return nil
	}
	previous := c.Status
	c.Status = statusDisconnected
	c.Description = "The private endpoint was deleted"
	if err := s.commit(); err != nil {
		c.Status = previous
		return err
	}
	return nil
}
