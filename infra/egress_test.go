package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestForeignTask(t *testing.T) {
	tests := []struct {
		task string
		want bool
	}{
		{"azure_proxy_vm", true},
		{"gcp_service_attachment", true},
		{"teardown_azure_connections", true},
		{"teardown_gcp_psc_subnet", true},
		{"proxy_vm", false},
		{"teardown_proxy_vm", false},
		{"egress_ranges", false},
		{"gcpx_proxy", false},
	}
	for _, tt := range tests {
		if got := foreignTask(tt.task); got != tt.want {
			t.Errorf("foreignTask(%q) = %v, want %v", tt.task, got, tt.want)
		}
	}
}

func TestLoadRefreshRequests(t *testing.T) {
	requests, err := loadRefreshRequests([]string{"testdata/egress-ip.json"})
	if err != nil {
		t.Fatalf("loadRefreshRequests: %v", err)
	}
	if len(requests) != 1 {
		t.Fatalf("got %d requests, want 1", len(requests))
	}
	if requests[0].id != "DATA-4720" {
		t.Errorf("id = %q, want DATA-4720", requests[0].id)
	}
	if requests[0].suffix != "DATA-4720" {
		t.Errorf("suffix = %q, want DATA-4720", requests[0].suffix)
	}
}

func TestLoadRefreshRequestsRejects(t *testing.T) {
	tests := []struct {
		name     string
		requests []string
		problem  string
	}{
		{"not JSON", []string{"{"}, "decode JSON object"},
		{"no id", []string{`{"route": "egress-ip"}`}, "has no id"},
		{"other route", []string{`{"id": "R-1", "route": "aws-privatelink"}`}, `route "aws-privatelink"`},
		{"id without letters", []string{`{"id": "//", "route": "egress-ip"}`}, "no letter or digit"},
		{"same schedule name", []string{
			`{"id": "R-1", "route": "egress-ip"}`,
			`{"id": "r/1", "route": "egress-ip"}`,
		}, "same schedule name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for i, content := range tt.requests {
				name := string(rune('a'+i)) + ".json"
				writeDefinition(t, dir, name, content)
				paths = append(paths, filepath.Join(dir, name))
			}
			_, err := loadRefreshRequests(paths)
			if err == nil {
				t.Fatal("loadRefreshRequests returned no error")
			}
			if !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("error %q does not contain %q", err, tt.problem)
			}
		})
	}
}

func TestLoadRefreshRequestsMissingFile(t *testing.T) {
	_, err := loadRefreshRequests([]string{"testdata/no-such-request.json"})
	if err == nil || !strings.Contains(err.Error(), "read egress refresh request") {
		t.Errorf("loadRefreshRequests error = %v, want a read error", err)
	}
}
