package notifier

import (
	"context"

	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/workflow"
)

// RunItems releases an execution's hold on its request's run item, which
// the exclusion check of the steps takes. *dynamo.Store implements it.
type RunItems interface {
	// ReleaseRunHolder removes the holder only while it holds the item
	// with a redrive count of at most redriveCount, and returns false when
	// it did not.
	ReleaseRunHolder(ctx context.Context, requestID, executionARN string, redriveCount int) (bool, error)
}

var _ RunItems = (*dynamo.Store)(nil)

// releaseRunItem releases the run item that a closed execution of either
// machine holds, so that the next execution of the request need not find
// out with DescribeExecution that it closed. The condition on the redrive
// count keeps the item of a redrive that started after the event and
// already took it again. A failure is logged and not returned, because the
// next check takes the item over from a holder that no longer runs.
func (n *Notifier) releaseRunItem(ctx context.Context, event statusChange, doc workflow.Document) {
	d := event.Detail
	if n.RunItems == nil || doc.Request.ID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, releaseTimeout)
	defer cancel()
	log := n.logger().With("execution", d.Name, "request_id", doc.Request.ID, "redrive_count", d.RedriveCount)

	released, err := n.RunItems.ReleaseRunHolder(ctx, doc.Request.ID, d.ExecutionARN, d.RedriveCount)
	switch {
	case err != nil:
		log.Warn("release run item failed; the next check of the request takes it over", "error", err)
	case released:
		log.Info("run item released")
	default:
		log.Info("run item not held by this execution and redrive")
	}
}
