package registry

import (
	"github.com/repolink/repolink/functions/gcpconnection"
	"github.com/repolink/repolink/functions/gcploadbalancer"
	"github.com/repolink/repolink/functions/gcpproxyvm"
	"github.com/repolink/repolink/functions/gcpserviceattachment"
	"github.com/repolink/repolink/shared/workflow"
)

// gcpHandlers returns the handlers of the steps of the gcp route.
func gcpHandlers(env *workflow.Env) map[string]Handler {
	return map[string]Handler{
		"gcp_proxy_vm":           adapt(env, gcpproxyvm.Run),
		"gcp_load_balancer":      adapt(env, gcploadbalancer.Run),
		"gcp_service_attachment": adapt(env, gcpserviceattachment.Run),
		"gcp_connection":         adapt(env, gcpconnection.Run),
	}
}
