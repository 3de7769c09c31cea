package preflight

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/sandbox/pyindex"
)

// startCountingTarget starts an HTTPS server on 127.0.0.1 that counts the
// requests it gets, as the target of a redirect that must not be followed.
func startCountingTarget(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html></html>"))
	}))
	t.Cleanup(target.Close)
	return target, &hits
}

func TestRunRejectsRedirectToLoopback(t *testing.T) {
	ca := newCA(t)
	idx := startIndex(t, ca, testUser, testPassword, repoHost)
	target, hits := startCountingTarget(t)
	targetURL := target.URL + "/simple/"
	addr := startInterceptedIndex(t, ca, idx, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/simple/" {
			return false
		}
		http.Redirect(w, r, targetURL, http.StatusFound)
		return true
	})

	// The test client maps 127.0.0.1 to the target, so that without the
	// check the redirect would reach it.
	report := Run(t.Context(), Options{
		HTTP:     servers{repoHost: addr, "127.0.0.1": target.Listener.Addr().String()}.client(t, ca),
		Request:  testRequest(),
		Username: testUser,
		Password: testPassword,
	})

	check := find(report, "simple_api")
	if check.Status != Failed {
		t.Fatalf("simple_api = %s (%q), want failed; checks: %+v", check.Status, check.Detail, report.Checks)
	}
	if !strings.Contains(check.Detail, targetURL) {
		t.Errorf("simple_api detail = %q, want it to name the redirect target %s", check.Detail, targetURL)
	}
	if !strings.Contains(check.Detail, "loopback") {
		t.Errorf("simple_api detail = %q, want it to say the target is a loopback address", check.Detail)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("redirect target got %d requests, want 0", n)
	}
}

func TestRunRejectsFileRedirectToLoopback(t *testing.T) {
	ca := newCA(t)
	idx := startIndex(t, ca, testUser, testPassword, repoHost)
	target, hits := startCountingTarget(t)
	idx.SetBehavior(pyindex.Behavior{FileRedirect: target.URL + "/files/"})

	report := Run(t.Context(), Options{
		HTTP:     servers{repoHost: idx.Addr(), "127.0.0.1": target.Listener.Addr().String()}.client(t, ca),
		Request:  testRequest(),
		Username: testUser,
		Password: testPassword,
	})

	if !report.Failed() {
		t.Fatalf("report passed, want a failed package check; checks: %+v", report.Checks)
	}
	data, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "rejected: host 127.0.0.1 is a loopback address") {
		t.Errorf("report does not say the file redirect was rejected: %s", data)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("redirect target got %d requests, want 0", n)
	}
}

// refusingClient returns a client that dials nothing and counts the dials
// it refuses, so that a test of a metadata host never reaches the network,
// with the check or without it.
func refusingClient() (*http.Client, *atomic.Int32) {
	var dials atomic.Int32
	transport := &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			dials.Add(1)
			return nil, errors.New("test client dials nothing")
		},
	}
	return &http.Client{Transport: transport}, &dials
}

func TestRunRejectsMachineIndexHost(t *testing.T) {
	for _, host := range []string{"localhost:6379", "metadata.google.internal", "kubernetes.default.svc", "[fd00:ec2::254]"} {
		t.Run(host, func(t *testing.T) {
			req := testRequest()
			req.Repository.IndexURL = "https://" + host + "/simple/"
			client, dials := refusingClient()
			report := Run(t.Context(), Options{HTTP: client, Request: req, Username: testUser, Password: testPassword})

			check := find(report, "index_url")
			if check.Status != Failed || check.Error == "" {
				t.Fatalf("index_url = %+v, want failed as an invalid request", check)
			}
			if !strings.Contains(check.Detail, "$.repository.index_url") {
				t.Errorf("detail = %q, want it to name $.repository.index_url", check.Detail)
			}
			for _, c := range report.Checks[1:] {
				if c.Status != Skipped {
					t.Errorf("check %s = %s, want skipped after index_url", c.Name, c.Status)
				}
			}
			if n := dials.Load(); n != 0 {
				t.Errorf("preflight dialed %d times, want 0", n)
			}
		})
	}
}

// acceptCounter listens on 127.0.0.1 and counts the connections it accepts.
func acceptCounter(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close()
		}
	}()
	return listener.Addr().String(), &accepted
}

func TestDefaultClientRejectsLoopback(t *testing.T) {
	addr, accepted := acceptCounter(t)
	resp, err := DefaultClient(10 * time.Second).Get("https://" + addr + "/simple/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("GET to a loopback address succeeded, want it rejected")
	}
	if !strings.Contains(err.Error(), "rejected") {
		t.Errorf("error = %v, want the dial rejected", err)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("listener accepted %d connections, want 0", n)
	}
}

// TestTLSCheckDialRejectsLoopback covers a client whose transport has no
// DialContext, for which the TLS check dials by itself.
func TestTLSCheckDialRejectsLoopback(t *testing.T) {
	addr, accepted := acceptCounter(t)
	r := &run{opts: Options{HTTP: &http.Client{Transport: &http.Transport{}}}, host: repoHost}
	_, err := r.peerCertificates(t.Context(), addr)
	if err == nil {
		t.Fatal("TLS check dial to a loopback address succeeded, want it rejected")
	}
	if !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error = %v, want it to name the loopback address", err)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("listener accepted %d connections, want 0", n)
	}
}
