package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestEndToEndGCPRunTwice(t *testing.T) {
	for _, example := range []string{"gcp-privatelink.json", "gcp-privatelink-no-proxy.json"} {
		t.Run(example, func(t *testing.T) {
			dir := t.TempDir()
			req := filepath.Join("..", "..", "examples", example)

			code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
			if code != exitOK {
				t.Fatalf("first run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			for _, want := range []string{
				`status:\s+SUCCEEDED`, `endpoint status:\s+ACCEPTED \(CREATED\)`,
				`gcp_proxy_vm\s+created`, `gcp_load_balancer\s+created`, `gcp_service_attachment\s+created`, `gcp_connection\s+created`,
				`requests==`, `corp-utils==2\.3\.1`,
			} {
				if !regexp.MustCompile(want).MatchString(out) {
					t.Errorf("first run output lacks %q:\n%s", want, out)
				}
			}
			world := gcpWorldCounts(t, dir)

			code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
			if code != exitOK {
				t.Fatalf("second run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if !strings.Contains(out, "nothing was created") || strings.Contains(out, " created ") {
				t.Errorf("second run created something:\n%s", out)
			}
			if again := gcpWorldCounts(t, dir); !equalCounts(world, again) {
				t.Errorf("sandbox world changed on the second run: %v, then %v", world, again)
			}
		})
	}
}

// gcpWorld is the part of the sandbox Compute Engine's world file that the
// tests read.
type gcpWorld struct {
	Instances map[string]struct {
		StartupScript string   `json:"startup_script"`
		NetworkTags   []string `json:"network_tags"`
		Seeded        bool     `json:"seeded"`
	} `json:"instances"`
	InstanceGroups map[string]struct {
		Members []struct {
			Instance string `json:"instance"`
		} `json:"members"`
	} `json:"instance_groups"`
	Firewalls map[string]struct {
		SourceRanges []string `json:"source_ranges"`
		TargetTags   []string `json:"target_tags"`
	} `json:"firewalls"`
	Subnetworks map[string]struct {
		Purpose string `json:"purpose"`
	} `json:"subnetworks"`
	ServiceAttachments map[string]struct {
		ConnectionPreference string `json:"connection_preference"`
		EnableProxyProtocol  bool   `json:"enable_proxy_protocol"`
		ConsumerAcceptLists  []struct {
			EndpointURL     string `json:"endpoint_url"`
			ConnectionLimit int    `json:"connection_limit"`
		} `json:"consumer_accept_lists"`
	} `json:"service_attachments"`
	Endpoints map[string]struct {
		AcceptedAt *string `json:"accepted_at"`
	} `json:"endpoints"`
}

func readGCPWorld(t *testing.T, dir string) gcpWorld {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "sandbox", "gcp", "gcp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var world gcpWorld
	if err := json.Unmarshal(data, &world); err != nil {
		t.Fatal(err)
	}
	return world
}

func TestEndToEndGCPBuildsWhatTheRouteNeeds(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "../../examples/gcp-privatelink.json")
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	world := readGCPWorld(t, dir)

	if len(world.Instances) != 1 {
		t.Fatalf("the world has %d instances, want the proxy VM only", len(world.Instances))
	}
	for path, inst := range world.Instances {
		if !strings.HasPrefix(inst.StartupScript, "#!/bin/bash\n") || !strings.Contains(inst.StartupScript, "pypi.corp.example.com") {
			t.Errorf("instance %s has no startup script for the index host:\n%.300s", path, inst.StartupScript)
		}
		for _, group := range world.InstanceGroups {
			if len(group.Members) != 1 || group.Members[0].Instance != path {
				t.Errorf("instance group members = %+v, want %s", group.Members, path)
			}
		}
	}

	healthRule := false
	for name, fw := range world.Firewalls {
		if strings.HasSuffix(name, "-allow-hc") {
			healthRule = true
			if strings.Join(fw.SourceRanges, ",") != "35.191.0.0/16,130.211.0.0/22" || len(fw.TargetTags) != 1 {
				t.Errorf("health-check rule %s = %+v; want both health-check ranges to the proxy's tag", name, fw)
			}
		}
	}
	if !healthRule {
		t.Error("no firewall rule for the health-check ranges")
	}

	psc := 0
	for _, sub := range world.Subnetworks {
		if sub.Purpose == "PRIVATE_SERVICE_CONNECT" {
			psc++
		}
	}
	if psc != 1 {
		t.Errorf("%d subnets with purpose PRIVATE_SERVICE_CONNECT, want 1", psc)
	}
	if len(world.ServiceAttachments) != 1 {
		t.Fatalf("%d service attachments, want 1", len(world.ServiceAttachments))
	}
	for path, sa := range world.ServiceAttachments {
		if sa.ConnectionPreference != "ACCEPT_MANUAL" || sa.EnableProxyProtocol {
			t.Errorf("attachment %s = %+v; want ACCEPT_MANUAL without PROXY protocol", path, sa)
		}
		if len(sa.ConsumerAcceptLists) != 1 || sa.ConsumerAcceptLists[0].ConnectionLimit != 1 || !strings.HasPrefix(sa.ConsumerAcceptLists[0].EndpointURL, "projects/sf-sandbox-psc/") {
			t.Errorf("accept list of %s = %+v; want Snowflake's endpoint only, limit 1", path, sa.ConsumerAcceptLists)
		}
	}
	for path, ep := range world.Endpoints {
		if ep.AcceptedAt == nil {
			t.Errorf("endpoint %s was not accepted", path)
		}
	}
}

func TestEndToEndGCPNoProxyTargetsRepositoryVM(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "../../examples/gcp-privatelink-no-proxy.json")
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	world := readGCPWorld(t, dir)
	for path, inst := range world.Instances {
		if !inst.Seeded || inst.StartupScript != "" {
			t.Errorf("instance %s = %+v; want only the seeded repository VM, no proxy", path, inst)
		}
	}
	for name, group := range world.InstanceGroups {
		if len(group.Members) != 1 || !strings.HasSuffix(group.Members[0].Instance, "/instances/repository") {
			t.Errorf("group %s members = %+v; want the repository VM", name, group.Members)
		}
	}
	if len(world.Firewalls) != 2 {
		t.Errorf("created %d firewall rules, want the health check and PSC NAT rules", len(world.Firewalls))
	}
	for name, fw := range world.Firewalls {
		if strings.Join(fw.TargetTags, ",") != "pypi" {
			t.Errorf("rule %s targets %v; want only the repository VM's tag pypi from gcp.target_tags", name, fw.TargetTags)
		}
	}
}

func gcpWorldCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, file := range []string{"sandbox/gcp/gcp.json", "sandbox/snowflake/snowflake.json"} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("read world: %v", err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("decode %s: %v", file, err)
		}
		countNested(file, doc, counts)
	}
	return counts
}
