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
	requests, err := loadRefreshRequests("repolink", []string{"testdata/egress-ip.json"})
	if err != nil {
		t.Fatalf("loadRefreshRequests: %v", err)
	}
	if len(requests) != 1 {
		t.Fatalf("got %d requests, want 1", len(requests))
	}
	if requests[0].id != "DATA-4720" {
		t.Errorf("id = %q, want DATA-4720", requests[0].id)
	}
	if requests[0].scheduleName != "repolink-egress-refresh-DATA-4720" {
		t.Errorf("scheduleName = %q, want repolink-egress-refresh-DATA-4720", requests[0].scheduleName)
	}
	// The construct ID of earlier versions, which keeps the schedule in
	// place on an update.
	if requests[0].constructID != "EgressRefreshScheduleData4720" {
		t.Errorf("constructID = %q, want EgressRefreshScheduleData4720", requests[0].constructID)
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
			`{"id": "r-1", "route": "egress-ip"}`,
		}, "same schedule name"},
		{"same construct ID", []string{
			`{"id": "DATA-1", "route": "egress-ip"}`,
			`{"id": "DATA1", "route": "egress-ip"}`,
		}, "construct ID"},
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
			_, err := loadRefreshRequests("repolink", paths)
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
	_, err := loadRefreshRequests("repolink", []string{"testdata/no-such-request.json"})
	if err == nil {
		t.Fatal("loadRefreshRequests returned no error")
	}
	for _, want := range []string{"egressRefreshRequests", "REPOLINK_EGRESS_REFRESH_REQUESTS", "no-such-request.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestDuplicateErrorNamesKeyAndFiles(t *testing.T) {
	dir := t.TempDir()
	writeDefinition(t, dir, "a.json", `{"id": "R-1", "route": "egress-ip"}`)
	writeDefinition(t, dir, "b.json", `{"id": "r-1", "route": "egress-ip"}`)
	_, err := loadRefreshRequests("repolink", []string{filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")})
	if err == nil {
		t.Fatal("loadRefreshRequests returned no error")
	}
	for _, want := range []string{"egressRefreshRequests", filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestScheduleNamesDistinct(t *testing.T) {
	long := strings.Repeat("A", 60)
	ids := []string{
		"DATA_1", "DATA-1", "DATA.1", "DATA/1", "DATA 1",
		long + "1", long + "2",
		"x/" + long, "x-" + long,
	}
	names := map[string]string{}
	constructIDs := map[string]string{}
	for _, id := range ids {
		name := scheduleName("repolink-production", id)
		if len(name) > maxScheduleName {
			t.Errorf("scheduleName(%q) = %q has %d characters, more than %d", id, name, len(name), maxScheduleName)
		}
		if scheduleNameUnsafe.MatchString(name) {
			t.Errorf("scheduleName(%q) = %q has characters that schedule names reject", id, name)
		}
		if other, ok := names[strings.ToLower(name)]; ok {
			t.Errorf("ids %q and %q get the same schedule name %q", other, id, name)
		}
		names[strings.ToLower(name)] = id

		cid := scheduleConstructID(id)
		if other, ok := constructIDs[cid]; ok {
			t.Errorf("ids %q and %q get the same construct ID %q", other, id, cid)
		}
		constructIDs[cid] = id
	}
}

func TestStackWithSimilarRefreshIDs(t *testing.T) {
	dir := t.TempDir()
	writeDefinition(t, dir, "a.json", `{"id": "DATA_1", "route": "egress-ip"}`)
	writeDefinition(t, dir, "b.json", `{"id": "DATA-1", "route": "egress-ip"}`)
	cfg := fullConfig()
	cfg.EgressRefreshRequests = []string{filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")}
	r := synth(t, "similar-refresh-ids", cfg)

	var names []string
	for _, props := range resourcesOfType(r.json, "AWS::Scheduler::Schedule") {
		if name, _ := props["Name"].(string); strings.Contains(name, "egress-refresh") {
			names = append(names, name)
		}
	}
	if len(names) != 2 {
		t.Errorf("egress refresh schedules %q, want two", names)
	}
}
