package sfsim

import "strings"

// GCPProject is the Google Cloud project of the sandbox Snowflake's Private
// Service Connect endpoints. SYSTEM$GET_PRIVATELINK_CONFIG names it in
// privatelink-gcp-service-attachment, and the sandbox Compute Engine
// creates the consumer endpoints in it.
const GCPProject = "sf-sandbox-psc"

// isGCPService reports whether a service ID is a Google Cloud service
// attachment path, projects/<p>/regions/<r>/serviceAttachments/<n>.
func isGCPService(serviceID string) bool {
	return strings.HasPrefix(serviceID, "projects/") && strings.Contains(serviceID, "/serviceAttachments/")
}

// gcpInfo has the fields that Snowflake reports for an endpoint to a
// Google Cloud service attachment.
type gcpInfo struct {
	ProviderResourceID  string `json:"provider_resource_id"`
	SnowflakeResourceID string `json:"snowflake_resource_id"`
	Host                string `json:"host"`
	EndpointState       string `json:"endpoint_state"`
	Status              string `json:"status"`
}

// gcpEndpointState maps a Private Service Connect endpoint status to the
// Snowflake endpoint state and status. ok is false for a status that is not
// one of Compute Engine's.
//
// NOTE: Snowflake documents ACCEPTED, NO CONNECTION and REJECTED for
// Google Cloud. How it reports PENDING, CLOSED and NEEDS_ATTENTION is
// unconfirmed, so the sandbox reports PENDING as "Pending" and passes the
// others through.
func (s *Server) gcpEndpointState(ep Endpoint, state string) (endpointStatus, bool) {
	switch state {
	case "PENDING":
		return endpointStatus{endpointState: "PENDING_CREATION", status: "Pending"}, true
	case "ACCEPTED":
		since := s.markAvailable(ep)
		if s.now().Sub(since) >= s.opts.EndpointDelay {
			return endpointStatus{endpointState: "CREATED", status: "ACCEPTED"}, true
		}
		return endpointStatus{endpointState: "PENDING_CREATION", status: "ACCEPTED"}, true
	case "NEEDS_ATTENTION":
		// The producer can still fix the attachment, so the endpoint is
		// not failed yet.
		return endpointStatus{endpointState: "PENDING_CREATION", status: state}, true
	case "REJECTED", "CLOSED":
		return endpointStatus{endpointState: "FAILED", status: state}, true
	}
	return endpointStatus{}, false
}
