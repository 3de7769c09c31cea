package sessions

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
)

// logoutGate is a proxy in front of the sandbox Snowflake that holds each
// logout (POST /session?delete=true) until the test releases it.
type logoutGate struct {
	mu      sync.Mutex
	arrived int
	// want is the count of held logouts at which allArrived closes.
	want       int
	allArrived chan struct{}
	release    chan struct{}
	releaseOne sync.Once
}

func newLogoutGate(want int) *logoutGate {
	return &logoutGate{want: want, allArrived: make(chan struct{}), release: make(chan struct{})}
}

// open lets every held and later logout through.
func (g *logoutGate) open() {
	g.releaseOne.Do(func() { close(g.release) })
}

// wrap returns a handler that holds logouts and forwards every request to
// next.
func (g *logoutGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/session" && r.URL.Query().Get("delete") == "true" {
			g.mu.Lock()
			g.arrived++
			if g.arrived == g.want {
				close(g.allArrived)
			}
			g.mu.Unlock()
			<-g.release
		}
		next.ServeHTTP(w, r)
	})
}

// openSessions starts the sandbox Snowflake with one account for each of
// accounts behind gate and returns a cache with one open session in each.
func openSessions(t *testing.T, gate *logoutGate, accounts []string) *Cache {
	t.Helper()
	cache := startProxiedCache(t, gate.wrap, accounts...)
	// Cleanups run in the reverse order of registration, so the held
	// logouts end before the proxy waits for its requests.
	t.Cleanup(gate.open)
	for _, account := range accounts {
		if _, err := cache.Session(t.Context(), request.Snowflake{Account: account, User: "REPOLINK_SVC", PasswordRef: "env:PASSWORD"}); err != nil {
			t.Fatalf("Session for %s: %v", account, err)
		}
	}
	return cache
}

var closeAccounts = []string{"myorg-one", "myorg-two", "myorg-three", "myorg-four"}

// TestCloseContextInParallel holds every logout until all of them have
// arrived, so that closing the sessions one at a time would never finish.
func TestCloseContextInParallel(t *testing.T) {
	gate := newLogoutGate(len(closeAccounts))
	cache := openSessions(t, gate, closeAccounts)
	go func() {
		select {
		case <-gate.allArrived:
			gate.open()
		case <-t.Context().Done():
		}
	}()

	// The timeout only keeps a failing test from hanging.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := cache.CloseContext(ctx); err != nil {
		t.Fatalf("CloseContext: %v", err)
	}
	if n := len(cache.sessions); n != 0 {
		t.Errorf("cache keeps %d sessions after CloseContext, want 0", n)
	}
}

// TestCloseContextStopsAtDeadline holds every logout and ends the context
// once all have arrived: CloseContext returns and names every login.
func TestCloseContextStopsAtDeadline(t *testing.T) {
	gate := newLogoutGate(len(closeAccounts))
	cache := openSessions(t, gate, closeAccounts)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		select {
		case <-gate.allArrived:
			cancel()
		case <-t.Context().Done():
		}
	}()

	err := cache.CloseContext(ctx)
	var notClosed *NotClosedError
	if !errors.As(err, &notClosed) {
		t.Fatalf("CloseContext error = %v, want a *NotClosedError", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("CloseContext error = %v, want one that wraps context.Canceled", err)
	}
	want := []string{"myorg-four/repolink_svc/", "myorg-one/repolink_svc/", "myorg-three/repolink_svc/", "myorg-two/repolink_svc/"}
	if diff := cmp.Diff(want, notClosed.Logins); diff != "" {
		t.Errorf("logins not closed (-want +got):\n%s", diff)
	}
	if n := len(cache.sessions); n != 0 {
		t.Errorf("cache keeps %d sessions after CloseContext, want 0", n)
	}
}
