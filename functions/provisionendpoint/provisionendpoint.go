// Package provisionendpoint provisions the Snowflake private endpoint to the
// endpoint service for the repository host, or adopts the one that exists.
package provisionendpoint

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Output is the Snowflake endpoint.
type Output = workflow.Endpoint

// MaxEndpoints is how many private endpoints Snowflake allows per account,
// counting those deprovisioned in the last 7 days.
const MaxEndpoints = 5

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
// restores one that is queued for deletion, and adopts a live one.
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
	for _, info := range infos {
		if info.ServiceID() != svc.ServiceName {
			continue
		}
		if !strings.EqualFold(info.Host, host) {
			return Output{}, workflow.Errorf(workflow.ErrConflict,
				"the account already has an endpoint to %s for host %s, not %s; change its host name with SYSTEM$SET_PRIVATELINK_ENDPOINT_HOSTNAME or deprovision it",
				svc.ServiceName, info.Host, host)
		}
		switch strings.ToUpper(info.EndpointState) {
		case "PENDING_DELETION":
			if _, err := conn.Query(ctx, restoreStatement(svc.ServiceName)); err != nil {
				return Output{}, fmt.Errorf("restore endpoint to %s: %w", svc.ServiceName, err)
			}
			return Output{Result: workflow.Result{Action: workflow.Updated, ID: svc.ServiceName}, Host: host, Status: info.Status}, nil
		case "DELETING":
			return Output{}, workflow.NotReady("endpoint to %s is being deleted; waiting until it is gone before provisioning again", svc.ServiceName)
		default:
			return Output{Result: workflow.Result{Action: workflow.Adopted, ID: svc.ServiceName}, Host: host, Status: info.Status}, nil
		}
	}

	if err := CheckCapacity(req.Snowflake.Account, infos, ServiceIs(svc.ServiceName)); err != nil {
		return Output{}, err
	}
	if _, err := conn.Query(ctx, snowflake.ProvisionPrivateLinkEndpoint(svc.ServiceName, host)); err != nil {
		return Output{}, fmt.Errorf("provision endpoint to %s for %s: %w", svc.ServiceName, host, err)
	}
	return Output{Result: workflow.Result{Action: workflow.Created, ID: svc.ServiceName}, Host: host, Status: "Pending"}, nil
}

// CheckCapacity returns a Conflict error when the account already has
// MaxEndpoints private endpoints and none of them is the request's own,
// which the endpoint step would adopt. own reports whether an endpoint
// connects to the request's provider service; nil means the request has
// none yet. An endpoint of another request for the same index host does
// not count: every request connects to its own provider service, and
// Snowflake provisions one endpoint per service.
func CheckCapacity(account string, infos []EndpointInfo, own func(EndpointInfo) bool) error {
	if len(infos) < MaxEndpoints {
		return nil
	}
	pending := 0
	for _, info := range infos {
		if own != nil && own(info) {
			return nil
		}
		if strings.EqualFold(info.EndpointState, "PENDING_DELETION") {
			pending++
		}
	}
	return workflow.Errorf(workflow.ErrConflict,
		"account %s has %d private endpoints, the maximum, %d of them deprovisioned and still counted for 7 days after deprovisioning; "+
			"deprovision an endpoint that is no longer used with SYSTEM$DEPROVISION_PRIVATELINK_ENDPOINT and redrive this run 7 days later",
		account, len(infos), pending)
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
		return "", workflow.Invalid("repository.index_url has no host; use https://host/path/simple/")
	}
	return strings.ToLower(u.Hostname()), nil
}

func restoreStatement(serviceName string) string {
	return "SELECT SYSTEM$RESTORE_PRIVATELINK_ENDPOINT(" + snowflake.Literal(serviceName) + ")"
}
