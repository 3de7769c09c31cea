package poller

import (
	"context"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/notify/receivers"
	"github.com/repolink/repolink/shared/workflow"
)

// maxConcurrentWarnings is the maximum number of expiry warnings whose
// notification is being sent at once.
const maxConcurrentWarnings = 8

// expiringCredential is a record that warnExpiry handles, with the time
// left until its credential expires.
type expiringCredential struct {
	record workflow.CredentialExpiry
	left   time.Duration
}

// warnAll runs warnExpiry on each record. The records of one notify.url
// receiver (host and port) run one at a time in list order, and those of
// different receivers run concurrently, at most maxConcurrentWarnings at
// once. A Notices implementation that posts the notification, such as that
// of the Cloud Functions deployment, then cannot let a receiver that never
// responds delay the warnings to other receivers. Records not reached
// before ctx ends are checked on the next poll.
func (p *Poller) warnAll(ctx context.Context, records []expiringCredential, report *Report) {
	groups := map[string][]expiringCredential{}
	var order []string
	for _, e := range records {
		key := receivers.Of(notifyURL(e.record))
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], e)
	}

	slots := receivers.NewSlots(maxConcurrentWarnings)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, key := range order {
		wg.Go(func() {
			var own Report
			p.warnGroup(ctx, groups[key], slots, &own)
			mu.Lock()
			defer mu.Unlock()
			report.add(own)
		})
	}
	wg.Wait()
}

// warnGroup runs warnExpiry on the records of one receiver in turn, each
// once a slot is free, until ctx ends.
func (p *Poller) warnGroup(ctx context.Context, records []expiringCredential, slots receivers.Slots, report *Report) {
	for i, e := range records {
		if !slots.Acquire(ctx) {
			report.Errors++
			p.logger().Warn("credential check time limit reached; the rest is checked on the next poll",
				"secret", e.record.Secret, "unchecked", len(records)-i, "error", ctx.Err())
			return
		}
		p.warnExpiry(ctx, e.record, e.left, report)
		slots.Release()
	}
}

// notifyURL returns the notify.url of c's request, or "" when it has none.
func notifyURL(c workflow.CredentialExpiry) string {
	if c.Request.Notify == nil {
		return ""
	}
	return c.Request.Notify.URL
}

// add adds the counts of other to r.
func (r *Report) add(other Report) {
	r.Waits += other.Waits
	r.Accounts += other.Accounts
	r.Queries += other.Queries
	r.Succeeded += other.Succeeded
	r.Failed += other.Failed
	r.Pending += other.Pending
	r.Renewed += other.Renewed
	r.ExpiryWarnings += other.ExpiryWarnings
	r.ExpiryNotifications += other.ExpiryNotifications
	r.Errors += other.Errors
}
