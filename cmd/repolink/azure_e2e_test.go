package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEndToEndAzureRunTwice(t *testing.T) {
	for _, example := range []string{"azure-privatelink.json", "azure-privatelink-no-proxy.json"} {
		t.Run(example, func(t *testing.T) {
			dir := t.TempDir()
			req := filepath.Join("..", "..", "examples", example)

			code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
			if code != exitOK {
				t.Fatalf("first run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			for _, want := range []string{"status:           SUCCEEDED", "endpoint status:  APPROVED (CREATED)", "azure_private_link_service          created", "azure_connection                    created", "requests==", "corp-utils==2.3.1"} {
				if !strings.Contains(out, want) {
					t.Errorf("first run output lacks %q:\n%s", want, out)
				}
			}
			world := azureWorldCounts(t, dir)

			code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
			if code != exitOK {
				t.Fatalf("second run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if !strings.Contains(out, "nothing was created") || strings.Contains(out, " created ") {
				t.Errorf("second run created something:\n%s", out)
			}
			if again := azureWorldCounts(t, dir); !equalCounts(world, again) {
				t.Errorf("sandbox world changed on the second run: %v, then %v", world, again)
			}
		})
	}
}

func TestEndToEndAzureProxyVMRunsCloudInit(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "../../examples/azure-privatelink.json")
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var world struct {
		Resources map[string]struct {
			Type       string `json:"type"`
			CustomData string `json:"custom_data"`
		} `json:"resources"`
		Connections map[string]struct {
			Status string `json:"status"`
		} `json:"connections"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "sandbox", "azure", "azure.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &world); err != nil {
		t.Fatal(err)
	}
	vms := 0
	for _, res := range world.Resources {
		if res.Type != "Microsoft.Compute/virtualMachines" {
			continue
		}
		vms++
		if !strings.HasPrefix(res.CustomData, "#cloud-config\n") || !strings.Contains(res.CustomData, "pypi.corp.example.com") {
			t.Errorf("VM custom data is not the proxy's cloud-config for the index host:\n%.300s", res.CustomData)
		}
	}
	if vms != 1 {
		t.Errorf("the world has %d VMs, want 1", vms)
	}
	for id, c := range world.Connections {
		if c.Status != "Approved" {
			t.Errorf("connection %s is %s, want Approved", id, c.Status)
		}
	}
}

// azureWorldCounts counts the resources that the Azure and Snowflake parts
// of the sandbox world hold, per kind.
func azureWorldCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, file := range []string{"sandbox/azure/azure.json", "sandbox/snowflake/snowflake.json"} {
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

func TestEndToEndAzureEgressOpensSecurityGroup(t *testing.T) {
	dir := t.TempDir()
	const nsgID = "/subscriptions/3f2b8c1e-6d4a-4b7e-9a15-2c8d7e6f5a40/resourceGroups/rg-packages/providers/Microsoft.Network/networkSecurityGroups/nsg-pypi"
	data, err := os.ReadFile("../../examples/egress-ip.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["egress"] = map[string]any{"cloud": "azure", "network_security_group_id": nsgID, "port": 443}
	out, _ := json.Marshal(doc)
	req := filepath.Join(t.TempDir(), "request.json")
	if err := os.WriteFile(req, out, 0o600); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
	if code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	world, err := os.ReadFile(filepath.Join(dir, "sandbox", "azure", "azure.json"))
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Resources map[string]struct {
			Type string          `json:"type"`
			Body json.RawMessage `json:"body"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(world, &parsed); err != nil {
		t.Fatal(err)
	}
	rules := 0
	for _, res := range parsed.Resources {
		if res.Type != "Microsoft.Network/networkSecurityGroups/securityRules" {
			continue
		}
		rules++
		var rule struct {
			Properties struct {
				Access                string   `json:"access"`
				DestinationPortRange  string   `json:"destinationPortRange"`
				SourceAddressPrefixes []string `json:"sourceAddressPrefixes"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(res.Body, &rule); err != nil {
			t.Fatal(err)
		}
		if rule.Properties.Access != "Allow" || rule.Properties.DestinationPortRange != "443" {
			t.Errorf("security rule is not an allow rule on 443: %s", res.Body)
		}
		if len(rule.Properties.SourceAddressPrefixes) == 0 {
			t.Errorf("security rule allows no egress ranges: %s", res.Body)
		}
	}
	if rules != 1 {
		t.Errorf("the security group has %d repolink rules, want 1", rules)
	}
}
