package registry

import (
	"github.com/repolink/repolink/functions/egressranges"
	"github.com/repolink/repolink/shared/workflow"
)

// egressHandlers returns the handlers of the steps of the egress-ip route.
func egressHandlers(env *workflow.Env) map[string]Handler {
	return map[string]Handler{
		"egress_ranges": adaptRoute(env, egress, egressranges.Run),
	}
}
