package workflow

import (
	"encoding/json"
	"fmt"
)

// RequestID returns the request ID in an execution input, a workflow
// document or a task input, or "" when the input has none or is not JSON.
func RequestID(input []byte) string {
	var doc struct {
		Request struct {
			ID string `json:"id"`
		} `json:"request"`
	}
	if json.Unmarshal(input, &doc) != nil {
		return ""
	}
	return doc.Request.ID
}

// The reasons below reject an execution that would overlap another run of
// its request. repolink up and the exclusion check on AWS both use them,
// so the two give the same advice. execution and requestID name the run
// that is still running, and stop is the quoted command that stops it.

// ProvisionRunsBeforeTeardown returns the reason to reject a teardown while a
// provision execution of its request runs.
func ProvisionRunsBeforeTeardown(execution, requestID, stop string) string {
	return fmt.Sprintf("execution %s of request %s is still running; wait for it to close, or stop it with %s, "+
		"before tearing the request down, because a teardown now would delete what that execution builds",
		execution, requestID, stop)
}

// ProvisionRunsBeforeProvision returns the reason to reject a provision
// execution while another provision execution of its request runs.
func ProvisionRunsBeforeProvision(execution, requestID, stop string) string {
	return fmt.Sprintf("execution %s of request %s is still running; wait for it to close, or stop it with %s, "+
		"before starting another provision execution of the request, because both would build the same resources",
		execution, requestID, stop)
}

// TeardownRunsBeforeTeardown returns the reason to reject a teardown while
// another teardown of its request runs.
func TeardownRunsBeforeTeardown(execution, requestID, stop string) string {
	return fmt.Sprintf("teardown %s of request %s is still running; wait for it to close, or stop it with %s, "+
		"before starting another teardown of the request, because both would delete the same resources",
		execution, requestID, stop)
}

// WaitOrStopAdvice returns the advice, as a sentence without its final
// period, to wait for the running execution to close or to stop it. A
// teardown of a running execution is rejected, so the advice to tear down
// a request starts with it. stop is the quoted command that stops the
// execution, or "" when the reader has no command to run.
func WaitOrStopAdvice(execution, stop string) string {
	if stop == "" {
		return fmt.Sprintf("Wait for execution %s to close, or stop it", execution)
	}
	return fmt.Sprintf("Wait for execution %s to close, or stop it with %s", execution, stop)
}
