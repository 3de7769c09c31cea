package webhook

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// PlacementChange is a request that changes placement fields, as
// request.ChangedPlacement returns them, of an earlier execution of its ID
// whose resources may exist.
type PlacementChange struct {
	// Earlier is the request of Execution, and Later the delivered one.
	Earlier, Later request.Request
	// Fields are the changed placement paths, such as $.gcp.region.
	Fields    []string
	Execution string
	// Status is the status of Execution, such as SUCCEEDED.
	Status string
	// Stopped is true when Execution failed, timed out or was aborted
	// after a building step had started.
	Stopped bool
	// Redrive is true when a redrive of Execution can finish the earlier
	// request: the platform redrives, no later run of the ticket is known
	// and no teardown started after Execution.
	Redrive bool
	// NoEndpoint is true when Execution neither provisioned nor adopted a
	// Snowflake private endpoint, such as a run that stopped before its
	// endpoint step, so that a teardown deprovisions none. The reason then
	// leaves out what that costs. A caller that cannot tell leaves it false.
	NoEndpoint bool
}

// endpointState is the provision state machine's state whose step
// provisions or adopts the Snowflake private endpoint and records it under
// $.resources.endpoint.
const endpointState = "Endpoint"

// MayHaveEndpoint reports whether a provision run may have provisioned or
// adopted a Snowflake private endpoint, given the last Task state that it
// entered and its last $.resources. The resources record an endpoint that
// the step created or adopted. An endpoint step that failed after
// Snowflake accepted the endpoint records nothing, so a run whose last
// Task state is that step may have one too.
func MayHaveEndpoint(lastTask string, resources json.RawMessage) bool {
	if lastTask == endpointState {
		return true
	}
	var recorded struct {
		Endpoint *workflow.Result `json:"endpoint"`
	}
	if json.Unmarshal(resources, &recorded) != nil || recorded.Endpoint == nil {
		return false
	}
	return recorded.Endpoint.Action == workflow.Created || recorded.Endpoint.Action == workflow.Adopted
}

// Conflict returns the *ConflictError with which every front end rejects
// the change: the fields and values that change, what the change would
// leave behind, and how to tear down first.
func (c PlacementChange) Conflict() *ConflictError {
	built := "and no teardown has removed what that execution built"
	next := "Tear down the request first and then send this request again"
	if c.Status == statusRunning {
		next = workflow.WaitOrStopAdvice(c.Execution, "") + ", then tear down the request and send this request again"
	}
	if c.Stopped {
		built = "which may have built resources before it stopped, and no teardown has removed them"
		if c.Redrive {
			next = fmt.Sprintf("Tear down the request first and then send this request again, "+
				"or redrive %s to finish the earlier request and tear that down before you send this request again", c.Execution)
		}
	}
	if cost := request.TeardownEndpointCost(c.Earlier); cost != "" && !c.NoEndpoint {
		next = cost + ". " + next
	}
	values := "The request changes " + strings.Join(request.DescribeChanges(c.Earlier, c.Later, c.Fields), "; ") + ". "
	reason := fmt.Sprintf("request %s changes %s from execution %s (%s), %s; %s. %s%s",
		c.Later.ID, strings.Join(c.Fields, ", "), c.Execution, c.Status, built,
		request.ChangeConsequence(c.Earlier, c.Later, c.Fields, c.Execution), values, next)
	return &ConflictError{
		Ticket: c.Later.ID, Execution: c.Execution, Reason: reason,
		OtherID: true, NewIDChanges: request.NewIDChanges(c.Earlier, c.Later),
	}
}
