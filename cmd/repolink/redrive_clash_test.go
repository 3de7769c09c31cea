package main

import (
	"testing"

	"github.com/repolink/repolink/shared/engine"
)

// TestRedriveRejectsOtherRequestsObjects stops a provision execution before
// any building step, so that its objects count as free, and then starts
// another request with the same objects. A redrive of the stopped
// execution would build those objects beside the other request's, so the
// redrive command and RedriveExecution must reject it as a start is.
func TestRedriveRejectsOtherRequestsObjects(t *testing.T) {
	s := newServedStore(t)
	s.start(t, provisionMachine, "RC-1", exampleRequest(t, "RC-1"))
	s.stop(t, "RC-1")
	s.start(t, provisionMachine, "RC-2", exampleRequest(t, "RC-2"))

	holder := "as request RC-2 does in execution RC-2 (RUNNING)"
	code, _, errOut := runCLIWithin(t, "redrive", "--state-dir", s.dir, "RC-1")
	assertUsage(t, "redrive RC-1", code, errOut, holder)
	s.assertStatus(t, "RC-1", engine.StatusAborted)

	err := s.apiRedrive(provisionMachine, "RC-1")
	assertRejected(t, "RedriveExecution of RC-1", err, "ExecutionNotRedrivable", holder)
	s.assertStatus(t, "RC-1", engine.StatusAborted)
}
