package azuresim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Resource types that the front end serves.
const (
	typeVNet        = "Microsoft.Network/virtualNetworks"
	typeSubnet      = "Microsoft.Network/virtualNetworks/subnets"
	typeNIC         = "Microsoft.Network/networkInterfaces"
	typeVM          = "Microsoft.Compute/virtualMachines"
	typeLB          = "Microsoft.Network/loadBalancers"
	typePLS         = "Microsoft.Network/privateLinkServices"
	typeNSG         = "Microsoft.Network/networkSecurityGroups"
	typeRule        = "Microsoft.Network/networkSecurityGroups/securityRules"
	typePEC         = "Microsoft.Network/privateLinkServices/privateEndpointConnections"
	defaultLocation = "eastus"
)

// path is a parsed Resource Manager request path.
type path struct {
	subscription string
	group        string
	namespace    string
	// parentType and parentName name the top-level resource, such as
	// loadBalancers and lb1.
	parentType string
	parentName string
	// rest follows the top-level resource, such as [subnets sn1].
	rest []string
}

// parentID returns the top-level resource's ID.
func (p path) parentID() string {
	return "/subscriptions/" + p.subscription + "/resourceGroups/" + p.group +
		"/providers/" + p.namespace + "/" + p.parentType + "/" + p.parentName
}

func (p path) parentTypeName() string { return p.namespace + "/" + p.parentType }

// route dispatches a request by its path.
func (s *Server) route(r *http.Request, body []byte) (*response, error) {
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(seg) < 2 || !strings.EqualFold(seg[0], "subscriptions") {
		return nil, errorf(http.StatusNotFound, "InvalidResourceType", "no resource at %s", r.URL.Path)
	}

	// /subscriptions/S/providers/NS/locations/L/operations/ID
	if len(seg) == 8 && strings.EqualFold(seg[2], "providers") && strings.EqualFold(seg[4], "locations") && strings.EqualFold(seg[6], "operations") && r.Method == http.MethodGet {
		return s.getOperation(seg[7])
	}
	// /subscriptions/S/providers/Microsoft.Compute/locations/L/vmSizes
	if len(seg) == 7 && strings.EqualFold(seg[2], "providers") && strings.EqualFold(seg[3], "Microsoft.Compute") &&
		strings.EqualFold(seg[4], "locations") && strings.EqualFold(seg[6], "vmSizes") && r.Method == http.MethodGet {
		return listVMSizes(seg[5])
	}
	// /subscriptions/S/locations
	if len(seg) == 3 && strings.EqualFold(seg[2], "locations") && r.Method == http.MethodGet {
		return listLocations(seg[1]), nil
	}
	// /subscriptions/S/providers/Microsoft.Network/networkInterfaces
	if len(seg) == 5 && strings.EqualFold(seg[2], "providers") && strings.EqualFold(seg[3]+"/"+seg[4], typeNIC) && r.Method == http.MethodGet {
		return s.listNICs(r, seg[1])
	}

	if len(seg) < 8 || !strings.EqualFold(seg[2], "resourceGroups") || !strings.EqualFold(seg[4], "providers") {
		return nil, errorf(http.StatusNotFound, "InvalidResourceType", "no resource at %s", r.URL.Path)
	}
	p := path{subscription: seg[1], group: seg[3], namespace: seg[5], parentType: seg[6], parentName: seg[7], rest: seg[8:]}
	kind := strings.ToLower(p.parentTypeName())
	method := r.Method

	switch {
	case kind == strings.ToLower(typeVNet) && len(p.rest) == 0 && method == http.MethodGet:
		return s.get(p.parentID(), typeVNet)
	case kind == strings.ToLower(typeVNet) && len(p.rest) == 2 && strings.EqualFold(p.rest[0], "subnets"):
		id := p.parentID() + "/subnets/" + p.rest[1]
		return s.resourceMethod(method, id, typeSubnet, body, s.prepareSubnet)
	case kind == strings.ToLower(typeNIC) && len(p.rest) == 0:
		return s.resourceMethod(method, p.parentID(), typeNIC, body, s.prepareNIC)
	case kind == strings.ToLower(typeVM) && len(p.rest) == 0:
		return s.resourceMethod(method, p.parentID(), typeVM, body, s.prepareVM)
	case kind == strings.ToLower(typeLB) && len(p.rest) == 0:
		return s.resourceMethod(method, p.parentID(), typeLB, body, s.prepareLB)
	case kind == strings.ToLower(typeLB) && len(p.rest) == 3 && strings.EqualFold(p.rest[0], "loadBalancingRules") && strings.EqualFold(p.rest[2], "health") && method == http.MethodPost:
		return s.ruleHealth(p.parentID(), p.rest[1])
	case kind == strings.ToLower(typePLS) && len(p.rest) == 0:
		return s.resourceMethod(method, p.parentID(), typePLS, body, s.preparePLS)
	case kind == strings.ToLower(typePLS) && len(p.rest) == 1 && strings.EqualFold(p.rest[0], "privateEndpointConnections") && method == http.MethodGet:
		return s.listConnections(r, p.parentID())
	case kind == strings.ToLower(typePLS) && len(p.rest) == 2 && strings.EqualFold(p.rest[0], "privateEndpointConnections"):
		return s.connectionMethod(method, p.parentID(), p.rest[1], body)
	case kind == strings.ToLower(typeNSG) && len(p.rest) == 0 && method == http.MethodGet:
		return s.get(p.parentID(), typeNSG)
	case kind == strings.ToLower(typeNSG) && len(p.rest) == 0 && method == http.MethodPut:
		return s.putNSG(p.parentID(), body, r.Header)
	case kind == strings.ToLower(typeNSG) && len(p.rest) == 2 && strings.EqualFold(p.rest[0], "securityRules"):
		return s.securityRuleMethod(method, p.parentID(), p.rest[1], body)
	}
	return nil, errorf(http.StatusBadRequest, "InvalidResourceType", "the sandbox does not serve %s %s", method, r.URL.Path)
}

// preparer validates a PUT body against the world and returns the resource
// JSON to store, how long provisioning takes, and for VMs the decoded
// custom data. Callers hold s.mu.
type preparer func(id string, body []byte, existing *Resource) (stored any, delay time.Duration, customData string, err error)

func (s *Server) resourceMethod(method, id, resourceType string, body []byte, prepare preparer) (*response, error) {
	switch method {
	case http.MethodGet:
		return s.get(id, resourceType)
	case http.MethodPut:
		return s.put(id, resourceType, body, prepare)
	case http.MethodDelete:
		return s.deleteResource(id, resourceType)
	}
	return nil, errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "the sandbox does not serve %s on %s", method, resourceType)
}

func (s *Server) get(id, resourceType string) (*response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.resource(id, resourceType)
	if res == nil {
		return nil, notFound(resourceType, id)
	}
	view, err := s.render(res)
	if err != nil {
		return nil, err
	}
	return ok(view), nil
}

// put creates or replaces a resource. For a resource that takes time, it
// responds 201 (or 200 on update) with Azure-AsyncOperation, which the SDK
// poller follows. For one that is ready at once, it responds with
// provisioningState Succeeded and no polling header.
func (s *Server) put(id, resourceType string, body []byte, prepare preparer) (*response, error) {
	s.mu.Lock()
	existing := s.resource(id, resourceType)
	if existing == nil && s.world.Resources[key(id)] != nil {
		s.mu.Unlock()
		return nil, errorf(http.StatusConflict, "Conflict", "resource %s exists with another type", id)
	}
	if err := checkBodyLocation(id, body); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	stored, delay, customData, err := prepare(id, body, existing)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	data, err := json.Marshal(stored)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}

	now := s.now()
	res := &Resource{ID: id, Type: resourceType, Body: data, CreatedAt: now, ReadyAt: now.Add(delay), CustomData: customData}
	status := http.StatusCreated
	if existing != nil {
		status = http.StatusOK
		res.ID, res.CreatedAt, res.CustomData = existing.ID, existing.CreatedAt, existing.CustomData
		if existing.ReadyAt.After(res.ReadyAt) {
			res.ReadyAt = existing.ReadyAt
		}
	}
	previous := s.world.Resources[key(id)]
	s.world.Resources[key(id)] = res

	s.pruneOperations(now)
	headers := map[string]string{}
	if res.ReadyAt.After(now) {
		op := &Operation{ID: newGUID(), ReadyAt: res.ReadyAt}
		s.world.Operations[op.ID] = op
		headers["Azure-AsyncOperation"] = s.operationURL(id, op.ID)
		headers["Retry-After-Ms"] = strconv.Itoa(pollHintMs(res.ReadyAt.Sub(now)))
	}
	if err := s.commit(); err != nil {
		s.world.Resources[key(id)] = previous
		s.mu.Unlock()
		return nil, err
	}
	view, err := s.render(res)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}

	if existing == nil && resourceType == typeVM {
		s.launch(id, customData)
	}
	return &response{status: status, headers: headers, body: view}, nil
}

// pollHintMs is the Retry-After-Ms that keeps SDK pollers from waiting their
// default 30 seconds: a tenth of the remaining time, between 10 ms and 1 s.
func pollHintMs(remaining time.Duration) int {
	ms := int(remaining.Milliseconds() / 10)
	return min(max(ms, 10), 1000)
}

// operationURL returns the absolute polling URL of an operation, with the
// api-version of the resource's provider, since the SDK uses it verbatim.
func (s *Server) operationURL(resourceID, opID string) string {
	ns, version := "Microsoft.Network", networkAPIVersion
	if strings.Contains(strings.ToLower(resourceID), "/providers/microsoft.compute/") {
		ns, version = "Microsoft.Compute", computeAPIVersion
	}
	sub := strings.Split(strings.Trim(resourceID, "/"), "/")[1]
	return s.URL() + "/subscriptions/" + sub + "/providers/" + ns + "/locations/" + defaultLocation +
		"/operations/" + opID + "?api-version=" + version
}

// operationRetention is how long a finished operation stays readable,
// which is far longer than any poller waits after it finishes.
const operationRetention = time.Hour

// pruneOperations drops operations that finished more than
// operationRetention ago. Callers hold s.mu.
func (s *Server) pruneOperations(now time.Time) {
	for id, op := range s.world.Operations {
		if now.Sub(op.ReadyAt) > operationRetention {
			delete(s.world.Operations, id)
		}
	}
}

func (s *Server) getOperation(opID string) (*response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, found := s.world.Operations[opID]
	if !found {
		return nil, errorf(http.StatusNotFound, "OperationNotFound", "operation %s not found", opID)
	}
	now := s.now()
	if now.Before(op.ReadyAt) {
		return &response{
			status:  http.StatusOK,
			headers: map[string]string{"Retry-After-Ms": strconv.Itoa(pollHintMs(op.ReadyAt.Sub(now)))},
			body:    map[string]any{"name": op.ID, "status": "InProgress"},
		}, nil
	}
	return ok(map[string]any{"name": op.ID, "status": "Succeeded"}), nil
}

// render returns the resource as GET shows it: the stored JSON with its ID,
// name, type, provisioning state and the fields computed from other
// resources. Callers hold s.mu.
func (s *Server) render(res *Resource) (map[string]any, error) {
	var view map[string]any
	if err := json.Unmarshal(res.Body, &view); err != nil {
		return nil, err
	}
	view["id"] = res.ID
	view["name"] = res.ID[strings.LastIndex(res.ID, "/")+1:]
	view["type"] = res.Type
	props, _ := view["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		view["properties"] = props
	}
	props["provisioningState"] = s.provisioningState(res)

	switch res.Type {
	case typeNIC:
		s.renderNIC(res, props)
	case typeLB:
		s.renderLB(res, props)
	case typePLS:
		s.renderPLS(res, props)
	case typeNSG:
		s.renderNSG(res, props)
		view["etag"] = s.nsgETag(res)
	}
	return view, nil
}

// provisioningState is Succeeded once the resource's provisioning time has
// passed. Before that, VMs read Creating and network resources Updating, as
// Resource Manager reports them.
func (s *Server) provisioningState(res *Resource) string {
	switch {
	case !s.now().Before(res.ReadyAt):
		return "Succeeded"
	case res.Type == typeVM:
		return "Creating"
	}
	return "Updating"
}
