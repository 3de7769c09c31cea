package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecondNoProxyRequestForOneVMRejected checks that a second proxy none
// request for the VM that an earlier request put behind its load balancer
// is rejected with status 2 before anything is built, naming
// $.gcp.target_address and the earlier request, and that the sandbox VM
// stays in one instance group.
func TestSecondNoProxyRequestForOneVMRejected(t *testing.T) {
	dir := t.TempDir()
	first := writeExample(t, "gcp-privatelink-no-proxy.json", func(doc map[string]any) { doc["id"] = "DATA-5001" })
	second := writeExample(t, "gcp-privatelink-no-proxy.json", func(doc map[string]any) {
		doc["id"] = "DATA-5002"
		section(doc, "repository")["name"] = "internal_pypi_two"
		section(doc, "repository")["index_url"] = "https://pypi2.internal.example.com/simple/"
		// The first request's index password belongs to its index host.
		section(section(doc, "repository"), "auth")["password_ref"] = "gcp-secretmanager:projects/corp-packages-prod/secrets/internal-index-two-password"
		section(doc, "gcp")["upstream"] = "pypi2.internal.example.com:443"
		section(doc, "gcp")["psc_subnet"] = "snet-psc-nat-two"
		section(doc, "gcp")["psc_subnet_cidr"] = "192.168.253.0/28"
	})

	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, first)
	if code != 0 {
		t.Fatalf("first run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	want := "$.gcp.target_address 10.20.0.25 is VM projects/corp-packages-prod/zones/us-central1-a/instances/repository, which is already in instance group"
	for _, command := range []string{"preflight", "plan", "run"} {
		args := []string{command, "--sandbox", "--state-dir", dir, second}
		if command == "run" {
			args = []string{command, "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, second}
		}
		code, out, errOut := runCLI(t, args...)
		if code != exitInvalid {
			t.Errorf("%s exit %d, want %d\nstdout:\n%s\nstderr:\n%s", command, code, exitInvalid, out, errOut)
		}
		for _, part := range []string{want, "of request DATA-5001", "tear down request DATA-5001 first", "set $.gcp.proxy to nginx"} {
			if !strings.Contains(out+errOut, part) {
				t.Errorf("%s output lacks %q:\nstdout:\n%s\nstderr:\n%s", command, part, out, errOut)
			}
		}
		if command == "run" && !strings.Contains(errOut, "nothing was created") {
			t.Errorf("run stderr does not say that nothing was created:\n%s", errOut)
		}
	}

	eng, _, err := openEngineStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := eng.ListMachine(context.Background(), provisionMachine, time.Time{})
	eng.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Errorf("%d provision executions, want only the first request's", len(runs))
	}

	if groups := groupsOfVM(t, dir, "projects/corp-packages-prod/zones/us-central1-a/instances/repository"); len(groups) != 1 {
		t.Errorf("the repository VM is in groups %v, want only the first request's", groups)
	}
}

// groupsOfVM returns the paths of the sandbox instance groups that have
// the instance as a member.
func groupsOfVM(t *testing.T, dir, instance string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "sandbox", "gcp", "gcp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var world struct {
		InstanceGroups map[string]struct {
			Members []struct{ Instance string }
		} `json:"instance_groups"`
	}
	if err := json.Unmarshal(data, &world); err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, group := range world.InstanceGroups {
		for _, m := range group.Members {
			if m.Instance == instance {
				out = append(out, path)
			}
		}
	}
	return out
}
