package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestUpRejectsForeignHost(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	up := startUp(t, t.TempDir(), "--sandbox-latency", "none")
	port := up.url[strings.LastIndex(up.url, ":"):]

	send := func(method, path, host, target string) int {
		t.Helper()
		req, err := http.NewRequest(method, up.url+path, strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	const listMachines = "AWSStepFunctions.ListStateMachines"
	tests := []struct {
		name, method, path, host, target string
		want                             int
	}{
		{"executions from foreign host", http.MethodGet, "/v1/executions", "attacker.example" + port, "", http.StatusForbidden},
		{"step functions from foreign host", http.MethodPost, "/", "attacker.example" + port, listMachines, http.StatusForbidden},
		{"step functions path from foreign host", http.MethodPost, "/sfn/", "attacker.example", listMachines, http.StatusForbidden},
		{"healthz from foreign host", http.MethodGet, "/healthz", "attacker.example" + port, "", http.StatusForbidden},
		{"executions from localhost", http.MethodGet, "/v1/executions", "localhost" + port, "", http.StatusOK},
		{"step functions from 127.0.0.1", http.MethodPost, "/", "127.0.0.1" + port, listMachines, http.StatusOK},
		// Webhook deliveries are authenticated by their signature, so an
		// unsigned one is 401 whatever its Host.
		{"unsigned webhook from foreign host", http.MethodPost, "/v1/requests", "attacker.example" + port, "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := send(tt.method, tt.path, tt.host, tt.target); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
}
