package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
