package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
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
			refreshRequestJSON(t, "R-1", nil),
			refreshRequestJSON(t, "r-1", nil),
		}, "same schedule name"},
		{"same construct ID", []string{
			refreshRequestJSON(t, "DATA-1", nil),
			refreshRequestJSON(t, "DATA1", nil),
		}, "construct ID"},
		{"no egress block", []string{`{"id": "X-1", "route": "egress-ip"}`}, "$.egress"},
		{"no security group", []string{refreshRequestJSON(t, "X-1", func(doc map[string]any) {
			delete(doc["egress"].(map[string]any), "security_group_id")
		})}, "$.egress.security_group_id: missing"},
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
	writeDefinition(t, dir, "a.json", refreshRequestJSON(t, "R-1", nil))
	writeDefinition(t, dir, "b.json", refreshRequestJSON(t, "r-1", nil))
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
	writeDefinition(t, dir, "a.json", refreshRequestJSON(t, "DATA_1", nil))
	writeDefinition(t, dir, "b.json", refreshRequestJSON(t, "DATA-1", nil))
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

func TestLoadRefreshRequestsNamesFileAndField(t *testing.T) {
	dir := t.TempDir()
	writeDefinition(t, dir, "a.json", `{"id": "X-1", "route": "egress-ip"}`)
	path := filepath.Join(dir, "a.json")
	_, err := loadRefreshRequests("repolink", []string{path})
	if err == nil {
		t.Fatal("loadRefreshRequests returned no error")
	}
	for _, want := range []string{path, "$.egress", "$.snowflake.account"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestStackRejectsUnreachableFirewall(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(egress map[string]any)
		groups []string
		want   []string
	}{
		{"azure cloud", func(egress map[string]any) {
			egress["cloud"] = "azure"
			delete(egress, "region")
			delete(egress, "security_group_id")
			egress["network_security_group_id"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/pypi" +
				"/providers/Microsoft.Network/networkSecurityGroups/pypi-nsg"
		}, nil, []string{"egress.cloud", `"azure"`, "repolink command"}},
		{"other region", func(egress map[string]any) {
			egress["region"] = "eu-central-1"
		}, nil, []string{"egress.region", `"eu-central-1"`, "us-west-2"}},
		{"unlisted security group", nil, []string{"sg-0123456789abcdef0"},
			[]string{"egress.security_group_id", exampleSecurityGroup, "egressSecurityGroupIds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "request.json")
			writeDefinition(t, dir, "request.json", refreshRequestJSON(t, "DATA-1", func(doc map[string]any) {
				if tt.edit != nil {
					tt.edit(doc["egress"].(map[string]any))
				}
			}))
			cfg := fullConfig()
			cfg.EgressRefreshRequests = []string{path}
			if tt.groups != nil {
				cfg.EgressSecurityGroupIDs = tt.groups
			}
			app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(false), StackTraces: jsii.Bool(false)})
			_, err := NewStack(app, "Repolink", &awscdk.StackProps{
				Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-west-2")},
			}, cfg)
			if err == nil {
				t.Fatal("NewStack returned no error")
			}
			for _, want := range append([]string{path}, tt.want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %s", err, want)
				}
			}
		})
	}
}

// refreshRequestJSON returns testdata/egress-ip.json with the id set to id,
// after edit, when not nil, changes the decoded document.
func refreshRequestJSON(t *testing.T, id string, edit func(doc map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile("testdata/egress-ip.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["id"] = id
	if edit != nil {
		edit(doc)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
