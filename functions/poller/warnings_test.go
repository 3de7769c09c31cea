package poller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// stuckNotices is a CredentialNotifier whose notification to stuckURL
// returns only after the notification to any other URL has arrived, or
// when its context ends, like a receiver that never responds.
type stuckNotices struct {
	stuckURL    string
	goodArrived chan struct{}

	mu            sync.Mutex
	stuckReturned bool
	good          int
	goodFirst     bool // the good notification arrived before the stuck one returned
}

func (n *stuckNotices) NotifyCredentialExpiry(ctx context.Context, c workflow.CredentialExpiry) (bool, error) {
	if c.Request.Notify.URL == n.stuckURL {
		select {
		case <-n.goodArrived:
		case <-ctx.Done():
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		n.stuckReturned = true
		return true, ctx.Err()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.good++
	if n.good == 1 {
		n.goodFirst = !n.stuckReturned
		close(n.goodArrived)
	}
	return true, nil
}

func TestPollStuckNoticeDelaysOnlyItself(t *testing.T) {
	f := newRenewalFixture(t)
	stuck := f.record(t)
	stuck.Renewable = false
	stuck.Request.Repository.Auth = request.Auth{Type: "password", Username: "aws", PasswordRef: "env:CODEARTIFACT_TOKEN"}
	// The notifier below never dials these URLs.
	stuck.Request.Notify = &request.Notify{URL: "http://127.0.0.1:9/stuck"}
	good := stuck
	good.Secret = stuck.Secret + "_OTHER"
	good.Request.Notify = &request.Notify{URL: "http://127.0.0.1:10/good"}
	// List returns the earliest expiry first, so the stuck record comes
	// first.
	good.ExpiresAt = stuck.ExpiresAt.Add(time.Minute)
	for _, c := range []workflow.CredentialExpiry{stuck, good} {
		if err := f.store.Put(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	notices := &stuckNotices{stuckURL: stuck.Request.Notify.URL, goodArrived: make(chan struct{})}
	f.poller = &Poller{Env: f.sb.Env, Notices: notices}
	f.clock.Advance(9 * time.Hour)

	report := f.poll(t)

	if report.ExpiryNotifications != 2 {
		t.Errorf("ExpiryNotifications = %d, want 2", report.ExpiryNotifications)
	}
	notices.mu.Lock()
	defer notices.mu.Unlock()
	if notices.good != 1 {
		t.Fatalf("good receiver got %d notifications, want 1", notices.good)
	}
	if !notices.goodFirst {
		t.Error("good notification was sent only after the stuck one returned")
	}
}
