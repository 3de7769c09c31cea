package front

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/sandbox/pyindex"
)

func TestServerServesAndCloses(t *testing.T) {
	ca, err := pyindex.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatalf("create CA: %v", err)
	}
	cert, err := ca.Issue("127.0.0.1")
	if err != nil {
		t.Fatalf("issue certificate: %v", err)
	}
	tests := []struct {
		name       string
		tls        *tls.Config
		client     *http.Client
		wantScheme string
	}{
		{
			name:       "http",
			client:     &http.Client{Transport: &http.Transport{}},
			wantScheme: "http://",
		},
		{
			name:       "https",
			tls:        &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
			client:     &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}},
			wantScheme: "https://",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "path "+r.URL.Path)
			})
			s, err := Start(Config{Name: "test", Logger: slog.New(slog.DiscardHandler), Handler: handler, TLS: tt.tls})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			url := s.URL()
			if !strings.HasPrefix(url, tt.wantScheme+"127.0.0.1:") {
				t.Errorf("URL() = %q, want prefix %q", url, tt.wantScheme+"127.0.0.1:")
			}

			resp, err := tt.client.Get(url + "/a")
			if err != nil {
				t.Fatalf("GET before Close: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("read body: %v", err)
			}
			if diff := cmp.Diff("path /a", string(body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}

			tt.client.CloseIdleConnections()
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if got := s.URL(); got != url {
				t.Errorf("URL() after Close = %q, want %q", got, url)
			}
			if _, err := tt.client.Get(url + "/a"); err == nil {
				t.Errorf("GET after Close succeeded, want a connection error")
			}
		})
	}
}

func TestHookSetAndLoad(t *testing.T) {
	var hook Hook[func() error]
	if hook.Load() != nil {
		t.Fatalf("zero Hook.Load() is not nil")
	}

	errFault := errors.New("fault")
	hook.Set(func() error { return errFault })
	fn := hook.Load()
	if fn == nil {
		t.Fatalf("Load() after Set is nil")
	}
	if err := fn(); !errors.Is(err, errFault) {
		t.Errorf("loaded function returned %v, want %v", err, errFault)
	}

	hook.Set(nil)
	if hook.Load() != nil {
		t.Errorf("Load() after Set(nil) is not nil")
	}
}
