package sessions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/request"
)

// loginGate is a proxy handler in front of the sandbox Snowflake that,
// once hold is set, holds each login until the test releases it. It
// counts the logouts and signals each on loggedOut.
type loginGate struct {
	hold      atomic.Bool
	arrived   chan struct{}
	release   chan struct{}
	logouts   atomic.Int32
	loggedOut chan struct{}
}

func newLoginGate() *loginGate {
	return &loginGate{arrived: make(chan struct{}, 1), release: make(chan struct{}), loggedOut: make(chan struct{}, 4)}
}

func (g *loginGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/session/v1/login-request" && g.hold.Load():
			g.arrived <- struct{}{}
			<-g.release
		case r.URL.Path == "/session" && r.URL.Query().Get("delete") == "true":
			g.logouts.Add(1)
			g.loggedOut <- struct{}{}
		}
		next.ServeHTTP(w, r)
	})
}

// startProxiedCache starts the sandbox Snowflake with the user
// REPOLINK_SVC in each of accounts behind a proxy that wrap builds around
// the forwarding handler, and returns a cache that logs in through it.
func startProxiedCache(t *testing.T, wrap func(http.Handler) http.Handler, accounts ...string) *Cache {
	t.Helper()
	server := startSandbox(t, accounts...)
	target, err := url.Parse(fmt.Sprintf("http://%s:%d", server.Host(), server.Port()))
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	// A logout that a test lets through after it ends may fail, so the
	// proxy does not log.
	forward.ErrorLog = log.New(io.Discard, "", 0)
	proxy := httptest.NewServer(wrap(forward))
	t.Cleanup(proxy.Close)
	host, port, _ := strings.Cut(strings.TrimPrefix(proxy.URL, "http://"), ":")
	portNumber, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Secrets: &fakeSecrets{values: map[string]string{"env:PASSWORD": "pw-value"}},
		Host: host, Port: portNumber, Protocol: "http"})
}

// TestLoginDuringCloseLoggedOut holds a login until CloseContext has
// begun. The session that the login opens must be logged out, not kept in
// the cache where no later CloseContext would find it.
func TestLoginDuringCloseLoggedOut(t *testing.T) {
	gate := newLoginGate()
	cache := startProxiedCache(t, gate.wrap, "myorg-one", "myorg-two")
	// The timeout only keeps a failing test from hanging.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := cache.Session(ctx, request.Snowflake{Account: "myorg-one", User: "REPOLINK_SVC", PasswordRef: "env:PASSWORD"}); err != nil {
		t.Fatalf("Session for myorg-one: %v", err)
	}

	gate.hold.Store(true)
	sessionErr := make(chan error, 1)
	go func() {
		_, err := cache.Session(ctx, request.Snowflake{Account: "myorg-two", User: "REPOLINK_SVC", PasswordRef: "env:PASSWORD"})
		sessionErr <- err
	}()
	select {
	case <-gate.arrived:
	case <-ctx.Done():
		t.Fatal("the login of myorg-two did not reach the sandbox Snowflake")
	}

	// CloseContext takes the open sessions before it logs them out, so the
	// logout of myorg-one shows that it has begun.
	closeErr := make(chan error, 1)
	go func() { closeErr <- cache.CloseContext(ctx) }()
	select {
	case <-gate.loggedOut:
	case <-ctx.Done():
		t.Fatal("CloseContext did not log out myorg-one")
	}
	close(gate.release)

	err := <-sessionErr
	if !errors.Is(err, ErrClosing) {
		t.Errorf("Session for myorg-two error = %v, want one that wraps ErrClosing", err)
	}
	if err := <-closeErr; err != nil {
		t.Errorf("CloseContext: %v", err)
	}
	if n := gate.logouts.Load(); n != 2 {
		t.Errorf("logouts = %d, want 2: myorg-one and the session that logged in during CloseContext", n)
	}
	cache.mu.Lock()
	kept := len(cache.sessions)
	cache.mu.Unlock()
	if kept != 0 {
		t.Errorf("cache keeps %d sessions after CloseContext, want 0", kept)
	}
}
