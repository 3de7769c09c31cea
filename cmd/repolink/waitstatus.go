package main

import (
	"fmt"
	"io"
	"time"

	"github.com/repolink/repolink/shared/waits"
	"github.com/repolink/repolink/shared/workflow"
)

// writeWaiting writes the lines of status about an open wait: since when it
// waits, its deadline and the latest poll outcome that the poller stored.
func writeWaiting(w io.Writer, waiting waits.Waiting) {
	printText(w, "waiting since: %s\n", waiting.Since.UTC().Format(time.RFC3339))
	printText(w, "deadline:      %s\n", waiting.Deadline.UTC().Format(time.RFC3339))
	if waiting.LastPoll == nil {
		printText(w, "last poll:     none stored yet\n")
		return
	}
	printText(w, "last poll:     %s, %s\n", waiting.LastPoll.At.UTC().Format(time.RFC3339), pollOutcomeText(*waiting.LastPoll))
}

// pollOutcomeText returns the status text of a stored poll outcome.
func pollOutcomeText(poll workflow.WaitPoll) string {
	switch {
	case poll.Error != "":
		return fmt.Sprintf("query failed (%d in a row since %s): %s",
			poll.FailedPolls, poll.FailingSince.UTC().Format(time.RFC3339), poll.Error)
	case poll.NotListed:
		return "Snowflake lists no endpoint to the service yet"
	}
	return fmt.Sprintf("endpoint_state %s, status %s", poll.EndpointState, poll.Status)
}
