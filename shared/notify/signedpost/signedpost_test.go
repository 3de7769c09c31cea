package signedpost_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/noredirect"
	"github.com/repolink/repolink/shared/notify/signedpost"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

var testSecret = []byte("test-signing-key")

func TestPostSignsBody(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"event":"succeeded"}`)
	var gotHeader http.Header
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHeader = r.Header.Clone()
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	status, err := signedpost.Post(context.Background(), srv.Client(), srv.URL, testSecret, now, body)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if status != http.StatusNoContent {
		t.Errorf("status = %d, want %d", status, http.StatusNoContent)
	}
	if string(gotBody) != string(body) {
		t.Errorf("receiver got body %s, want %s", gotBody, body)
	}
	if got := gotHeader.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := gotHeader.Get("User-Agent"); got != "repolink-notify" {
		t.Errorf("User-Agent = %q, want repolink-notify", got)
	}
	if err := webhook.VerifyTimestamped(testSecret, gotHeader, gotBody, now); err != nil {
		t.Errorf("signature check: %v", err)
	}
}

func TestPostClassifiesStatus(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		wantErrorName string
	}{
		{name: "ok", status: http.StatusOK},
		{name: "rejected", status: http.StatusForbidden},
		{name: "redirect", status: http.StatusFound},
		{name: "throttled", status: http.StatusTooManyRequests, wantErrorName: workflow.ErrThrottled},
		{name: "request timeout", status: http.StatusRequestTimeout, wantErrorName: workflow.ErrTransient},
		{name: "too early", status: http.StatusTooEarly, wantErrorName: workflow.ErrTransient},
		{name: "server error", status: http.StatusServiceUnavailable, wantErrorName: workflow.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == http.StatusFound {
					http.Redirect(w, r, "/elsewhere", tt.status)
					return
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			client := noredirect.Client(srv.Client(), time.Second)

			status, err := signedpost.Post(context.Background(), client, srv.URL, testSecret, time.Now(), []byte(`{}`))
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			if got := workflow.NameOf(err); got != tt.wantErrorName {
				t.Errorf("error %v named %q, want %q", err, got, tt.wantErrorName)
			}
		})
	}
}

func TestPostNetworkErrorOmitsQuery(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL + "/hook?token=s3cr3t"
	srv.Close()

	status, err := signedpost.Post(context.Background(), srv.Client(), target, testSecret, time.Now(), []byte(`{}`))
	if status != 0 {
		t.Errorf("status = %d, want 0", status)
	}
	if got := workflow.NameOf(err); got != workflow.ErrTransient {
		t.Errorf("error %v named %q, want %q", err, got, workflow.ErrTransient)
	}
	if err != nil && strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q repeats the URL's query", err)
	}
}

func TestPostInvalidURL(t *testing.T) {
	_, err := signedpost.Post(context.Background(), http.DefaultClient, "http://[::1/hook?token=s3cr3t", testSecret, time.Now(), []byte(`{}`))
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("error %v named %q, want %q", err, got, workflow.ErrInvalidRequest)
	}
	if err != nil && strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q repeats the URL's query", err)
	}
}
