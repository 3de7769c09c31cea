package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOperationsAPIAuthScheme(t *testing.T) {
	const token = "api-token-for-scheme-tests"
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"canonical scheme", "Bearer " + token, http.StatusOK},
		{"lower-case scheme", "bearer " + token, http.StatusOK},
		{"upper-case scheme", "BEARER " + token, http.StatusOK},
		{"extra space", "Bearer  " + token, http.StatusOK},
		{"wrong token", "bearer other", http.StatusUnauthorized},
		{"other scheme", "Basic " + token, http.StatusUnauthorized},
		{"scheme only", "Bearer", http.StatusUnauthorized},
		{"missing header", "", http.StatusUnauthorized},
	}
	api := &operationsAPI{token: token, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	handler := api.authorized(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/v1/executions", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()

			handler(w, r)
			if diff := cmp.Diff(tt.want, w.Code); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoopbackListen(t *testing.T) {
	tests := []struct {
		listen string
		want   bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.2:8080", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{"192.0.2.10:8080", false},
		{"repolink.example.com:8080", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		if got := loopbackListen(tt.listen); got != tt.want {
			t.Errorf("loopbackListen(%q) = %v, want %v", tt.listen, got, tt.want)
		}
	}
}

func TestOperationsAPIWithoutToken(t *testing.T) {
	tests := []struct {
		listen string
		want   int
	}{
		{"127.0.0.1:8080", http.StatusOK},
		{"localhost:8080", http.StatusOK},
		{"0.0.0.0:8080", http.StatusForbidden},
		{":8080", http.StatusForbidden},
		{"192.0.2.10:8080", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			api := &operationsAPI{listen: tt.listen, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			handler := api.authorized(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
			w := httptest.NewRecorder()

			handler(w, httptest.NewRequest(http.MethodGet, "/v1/executions/DATA-4711/history", nil))
			if w.Code != tt.want {
				t.Errorf("status = %d, want %d", w.Code, tt.want)
			}
			if tt.want == http.StatusForbidden && !strings.Contains(w.Body.String(), envAPIToken) {
				t.Errorf("body %q does not name %s", w.Body.String(), envAPIToken)
			}
		})
	}
}

func TestOperationsAPIInvalidName(t *testing.T) {
	api := &operationsAPI{
		engine: testStore(t, t.TempDir(), nil),
		listen: "127.0.0.1:8080",
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	mux := http.NewServeMux()
	api.register(mux)

	tests := []struct {
		name     string
		path     string
		wantCode int
		wantBody string
	}{
		{"invalid UTF-8", "/v1/executions/%ff", http.StatusBadRequest, `invalid execution name \"\\xff\"`},
		{"invalid UTF-8 history", "/v1/executions/%ff/history", http.StatusBadRequest, `invalid execution name \"\\xff\"`},
		{"space", "/v1/executions/DATA%204711", http.StatusBadRequest, `invalid execution name \"DATA 4711\"`},
		{"format character", "/v1/executions/DATA%E2%80%8B4711/history", http.StatusBadRequest, `invalid execution name \"DATA\\u200b4711\"`},
		{"too long", "/v1/executions/" + strings.Repeat("A", 81), http.StatusBadRequest, "must have 1 to 80 characters"},
		{"unknown name", "/v1/executions/DATA-4711", http.StatusNotFound, "no execution named DATA-4711"},
		{"unknown name history", "/v1/executions/DATA-4711/history", http.StatusNotFound, "no execution named DATA-4711"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))

			if w.Code != tt.wantCode {
				t.Errorf("status = %d, want %d; body %s", w.Code, tt.wantCode, w.Body.String())
			}
			if !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Errorf("body %s does not contain %s", w.Body.String(), tt.wantBody)
			}
		})
	}
}
