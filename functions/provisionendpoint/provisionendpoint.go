// Package provisionendpoint provisions the Snowflake private endpoint to the
// endpoint service for the repository host, or adopts the one that exists.
package provisionendpoint

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/request/clash"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the Snowflake endpoint.
type Output = workflow.Endpoint

// MaxEndpoints is how many private endpoints Snowflake allows per account,
// counting those deprovisioned in the last 7 days.
const MaxEndpoints = request.MaxPrivateEndpoints

// EndpointInfo is one entry of SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO.
type EndpointInfo struct {
	ProviderServiceName string `json:"provider_service_name"`
	ProviderResourceID  string `json:"provider_resource_id"`
	EndpointName        string `json:"snowflake_endpoint_name"`
	SnowflakeResourceID string `json:"snowflake_resource_id"`
	EndpointState       string `json:"endpoint_state"`
	Host                string `json:"host"`
	Status              string `json:"status"`
}

// ServiceID returns the provider service the endpoint connects to.
func (e EndpointInfo) ServiceID() string {
	if e.ProviderServiceName != "" {
		return e.ProviderServiceName
	}
	return e.ProviderResourceID
}

// Run provisions the endpoint when the account has none for the service,
// restores one that is queued for deletion, and adopts a live one. It
// returns a Conflict instead of provisioning or restoring when an endpoint
// to another provider service carries the index host (HostCarrier).
//
// A deprovisioned endpoint is restored only when this run did not create
// the service. On Azure and Google Cloud the service ID is the resource's
// path, which a recreated service reuses, but a restored endpoint keeps
// its connection to the deleted service, so the step provisions a new one.
// On AWS a recreated endpoint service gets a new service name, so the old
// endpoint never matches.
func Run(ctx context.Context, env *workflow.Env, in workflow.Document) (Output, error) {
	req := in.Request
	svc := in.Resources.EndpointService
	if svc == nil {
		return Output{}, workflow.Invalid("endpoint needs the endpoint service; run the endpoint_service step first")
	}
	host, err := IndexHost(req.Repository.IndexURL)
	if err != nil {
		return Output{}, err
	}
	conn, err := env.Snowflake(ctx, req.Snowflake)
	if err != nil {
		return Output{}, err
	}

	infos, err := Endpoints(ctx, conn)
	if err != nil {
		return Output{}, err
	}
	carrier := HostCarrier(infos, host, svc.ServiceName)
	own := Current(infos, svc.ServiceName)
	if own != nil && IsDeprovisioned(*own) && svc.Action == workflow.Created {
		// NOTE: Snowflake does not document whether it provisions a second
		// endpoint to a service ID that still lists a deprovisioned one.
		// provisionFailed reports what Snowflake returns. A later run that
		// adopts a service an earlier failed run recreated still restores.
		own = nil
	}
	if own != nil {
		return restoreOrAdopt(ctx, conn, req, svc.ServiceName, host, *own, carrier)
	}

	if carrier != nil {
		return Output{}, hostTakenError(req, host, *carrier, nil)
	}
	// The limit is checked again here, right before provisioning, because
	// endpoints that other runs provisioned since preflight count too. No
	// listed endpoint is the run's own any more, so every one counts.
	if err := CheckCapacity(req.Snowflake.Account, infos, nil); err != nil {
		return Output{}, err
	}
	if err := Reserve(ctx, env, req, in.Execution, infos, svc.ServiceName); err != nil {
		return Output{}, err
	}
	if _, err := conn.Query(ctx, snowflake.ProvisionPrivateLinkEndpoint(svc.ServiceName, host)); err != nil {
		return provisionFailed(ctx, conn, req, svc.ServiceName, host, err)
	}
	return Output{Result: workflow.Result{Action: workflow.Created, ID: svc.ServiceName}, Host: host, Status: "Pending"}, nil
}

// restoreOrAdopt restores the request's listed endpoint when it is queued
// for deletion, waits while Snowflake deletes it, and adopts it otherwise. A
// restored endpoint is recorded as Pending, because it connects again
// before it is live.
func restoreOrAdopt(ctx context.Context, conn snowflake.Conn, req request.Request, serviceName, host string, info EndpointInfo, carrier *EndpointInfo) (Output, error) {
	if !strings.EqualFold(info.Host, host) {
		return Output{}, workflow.Errorf(workflow.ErrConflict,
			"the account already has an endpoint to %s for host %s, not %s; change its host name with SYSTEM$SET_PRIVATELINK_ENDPOINT_HOSTNAME or deprovision it",
			serviceName, info.Host, host)
	}
	switch strings.ToUpper(info.EndpointState) {
	case "PENDING_DELETION":
		if carrier != nil {
			return Output{}, hostTakenError(req, host, *carrier, nil)
		}
		if _, err := conn.Query(ctx, restoreStatement(serviceName)); err != nil {
			return Output{}, fmt.Errorf("restore endpoint to %s: %w", serviceName, err)
		}
		return Output{Result: workflow.Result{Action: workflow.Updated, ID: serviceName}, Host: host, Status: "Pending"}, nil
	case "DELETING":
		return Output{}, workflow.NotReady("endpoint to %s is being deleted; waiting until it is gone before provisioning again", serviceName)
	}
	return Output{Result: workflow.Result{Action: workflow.Adopted, ID: serviceName}, Host: host, Status: info.Status}, nil
}

// Current returns the endpoint in infos to the provider service id,
// compared without case because Azure resource IDs ignore it, or nil when
// there is none. Snowflake may list an endpoint deprovisioned by a
// teardown next to a newer one to a service with the same ID, so an
// endpoint that is not deprovisioned comes first.
func Current(infos []EndpointInfo, id string) *EndpointInfo {
	var found *EndpointInfo
	for i, info := range infos {
		if !strings.EqualFold(info.ServiceID(), id) {
			continue
		}
		if !IsDeprovisioned(info) {
			return &infos[i]
		}
		found = &infos[i]
	}
	return found
}

// IsDeprovisioned reports whether the endpoint is PENDING_DELETION or
// DELETING, which Snowflake lists and counts until it deletes it.
func IsDeprovisioned(info EndpointInfo) bool {
	switch strings.ToUpper(info.EndpointState) {
	case "PENDING_DELETION", "DELETING":
		return true
	}
	return false
}

// provisionFailed explains a failed SYSTEM$PROVISION_PRIVATELINK_ENDPOINT
// by reading the account's endpoints again. Snowflake does not document its
// error codes for provisioning, so the limit is recognized by the count: a
// run that provisioned at the same moment may have taken the last place.
// An endpoint to the service that appeared meanwhile, provisioned by
// another run of the same request, is adopted.
func provisionFailed(ctx context.Context, conn snowflake.Conn, req request.Request, serviceName, host string, provisionErr error) (Output, error) {
	failed := fmt.Errorf("provision endpoint to %s for %s: %w", serviceName, host, provisionErr)
	infos, err := Endpoints(ctx, conn)
	if err != nil {
		return Output{}, failed
	}
	if info := Current(infos, serviceName); info != nil && !IsDeprovisioned(*info) && strings.EqualFold(info.Host, host) {
		return Output{Result: workflow.Result{Action: workflow.Adopted, ID: serviceName}, Host: host, Status: info.Status}, nil
	}
	if carrier := HostCarrier(infos, host, serviceName); carrier != nil {
		return Output{}, hostTakenError(req, host, *carrier, provisionErr)
	}
	if err := CheckCapacity(req.Snowflake.Account, infos, nil); err != nil {
		return Output{}, workflow.Errorf(workflow.ErrConflict, "%v (Snowflake returned: %v)", err, provisionErr)
	}
	return Output{}, failed
}

// HostCarrier returns the endpoint in infos that carries host for another
// provider service than serviceID, or nil when there is none. Snowflake
// routes a host name of an account to one private endpoint, so a second
// endpoint for the host would not get the traffic, and the request's
// verification would pass through the other endpoint's proxy. Hosts and
// services are compared without case. An endpoint that is deprovisioned
// (PENDING_DELETION or DELETING) does not carry its host.
func HostCarrier(infos []EndpointInfo, host, serviceID string) *EndpointInfo {
	for i, info := range infos {
		if !strings.EqualFold(info.Host, host) || strings.EqualFold(info.ServiceID(), serviceID) {
			continue
		}
		switch strings.ToUpper(info.EndpointState) {
		case "PENDING_DELETION", "DELETING":
			continue
		}
		return &infos[i]
	}
	return nil
}

// hostTakenError is the Conflict of a request whose index host another
// endpoint of the account carries. provisionErr is what Snowflake returned
// to the provision, or nil when the step did not provision.
func hostTakenError(req request.Request, host string, carrier EndpointInfo, provisionErr error) error {
	msg := fmt.Sprintf("host %s already has the private endpoint %s to %s (%s) in Snowflake account %s, and an account routes a host to one endpoint only; "+
		"serving two repositories from one request's endpoint is not supported, so tear down the request that owns that endpoint, "+
		"or use %s, then run the request again",
		host, carrier.EndpointName, carrier.ServiceID(), carrier.EndpointState, req.Snowflake.Account, clash.HostChange(host))
	if provisionErr != nil {
		msg += fmt.Sprintf(" (Snowflake returned: %v)", provisionErr)
	}
	return workflow.Errorf(workflow.ErrConflict, "%s", msg)
}

// Reserve holds a place among the account's private endpoints for the
// request, so that runs started at the same moment do not both count the
// last place as free. Preflight reserves before any cloud resource is
// built, which keeps a second run from building its network for nothing.
// The endpoint step renews the place and records the provider service.
// execution is the name of the reserving run, which becomes the place's
// holder. infos are the endpoints that Snowflake lists now. It does nothing
// when env has no reservation store, and returns a Conflict error when
// other runs hold the remaining places.
func Reserve(ctx context.Context, env *workflow.Env, req request.Request, execution string, infos []EndpointInfo, serviceID string) error {
	if env.EndpointReservations == nil {
		return nil
	}
	result, err := env.EndpointReservations.Reserve(ctx, reservation(env, req, execution, infos, serviceID))
	if err != nil {
		return storeError(req, "reserve", err)
	}
	return reservationConflict(req, infos, result)
}

// CheckReservation returns the Conflict error that Reserve would return
// now, without holding a place, for a plan that changes nothing. It
// returns nil when env has no reservation store, or when the store cannot
// check without writing.
func CheckReservation(ctx context.Context, env *workflow.Env, req request.Request, infos []EndpointInfo, serviceID string) error {
	checker, ok := env.EndpointReservations.(workflow.EndpointReservationChecker)
	if !ok {
		return nil
	}
	result, err := checker.Check(ctx, reservation(env, req, "", infos, serviceID))
	if err != nil {
		return storeError(req, "check reservations for", err)
	}
	return reservationConflict(req, infos, result)
}

// reservation returns the request for a place that Reserve and
// CheckReservation send to the store.
func reservation(env *workflow.Env, req request.Request, execution string, infos []EndpointInfo, serviceID string) workflow.EndpointReservation {
	listed := make([]string, 0, len(infos))
	for _, info := range infos {
		listed = append(listed, info.ServiceID())
	}
	now := time.Now()
	if env.Now != nil {
		now = env.Now()
	}
	return workflow.EndpointReservation{
		Account:   req.Snowflake.Account,
		RequestID: req.ID,
		Execution: execution,
		ServiceID: serviceID,
		Listed:    listed,
		Limit:     MaxEndpoints,
		Now:       now,
	}
}

// storeError names a reservation store error. A store error without a
// name, such as a failed call, is retried. A named one, such as an invalid
// store configuration, keeps its name, so that the run does not retry what
// cannot work.
func storeError(req request.Request, op string, err error) error {
	name := workflow.NameOf(err)
	if name == "" {
		name = workflow.ErrTransient
	}
	return workflow.Errorf(name, "%s a private endpoint of account %s: %v", op, req.Snowflake.Account, err)
}

// reservationConflict returns the Conflict error for a place that the
// store did not grant, naming the runs that hold the remaining places.
func reservationConflict(req request.Request, infos []EndpointInfo, result workflow.ReservationResult) error {
	if result.Reserved {
		return nil
	}
	return &CapacityError{
		Reason: fmt.Sprintf("account %s has %d private endpoints of the maximum of %d, and %s",
			req.Snowflake.Account, len(infos), MaxEndpoints, reservedBy(MaxEndpoints-len(infos), result.Holders)),
		Reserved:      true,
		Listed:        len(infos),
		Deprovisioned: countDeprovisioned(infos),
	}
}

// CapacityError is the Conflict of a request that finds no free place
// among the account's private endpoints. Its message advises a run to
// redrive once a place is free. Advice words the same advice for a caller
// without a run, such as a plan.
type CapacityError struct {
	// Reason is the number of the account's endpoints and, when Reserved,
	// the runs that reserved the remaining places. workflow.IsCapacityCause
	// matches its start, so keep the two in step.
	Reason string
	// Reserved reports that other runs reserved the remaining places, so
	// that a place comes free when one of them closes without an endpoint.
	Reserved bool
	// Listed is the number of endpoints that the account lists.
	Listed int
	// Deprovisioned is the number of listed endpoints that are
	// deprovisioned (PENDING_DELETION or DELETING), which Snowflake still
	// counts until request.PrivateEndpointKeptDays after their teardown.
	Deprovisioned int
}

func (e *CapacityError) Error() string { return e.Reason + "; " + e.Advice("redrive this run") }

// ErrorName returns the ASL error name, Conflict.
func (e *CapacityError) ErrorName() string { return workflow.ErrConflict }

// Advice returns how to get a place, with retry as the way to try again,
// such as "redrive this run".
func (e *CapacityError) Advice(retry string) string {
	wait := e.freeAdvice(retry)
	if !e.Reserved {
		return wait
	}
	return retry + " when one of those runs has closed without an endpoint, or " + wait
}

// freeAdvice returns when a listed endpoint frees a place. Deprovisioning
// an endpoint frees its place only after PrivateEndpointKeptDays, so while
// the account lists a deprovisioned endpoint, the oldest of those frees a
// place first and deprovisioning another one cannot help.
//
// NOTE: SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO returns no deletion time, so
// the advice names the teardown rather than a date. The ACCOUNT_USAGE view
// has DELETED_ON, but it needs its own privilege and lags up to 2 hours.
func (e *CapacityError) freeAdvice(retry string) string {
	days := request.PrivateEndpointKeptDays
	dated := "the DELETED_ON column of SNOWFLAKE.ACCOUNT_USAGE.OUTBOUND_PRIVATELINK_ENDPOINTS shows when each was deprovisioned"
	switch {
	case e.Deprovisioned == 0:
		return fmt.Sprintf("deprovision an endpoint that is no longer used with SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT and %s %d days later", retry, days)
	case e.Deprovisioned >= e.Listed:
		return fmt.Sprintf("no endpoint is left to deprovision, because all %d are deprovisioned already; "+
			"Snowflake frees the first place %d days after the teardown of the oldest of them, so %s then (%s)",
			e.Listed, days, retry, dated)
	}
	return fmt.Sprintf("Snowflake frees the first place %d days after the teardown of the oldest of the %d deprovisioned endpoints, so %s then (%s); "+
		"deprovisioning another endpoint frees no place sooner, because Snowflake counts it for %d days too",
		days, e.Deprovisioned, retry, dated, days)
}

// reservedBy describes the runs that reserved the remaining places of an
// account.
func reservedBy(remaining int, holders []string) string {
	if remaining < 1 || len(holders) == 0 {
		return "no place remains"
	}
	places := "the remaining place is"
	if remaining > 1 {
		places = fmt.Sprintf("the remaining %d places are", remaining)
	}
	runs := "the run of " + holders[0]
	if len(holders) > 1 {
		runs = "the runs of " + strings.Join(holders, ", ")
	}
	return places + " reserved by " + runs
}

// Release ends the request's place among the account's private endpoints,
// whichever run holds it, for a request that is torn down. It does nothing
// when env has no reservation store.
func Release(ctx context.Context, env *workflow.Env, req request.Request) error {
	return ReleaseHeld(ctx, env, req, "")
}

// ReleaseHeld ends the request's place among the account's private
// endpoints while the run named execution holds it, for a run that closed.
// A later run of the request that reserved meanwhile keeps the place. An
// empty execution releases the place whichever run holds it. It does
// nothing when env has no reservation store.
func ReleaseHeld(ctx context.Context, env *workflow.Env, req request.Request, execution string) error {
	if env.EndpointReservations == nil {
		return nil
	}
	if err := env.EndpointReservations.Release(ctx, req.Snowflake.Account, req.ID, execution); err != nil {
		return workflow.Errorf(workflow.ErrTransient, "release the private endpoint reservation of %s: %v", req.ID, err)
	}
	return nil
}

// CheckCapacity returns a Conflict error when the account already has
// MaxEndpoints private endpoints and none of them is the request's own,
// which the endpoint step would adopt, or restore when it is deprovisioned.
// own reports whether an endpoint connects to the request's provider
// service; nil means the request has none yet. An endpoint of another
// request for the same index host counts like any other, because Run
// rejects a second endpoint for a host (HostCarrier), and restoring it
// would make the run's own endpoint that second one.
func CheckCapacity(account string, infos []EndpointInfo, own func(EndpointInfo) bool) error {
	if len(infos) < MaxEndpoints {
		return nil
	}
	if own != nil && slices.ContainsFunc(infos, own) {
		return nil
	}
	deprovisioned := countDeprovisioned(infos)
	return &CapacityError{
		Reason: fmt.Sprintf("account %s has %d private endpoints, the maximum, %d of them deprovisioned and still counted for %d days after deprovisioning",
			account, len(infos), deprovisioned, request.PrivateEndpointKeptDays),
		Listed:        len(infos),
		Deprovisioned: deprovisioned,
	}
}

// countDeprovisioned counts the endpoints that are PENDING_DELETION or
// DELETING, which Snowflake lists and counts until they are deleted.
func countDeprovisioned(infos []EndpointInfo) int {
	n := 0
	for _, info := range infos {
		switch strings.ToUpper(info.EndpointState) {
		case "PENDING_DELETION", "DELETING":
			n++
		}
	}
	return n
}

// ServiceIs returns a matcher for CheckCapacity of the endpoints that
// connect to the provider service id, compared without case because Azure
// resource IDs ignore it.
func ServiceIs(id string) func(EndpointInfo) bool {
	if id == "" {
		return nil
	}
	return func(info EndpointInfo) bool { return strings.EqualFold(info.ServiceID(), id) }
}

// Endpoints reads SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO.
func Endpoints(ctx context.Context, conn snowflake.Conn) ([]EndpointInfo, error) {
	rows, err := conn.Query(ctx, snowflake.GetPrivateLinkEndpointsInfo())
	if err != nil {
		return nil, fmt.Errorf("read SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO: %w", err)
	}
	var raw string
	for _, row := range rows {
		for _, value := range row {
			raw = value
		}
	}
	return ParseEndpoints(raw)
}

// ParseEndpoints decodes the JSON array that SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO
// returns; an empty result means no endpoints.
func ParseEndpoints(raw string) ([]EndpointInfo, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "null" {
		return nil, nil
	}
	var infos []EndpointInfo
	if err := json.Unmarshal([]byte(raw), &infos); err != nil {
		return nil, workflow.Errorf(workflow.ErrTransient, "SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO returned no JSON array: %v", err)
	}
	return infos, nil
}

// IndexHost returns the host name of the index URL, which is the host name
// that the endpoint and the API integration use.
func IndexHost(indexURL string) (string, error) {
	u, err := url.Parse(indexURL)
	if err != nil || u.Hostname() == "" {
		return "", workflow.Invalid("$.repository.index_url has no host; use https://host/path/simple/")
	}
	return strings.ToLower(u.Hostname()), nil
}

func restoreStatement(serviceName string) string {
	return "SELECT SYSTEM$RESTORE_PRIVATELINK_ENDPOINT(" + snowflake.Literal(serviceName) + ")"
}
