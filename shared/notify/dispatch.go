package notify

import (
	"context"
	"sync"

	"github.com/repolink/repolink/shared/notify/receivers"
)

// DefaultMaxConcurrent is the default of Config.MaxConcurrent.
//
// NOTE: a sender who points more requests than this at distinct receivers
// that never respond still fills every slot, and the other receivers then
// wait up to one attempt timeout (10 seconds) for a slot.
const DefaultMaxConcurrent = 16

// deliveryQueue runs the delivery attempts of a Notifier. It has one worker
// per receiver, so the attempts to one receiver run one at a time in the
// order they were queued, and slots bound the attempts in flight across
// all receivers.
type deliveryQueue struct {
	slots   receivers.Slots
	workers sync.WaitGroup

	mu        sync.Mutex
	queued    map[recordKey]bool          // records queued or in flight
	receivers map[string][]queuedDelivery // records waiting for the worker of a receiver
}

// recordKey identifies a record in the store.
type recordKey struct {
	execution    string
	redriveCount int
}

// queuedDelivery is a record waiting for its attempt, with the contexts and
// the WaitGroup of the call that queued it. The worker of a receiver may
// run records that Run and Deliver queued, so each record keeps its own
// contexts and the end of one call does not skip the records of another.
type queuedDelivery struct {
	rec        Record
	ctx        context.Context
	attemptCtx context.Context
	done       *sync.WaitGroup
}

func newDeliveryQueue(maxConcurrent int) *deliveryQueue {
	return &deliveryQueue{
		slots:     receivers.NewSlots(maxConcurrent),
		queued:    map[recordKey]bool{},
		receivers: map[string][]queuedDelivery{},
	}
}

// size returns the number of records queued or in flight.
func (q *deliveryQueue) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queued)
}

// wait blocks until every worker has stopped.
func (q *deliveryQueue) wait() { q.workers.Wait() }

// startDue queues one attempt of every due notification that is not
// queued or in flight already, and returns a WaitGroup that is done when
// the attempts it queued are. No attempt starts after ctx ends, and the
// notifications that were not attempted stay pending. An attempt that has
// started runs on attemptCtx, so it can outlive ctx.
func (n *Notifier) startDue(ctx, attemptCtx context.Context) (*sync.WaitGroup, error) {
	started := &sync.WaitGroup{}
	due, err := n.cfg.Store.due(ctx, n.cfg.Now())
	if err != nil {
		return started, err
	}
	q := n.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, rec := range due {
		key := recordKey{rec.Execution, rec.RedriveCount}
		if q.queued[key] {
			continue
		}
		q.queued[key] = true
		started.Add(1)
		to := receivers.Of(rec.URL)
		waiting, running := q.receivers[to]
		q.receivers[to] = append(waiting, queuedDelivery{rec: rec, ctx: ctx, attemptCtx: attemptCtx, done: started})
		if !running {
			q.workers.Add(1)
			go n.work(to)
		}
	}
	return started, nil
}

// work attempts the queued notifications of one receiver, one at a time,
// and stops when none is left.
func (n *Notifier) work(key string) {
	q := n.queue
	defer q.workers.Done()
	for {
		q.mu.Lock()
		waiting := q.receivers[key]
		if len(waiting) == 0 {
			delete(q.receivers, key)
			q.mu.Unlock()
			return
		}
		next := waiting[0]
		q.receivers[key] = waiting[1:]
		q.mu.Unlock()

		n.attemptQueued(next.ctx, next.attemptCtx, next.rec)

		q.mu.Lock()
		delete(q.queued, recordKey{next.rec.Execution, next.rec.RedriveCount})
		q.mu.Unlock()
		next.done.Done()
	}
}

// attemptQueued attempts rec on attemptCtx once a slot is free, unless ctx
// ends first.
func (n *Notifier) attemptQueued(ctx, attemptCtx context.Context, rec Record) {
	if !n.queue.slots.Acquire(ctx) {
		return
	}
	defer n.queue.slots.Release()
	n.attempt(attemptCtx, rec, true)
}
