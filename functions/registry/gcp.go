package registry

import (
	"github.com/repolink/repolink/functions/gcpconnection"
	"github.com/repolink/repolink/functions/gcploadbalancer"
	"github.com/repolink/repolink/functions/gcpproxyvm"
	"github.com/repolink/repolink/functions/gcpserviceattachment"
	"github.com/repolink/repolink/functions/releasereservation"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// gcpHandlers returns the handlers of the steps of the gcp route.
func gcpHandlers(env *workflow.Env) map[string]Handler {
	return map[string]Handler{
		"gcp_proxy_vm":           adaptRoute(env, gcp, gcpproxyvm.Run),
		"gcp_load_balancer":      adaptRoute(env, gcp, gcploadbalancer.Run),
		"gcp_service_attachment": adaptRoute(env, gcp, gcpserviceattachment.Run),
		"gcp_connection":         adaptRoute(env, gcp, gcpconnection.Run),
		// The Workflows definition calls this step when a run fails before
		// its endpoint step. It checks no request, because the request of
		// a failed run may be invalid, and such a request holds no place.
		"release_endpoint_reservation": bind(env, "", acceptRequest, releasereservation.Run),
	}
}

// acceptRequest is a request check that accepts every request.
func acceptRequest(*request.Request) error { return nil }
