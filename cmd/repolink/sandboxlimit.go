package main

import (
	"fmt"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/workflow"
)

// sandboxLimitError returns the addition to the error line of the execution
// x when workflow.SandboxLimitFailure matches it for flags, or "".
func sandboxLimitError(x engine.Execution, flags string) string {
	_, cause := failedStep(x)
	if !workflow.SandboxLimitFailure(x.Error, cause, flags) {
		return ""
	}
	return fmt.Sprintf("; in the sandbox, '%s' frees every place, because it removes the sandbox world "+
		"with its endpoints and every execution of the state directory", workflow.SandboxResetCommand(flags))
}

// sandboxLimitNext returns next, the next action of the execution x, as
// workflow.SandboxLimitNext does. run is the command that starts the
// request afresh, or "" when none applies.
func sandboxLimitNext(x engine.Execution, flags, run, next string) string {
	_, cause := failedStep(x)
	return workflow.SandboxLimitNext(x.Error, cause, flags, run, next)
}
