package sfsim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// maxEndpoints is Snowflake's limit of private endpoints per account;
// endpoints deprovisioned in the last 7 days count towards it.
const (
	maxEndpoints    = 5
	deletionWindow  = 7 * 24 * time.Hour
	privateLinkCode = "000603"
)

func privateLinkError(format string, args ...any) *SQLError {
	return &SQLError{Code: privateLinkCode, SQLState: "XX000", Message: fmt.Sprintf(format, args...)}
}

// systemFunction runs the SYSTEM$ functions for private connectivity.
//
// NOTE: Snowflake's error codes and texts for failed provisioning are not
// documented; the sandbox returns 000603 with its own wording.
func (e *execution) systemFunction(name string, args []string, column string) (*result, error) {
	switch name {
	case "SYSTEM$GET_PRIVATELINK_CONFIG":
		if len(args) != 0 {
			return nil, compileError("too many arguments for function [%s]", name)
		}
		return scalarResult(column, e.privateLinkConfig()), nil
	case "SYSTEM$PROVISION_PRIVATELINK_ENDPOINT":
		if len(args) < 2 || len(args) > 3 {
			return nil, compileError("invalid argument count for function [%s]: expected service ID and host name", name)
		}
		return e.provision(args[0], args[1], column)
	case "SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO":
		if len(args) != 0 {
			return nil, compileError("too many arguments for function [%s]", name)
		}
		e.after = func(context.Context) (*result, error) {
			return scalarResult(column, e.s.endpointsInfo(e.sess.account)), nil
		}
		return nil, nil
	case "SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT":
		if len(args) < 1 || len(args) > 2 {
			return nil, compileError("invalid argument count for function [%s]", name)
		}
		return e.deprovision(args[0], column)
	case "SYSTEM$GET_SNOWFLAKE_EGRESS_IP_RANGES":
		// The optional argument only hides the comments of the Azure output.
		if len(args) > 1 {
			return nil, compileError("too many arguments for function [%s]", name)
		}
		return scalarResult(column, e.s.egressRanges()), nil
	case "SYSTEM$RESTORE_PRIVATELINK_ENDPOINT":
		if len(args) < 1 || len(args) > 2 {
			return nil, compileError("invalid argument count for function [%s]", name)
		}
		return e.restore(args[0], column)
	}
	return nil, &SQLError{Code: "002140", SQLState: "42601", Message: "SQL compilation error:\nUnknown function " + name}
}

// privateLinkConfig returns the output of SYSTEM$GET_PRIVATELINK_CONFIG
// for the account: the keys that Snowflake returns on every cloud, and the
// keys that it returns only on the account's cloud.
//
// NOTE: an account that no private-link request has been seeded for has
// no cloud, and it returns the keys of AWS, Azure and Google Cloud, so that
// tests that seed nothing find the keys of their cloud.
func (e *execution) privateLinkConfig() string {
	account := strings.ToLower(e.account.Name)
	host := account + ".privatelink.snowflakecomputing.com"
	config := map[string]any{
		"privatelink-account-name":             account,
		"privatelink-account-url":              host,
		"regionless-privatelink-account-url":   account + ".privatelink.snowflakecomputing.com",
		"privatelink-ocsp-url":                 "ocsp." + host,
		"regionless-privatelink-ocsp-url":      "ocsp." + host,
		"snowsight-privatelink-url":            "app-" + host,
		"regionless-snowsight-privatelink-url": "app-" + host,
		"privatelink-connection-urls":          "[]",
		"privatelink-connection-ocsp-urls":     "[]",
		"privatelink-dashed-urls-for-duo":      "[]",
	}
	cloud := e.account.cloud()
	if cloud == "" || cloud == cloudAWS {
		config["privatelink-vpce-id"] = vpceID(e.account.awsRegion())
		config["privatelink-account-principal"] = AccountPrincipal
		config["app-service-privatelink-url"] = "*.app." + host
		config["app-service-privatelink-url-next"] = "*.app." + host
	}
	if cloud == "" || cloud == cloudAzure {
		config["privatelink-pls-id"] = AzurePLSID
	}
	if cloud == "" || cloud == cloudGCP {
		config["privatelink-gcp-service-attachment"] = "projects/" + GCPProject + "/regions/" + e.account.gcpRegion() + "/serviceAttachments/sf-sandbox-privatelink"
	}
	data, _ := json.Marshal(config)
	return string(data)
}

// Default regions of an account that no seeded private-link request has
// given a region.
const (
	DefaultAWSRegion = "us-west-2"
	DefaultGCPRegion = "us-central1"
)

// vpceID returns the endpoint service name of the account's inbound
// PrivateLink in region. Service names in the China regions start with cn.
func vpceID(region string) string {
	name := "com.amazonaws.vpce." + region + ".vpce-svc-0sandbox0snowflake"
	if strings.HasPrefix(region, "cn-") {
		return "cn." + name
	}
	return name
}

func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

// awsRegion returns the AWS region that SYSTEM$GET_PRIVATELINK_CONFIG
// names for the account.
func (a *Account) awsRegion() string {
	return orDefault(a.AWSRegion, orDefault(a.PendingAWSRegion, DefaultAWSRegion))
}

// gcpRegion returns the Google Cloud region that
// SYSTEM$GET_PRIVATELINK_CONFIG names for the account.
func (a *Account) gcpRegion() string {
	return orDefault(a.GCPRegion, orDefault(a.PendingGCPRegion, DefaultGCPRegion))
}

// ProposeAccountRegions sets the pending AWS and Google Cloud regions of the
// account, replacing earlier pending ones, where the account's region in
// that cloud is not fixed yet. An empty region changes nothing. The first
// private endpoint provisioned in a cloud fixes the account's region there
// (fixPendingRegion), and after that a proposal changes nothing, as an
// account on Snowflake has one region.
func (s *Server) ProposeAccountRegions(account, awsRegion, gcpRegion string) error {
	return s.change(account, func() bool {
		a, created := s.ensureAccount(account)
		changed := created
		if a.AWSRegion == "" && awsRegion != "" && a.PendingAWSRegion != awsRegion {
			a.PendingAWSRegion = awsRegion
			changed = true
		}
		if a.GCPRegion == "" && gcpRegion != "" && a.PendingGCPRegion != gcpRegion {
			a.PendingGCPRegion = gcpRegion
			changed = true
		}
		return changed
	})
}

// fixPendingRegion fixes the account's pending region in the cloud of
// serviceName, an AWS endpoint service name or a Google Cloud service
// attachment, and reports whether it changed the account.
func fixPendingRegion(a *Account, serviceName string) bool {
	switch {
	case strings.HasPrefix(serviceName, "projects/"):
		if a.GCPRegion != "" || a.PendingGCPRegion == "" {
			return false
		}
		a.GCPRegion, a.PendingGCPRegion = a.PendingGCPRegion, ""
		return true
	case strings.Contains(serviceName, "com.amazonaws.vpce."):
		if a.AWSRegion != "" || a.PendingAWSRegion == "" {
			return false
		}
		a.AWSRegion, a.PendingAWSRegion = a.PendingAWSRegion, ""
		return true
	}
	return false
}

// SetAccountRegions fixes the AWS and Google Cloud regions of the account
// that are not fixed yet, such as for a test that needs an account in a
// given region. An empty region changes nothing.
func (s *Server) SetAccountRegions(account, awsRegion, gcpRegion string) error {
	return s.change(account, func() bool {
		a, created := s.ensureAccount(account)
		changed := created
		if a.AWSRegion == "" && awsRegion != "" {
			a.AWSRegion, a.PendingAWSRegion = awsRegion, ""
			changed = true
		}
		if a.GCPRegion == "" && gcpRegion != "" {
			a.GCPRegion, a.PendingGCPRegion = gcpRegion, ""
			changed = true
		}
		return changed
	})
}

// activeEndpoint returns the account's endpoint to serviceName that is not
// marked for deletion.
func activeEndpoint(a *Account, serviceName string) *Endpoint {
	for _, ep := range a.Endpoints {
		if ep.ServiceName == serviceName && ep.DeletedOn == nil {
			return ep
		}
	}
	return nil
}

// hostCarrier returns the provider service of the account's endpoint that
// carries host, compared without case: an active endpoint, or one of
// inFlight, which maps the services being provisioned to their hosts. It
// returns "" when no endpoint carries host.
func hostCarrier(a *Account, inFlight map[string]string, host string) string {
	for _, ep := range a.Endpoints {
		if ep.DeletedOn == nil && strings.EqualFold(ep.Host, host) {
			return ep.ServiceName
		}
	}
	for service, h := range inFlight {
		if strings.EqualFold(h, host) {
			return service
		}
	}
	return ""
}

// hostTakenError is the error of a provision or restore whose host name
// another endpoint of the account carries. Snowflake routes a host name of
// an account to one private endpoint.
//
// NOTE: what Snowflake returns for a second endpoint with the same host
// name is unconfirmed; the code and text here are the sandbox's own.
func hostTakenError(op, host, service string) *SQLError {
	return privateLinkError("Private endpoint %s failed: host name '%s' is already used by the endpoint to '%s' in this account.", op, host, service)
}

// countedEndpoints counts endpoints towards the limit: active ones and those
// deprovisioned within the deletion window.
func countedEndpoints(a *Account, now time.Time) int {
	n := 0
	for _, ep := range a.Endpoints {
		if ep.DeletedOn == nil || now.Sub(*ep.DeletedOn) < deletionWindow {
			n++
		}
	}
	return n
}

func (e *execution) provision(serviceName, host, column string) (*result, error) {
	if serviceName == "" || host == "" {
		return nil, privateLinkError("Private endpoint provisioning failed: service ID and host name must not be empty.")
	}
	if strings.Contains(host, ":") || strings.Contains(host, "/") {
		return nil, privateLinkError("Private endpoint provisioning failed: host name '%s' must be a host name without scheme, port or path.", host)
	}
	account := e.sess.account
	inFlight := e.s.provisioning[account]
	if _, ok := inFlight[serviceName]; ok || activeEndpoint(e.account, serviceName) != nil {
		return nil, privateLinkError("Private endpoint provisioning failed: an endpoint to '%s' already exists in this account.", serviceName)
	}
	if other := hostCarrier(e.account, inFlight, host); other != "" {
		return nil, hostTakenError("provisioning", host, other)
	}
	// Provisions that are still calling the cloud count too, so that two
	// statements run at the same moment cannot both take the last place.
	if countedEndpoints(e.account, e.s.now())+len(inFlight) >= maxEndpoints {
		return nil, privateLinkError("Private endpoint provisioning failed: the account already has %d private endpoints, the maximum.", maxEndpoints)
	}
	if e.s.opts.Link == nil {
		return nil, privateLinkError("Private endpoint provisioning failed: the sandbox has no cloud configured.")
	}

	if inFlight == nil {
		inFlight = map[string]string{}
		e.s.provisioning[account] = inFlight
	}
	inFlight[serviceName] = host
	e.after = func(context.Context) (*result, error) {
		endpointID, err := e.s.opts.Link.Connect(serviceName, AccountPrincipal)

		e.s.mu.Lock()
		defer e.s.mu.Unlock()
		delete(inFlight, serviceName)
		if err != nil {
			e.s.log.Warn("private endpoint provisioning failed", "account", account, "service", serviceName, "error", err)
			return nil, privateLinkError("Private endpoint provisioning failed for service '%s': %v", serviceName, err)
		}
		a := e.s.world.Accounts[account]
		// The endpoint is built for the region that the request was
		// seeded with, so that region is the account's from now on.
		changed := fixPendingRegion(a, serviceName)
		changed = fixAccountCloud(a, serviceName) || changed
		if activeEndpoint(a, serviceName) == nil {
			a.Endpoints = append(a.Endpoints, &Endpoint{ServiceName: serviceName, Host: host, EndpointID: endpointID, CreatedOn: e.s.now()})
			changed = true
		}
		if changed {
			if err := e.s.save(account); err != nil {
				return nil, err
			}
		}
		e.s.log.Info("private endpoint provisioned", "account", account, "service", serviceName, "endpoint_id", endpointID)
		return scalarResult(column, fmt.Sprintf("Resource Endpoint with id \"%s\" provisioned successfully. Please approve the connection request on the endpoint service.", endpointID)), nil
	}
	return nil, nil
}

func (e *execution) deprovision(serviceName, column string) (*result, error) {
	ep := activeEndpoint(e.account, serviceName)
	if ep == nil {
		return nil, privateLinkError("Private endpoint deprovisioning failed: no endpoint to '%s' exists in this account.", serviceName)
	}
	now := e.s.now()
	ep.DeletedOn = &now
	ep.AvailableSince = nil
	e.changed = true

	endpointID := ep.EndpointID
	e.after = func(context.Context) (*result, error) {
		if e.s.opts.Link != nil {
			if err := e.s.opts.Link.Disconnect(serviceName, endpointID); err != nil {
				e.s.log.Warn("disconnect private endpoint failed", "service", serviceName, "endpoint_id", endpointID, "error", err)
			}
		}
		return scalarResult(column, fmt.Sprintf("Private endpoint with id \"%s\" successfully marked for deletion. Before it is fully deleted in 7-8 days, it can be restored.", endpointID)), nil
	}
	return nil, nil
}

// restore connects the endpoint again to the service that has its ID now.
//
// NOTE: Snowflake does not document a restore after the service was
// deleted and created again with the same ID. The sandbox connects the
// restored endpoint to the new service, which a real restore may not do.
func (e *execution) restore(serviceName, column string) (*result, error) {
	var ep *Endpoint
	for _, candidate := range e.account.Endpoints {
		if candidate.ServiceName == serviceName && candidate.DeletedOn != nil && e.s.now().Sub(*candidate.DeletedOn) < deletionWindow {
			ep = candidate
		}
	}
	if ep == nil || activeEndpoint(e.account, serviceName) != nil {
		return nil, privateLinkError("Private endpoint restore failed: no endpoint to '%s' is marked for deletion.", serviceName)
	}
	if other := hostCarrier(e.account, e.s.provisioning[e.sess.account], ep.Host); other != "" {
		return nil, hostTakenError("restore", ep.Host, other)
	}
	if e.s.opts.Link == nil {
		return nil, privateLinkError("Private endpoint restore failed: the sandbox has no cloud configured.")
	}

	account := e.sess.account
	e.after = func(context.Context) (*result, error) {
		endpointID, err := e.s.opts.Link.Connect(serviceName, AccountPrincipal)
		if err != nil {
			return nil, privateLinkError("Private endpoint restore failed for service '%s': %v", serviceName, err)
		}
		e.s.mu.Lock()
		defer e.s.mu.Unlock()
		ep.DeletedOn = nil
		ep.EndpointID = endpointID
		if err := e.s.save(account); err != nil {
			return nil, err
		}
		e.s.log.Info("private endpoint restored", "account", account, "service", serviceName, "endpoint_id", endpointID)
		return scalarResult(column, fmt.Sprintf("Private endpoint with id ''%s'' restored successfully.", endpointID)), nil
	}
	return nil, nil
}

// endpointStatus is the Snowflake and cloud side of one endpoint.
type endpointStatus struct {
	endpointState string
	status        string
}

// endpointState computes an endpoint's state from the provider side. The
// endpoint turns CREATED once the provider has reported available for
// EndpointDelay, measured on the sandbox clock from the first time it was
// seen available. It calls the cloud without the lock.
func (s *Server) endpointState(ep Endpoint) (endpointStatus, error) {
	if ep.DeletedOn != nil {
		return endpointStatus{endpointState: "PENDING_DELETION", status: deprovisionedStatus(ep.ServiceName)}, nil
	}
	if s.opts.Link == nil {
		return endpointStatus{endpointState: "FAILED", status: "failed"}, nil
	}
	state, err := s.opts.Link.ConnectionState(ep.ServiceName, ep.EndpointID)
	if err != nil {
		s.log.Warn("read private endpoint state failed", "service", ep.ServiceName, "endpoint_id", ep.EndpointID, "error", err)
		return endpointStatus{endpointState: "FAILED", status: "failed"}, err
	}

	if isGCPService(ep.ServiceName) {
		if st, ok := s.gcpEndpointState(ep, state); ok {
			return st, nil
		}
	}
	switch state {
	case "pendingAcceptance", "pending":
		return endpointStatus{endpointState: "PENDING_CREATION", status: "Pending"}, nil
	case "available":
		since := s.markAvailable(ep)
		if s.now().Sub(since) >= s.opts.EndpointDelay {
			return endpointStatus{endpointState: "CREATED", status: "Available"}, nil
		}
		return endpointStatus{endpointState: "PENDING_CREATION", status: "Pending"}, nil
	case "Pending":
		// Azure spells its connection statuses capitalised, and Snowflake
		// reports them in upper case.
		return endpointStatus{endpointState: "PENDING_CREATION", status: "PENDING"}, nil
	case "Approved":
		since := s.markAvailable(ep)
		if s.now().Sub(since) >= s.opts.EndpointDelay {
			return endpointStatus{endpointState: "CREATED", status: "APPROVED"}, nil
		}
		return endpointStatus{endpointState: "PENDING_CREATION", status: "PENDING"}, nil
	case "Rejected", "Disconnected":
		return endpointStatus{endpointState: "FAILED", status: strings.ToUpper(state)}, nil
	default:
		// NOTE: AWS states other than pending and available are passed
		// through as the status; Snowflake's wording for them is unconfirmed.
		return endpointStatus{endpointState: "FAILED", status: state}, nil
	}
}

// deprovisionedStatus returns the cloud-side status of a deprovisioned
// endpoint to serviceName, whose consumer endpoint the deprovision deleted.
// Azure marks the connection Disconnected, and Snowflake documents
// DISCONNECTED among its Azure statuses. For Google Cloud it documents
// ACCEPTED, NO CONNECTION and REJECTED, of which NO CONNECTION fits.
//
// NOTE: which status Snowflake reports for a deprovisioned endpoint is not
// documented for any cloud, and Deleting for AWS is the sandbox's guess.
func deprovisionedStatus(serviceName string) string {
	switch {
	case isGCPService(serviceName):
		return "NO CONNECTION"
	case isAzureService(serviceName):
		return "DISCONNECTED"
	}
	return "Deleting"
}

// isAzureService reports whether a service ID is an Azure resource ID,
// which starts with /subscriptions/ in any case.
func isAzureService(serviceID string) bool {
	return strings.HasPrefix(strings.ToLower(serviceID), "/subscriptions/")
}

// liveStatus returns the status that SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO
// reports for a live endpoint to serviceName: ACCEPTED for a Google Cloud
// service attachment, APPROVED for an Azure resource and Available for an
// AWS endpoint service.
func liveStatus(serviceName string) string {
	switch {
	case isGCPService(serviceName):
		return "ACCEPTED"
	case isAzureService(serviceName):
		return "APPROVED"
	}
	return "Available"
}

// markAvailable records when the endpoint was first seen available and
// returns that time.
func (s *Server) markAvailable(ep Endpoint) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, a := range s.world.Accounts {
		for _, stored := range a.Endpoints {
			if stored.ServiceName != ep.ServiceName || stored.EndpointID != ep.EndpointID || stored.DeletedOn != nil {
				continue
			}
			if stored.AvailableSince == nil {
				now := s.now()
				stored.AvailableSince = &now
				// save logs its failure, and the endpoint stays available
				// in memory.
				_ = s.save(key)
			}
			return *stored.AvailableSince
		}
	}
	return s.now()
}

// endpointsFor returns copies of the active endpoints whose host matches
// host; a host registered as *.example.com matches its subdomains.
func (s *Server) endpointsFor(account, host string) []Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Endpoint
	for _, ep := range s.world.Accounts[account].Endpoints {
		if ep.DeletedOn != nil {
			continue
		}
		wildcard, isWildcard := strings.CutPrefix(ep.Host, "*.")
		if strings.EqualFold(ep.Host, host) || isWildcard && strings.HasSuffix(strings.ToLower(host), "."+strings.ToLower(wildcard)) {
			out = append(out, *ep)
		}
	}
	return out
}

// endpointsInfo renders SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO with the AWS
// fields, or the Azure or Google Cloud fields for endpoints to those
// clouds' resources. Endpoints
// deleted longer than the deletion window ago are left out.
func (s *Server) endpointsInfo(account string) string {
	s.mu.Lock()
	var endpoints []Endpoint
	now := s.now()
	for _, ep := range s.world.Accounts[account].Endpoints {
		if ep.DeletedOn == nil || now.Sub(*ep.DeletedOn) < deletionWindow {
			endpoints = append(endpoints, *ep)
		}
	}
	s.mu.Unlock()

	type info struct {
		ProviderServiceName   string `json:"provider_service_name"`
		SnowflakeEndpointName string `json:"snowflake_endpoint_name"`
		EndpointState         string `json:"endpoint_state"`
		Host                  string `json:"host"`
		Status                string `json:"status"`
	}
	// azureInfo has the fields that Snowflake reports for an endpoint to an
	// Azure resource, whose ID starts with /subscriptions/.
	type azureInfo struct {
		ProviderResourceID  string   `json:"provider_resource_id"`
		Subresource         string   `json:"subresource"`
		SnowflakeResourceID string   `json:"snowflake_resource_id"`
		Host                string   `json:"host"`
		EndpointState       string   `json:"endpoint_state"`
		Status              string   `json:"status"`
		AdditionalHostnames []string `json:"additional_hostnames"`
	}
	out := make([]any, 0, len(endpoints))
	for _, ep := range endpoints {
		st, _ := s.endpointState(ep)
		if isGCPService(ep.ServiceName) {
			out = append(out, gcpInfo{
				ProviderResourceID:  ep.ServiceName,
				SnowflakeResourceID: ep.EndpointID,
				Host:                ep.Host,
				EndpointState:       st.endpointState,
				Status:              st.status,
			})
			continue
		}
		if isAzureService(ep.ServiceName) {
			out = append(out, azureInfo{
				ProviderResourceID:  ep.ServiceName,
				SnowflakeResourceID: ep.EndpointID,
				Host:                ep.Host,
				EndpointState:       st.endpointState,
				Status:              st.status,
				AdditionalHostnames: []string{},
			})
			continue
		}
		out = append(out, info{
			ProviderServiceName:   ep.ServiceName,
			SnowflakeEndpointName: ep.EndpointID,
			EndpointState:         st.endpointState,
			Host:                  ep.Host,
			Status:                st.status,
		})
	}
	data, _ := json.Marshal(out)
	return string(data)
}
