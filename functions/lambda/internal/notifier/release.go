package notifier

import (
	"context"
	"time"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/notify/payload"
	"github.com/repolink/repolink/shared/workflow"
)

// releaseTimeout bounds the history reads and the DynamoDB call of one
// release, so that the notification keeps the rest of the invocation.
const releaseTimeout = 10 * time.Second

// closingEvents maps each status whose run releases its endpoint place to
// the history event that closes such a run.
var closingEvents = map[string]string{
	"FAILED":    "ExecutionFailed",
	"TIMED_OUT": "ExecutionTimedOut",
	"ABORTED":   "ExecutionAborted",
}

// releaseReservation ends the endpoint place of a provision run that
// failed, timed out or was aborted before its endpoint step, by the rule of
// provisionendpoint.ReleaseClosed, with the execution name as the holder.
// A failure is logged and not returned, because the place expires on its
// own and the notification must still be sent.
func (n *Notifier) releaseReservation(ctx context.Context, event statusChange, doc workflow.Document, runHistory *history) {
	d := event.Detail
	closing, ok := closingEvents[d.Status]
	if !ok || machineOf(d.StateMachineARN) != payload.MachineProvision {
		return
	}
	if n.Env == nil || n.Env.EndpointReservations == nil || runHistory == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	log := n.logger().With("execution", d.Name, "request_id", doc.Request.ID, "account", doc.Request.Snowflake.Account)

	// EventBridge and Lambda deliver the event again for up to hours. A
	// redrive since then reuses the execution name and may have reserved
	// the place again, so only an execution that is still closed releases.
	//
	// NOTE: a redrive between this read and the release below can still
	// lose its new place. The window covers the DynamoDB call and, for a
	// history of more than one page, the reads of its older pages. The
	// redriven run reserves again at its endpoint step.
	newest, ok, err := runHistory.event(ctx, 0)
	if err != nil {
		log.Warn("read execution history failed; the endpoint reservation expires on its own", "error", err)
		return
	}
	if !ok || newest.Type != closing {
		log.Info("endpoint reservation left to the redriven run", "newest_event", newest.Type)
		return
	}

	kept, err := provisionendpoint.ReleaseClosed(ctx, n.Env, doc.Request, d.Name, runHistory.enteredStates(ctx))
	switch {
	case err != nil:
		log.Warn("release endpoint reservation failed; it expires on its own", "error", err)
	case kept:
		log.Info("endpoint reservation kept until the endpoint is listed or the reservation expires")
	default:
		log.Info("endpoint reservation released where this execution held it")
	}
}
