package main

import (
	"fmt"
	"strings"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// sandboxLimitFailure reports whether the execution x ran in the sandbox,
// which flags show, and failed because the sandbox Snowflake account had no
// free place among its private endpoints. The sandbox counts the endpoints
// of earlier teardowns for 7 days of its clock, as Snowflake does, and
// ACCOUNT_USAGE does not exist there, so only a reset frees a place.
func sandboxLimitFailure(x engine.Execution, flags string) bool {
	if !strings.HasPrefix(flags, " --sandbox") || x.Error != workflow.ErrConflict {
		return false
	}
	_, cause := failedStep(x)
	return provisionendpoint.IsCapacityCause(cause)
}

// sandboxResetCommand returns the reset command for the state directory of
// flags, with only the flags that repolink sandbox reset takes.
func sandboxResetCommand(flags string) string {
	return "repolink sandbox reset" + storeFlagsOf(flags)
}

// sandboxLimitError returns the addition to the error line of an execution
// that sandboxLimitFailure matches, or "".
func sandboxLimitError(x engine.Execution, flags string) string {
	if !sandboxLimitFailure(x, flags) {
		return ""
	}
	return fmt.Sprintf("; in the sandbox, '%s' frees every place, because it removes the sandbox world "+
		"with its endpoints and every execution of the state directory", sandboxResetCommand(flags))
}

// sandboxLimitNext returns next, the next action of the execution x, with
// the sandbox reset in front of it when sandboxLimitFailure matches x. run
// is the command that starts the request afresh, such as "run 'repolink
// run --sandbox REQUEST'", or "" when none applies.
func sandboxLimitNext(x engine.Execution, flags, run, next string) string {
	if !sandboxLimitFailure(x, flags) {
		return next
	}
	reset := fmt.Sprintf("run '%s', which removes the sandbox world with its endpoints and every execution of the state directory",
		sandboxResetCommand(flags))
	if run != "" {
		reset += ", then " + run
	}
	return reset + "; or " + next
}
