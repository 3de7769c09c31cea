package workflow

import (
	"context"
	"time"
)

// WaitPoll is the outcome of the latest endpoint query for one open wait,
// as the poller last stored it. Either Error is set, or EndpointState and
// Status are what Snowflake reported for the wait's endpoint, or NotListed
// is true.
type WaitPoll struct {
	// Token is the wait's task token. It is the record's key and stays out
	// of the JSON, because its holder can complete the task.
	Token     string    `json:"-"`
	Execution string    `json:"execution"`
	At        time.Time `json:"at"`
	// EndpointState and Status are the endpoint_state and status that
	// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO returned for the endpoint.
	EndpointState string `json:"endpoint_state,omitempty"`
	Status        string `json:"status,omitempty"`
	// NotListed marks a query that succeeded without the wait's endpoint.
	NotListed bool `json:"not_listed,omitempty"`
	// Error is the first line of the error of the failed query.
	Error string `json:"error,omitempty"`
	// FailedPolls counts the failed queries in a row of the wait's account
	// up to At, and FailingSince is the time of the first of them. Both
	// count from the start of the poller that stored the record.
	FailedPolls  int       `json:"failed_polls,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
}

// WaitPollRecorder stores the latest poll outcome of each open wait. A
// record of a wait ends with the wait.
type WaitPollRecorder interface {
	RecordPoll(ctx context.Context, p WaitPoll) error
}
