package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/azuresim"
)

// writeAzureRequest writes the example with another request ID,
// azure.location, index host, repository name and index password, and with
// no default level, so that it claims no host, Snowflake object, default
// or index credential of the example's run.
func writeAzureRequest(t *testing.T, id, location, host, name string) string {
	t.Helper()
	path := writeAzureExample(t, "azure-privatelink.json", id, location)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	section(doc, "repository")["index_url"] = "https://" + host + "/simple/"
	section(doc, "repository")["name"] = name
	section(doc, "repository")["default_for"] = "none"
	section(section(doc, "repository"), "auth")["password_ref"] = "azure-keyvault:https://kv-packages.vault.azure.net/secrets/" + strings.ReplaceAll(name, "_", "-") + "-password"
	section(doc, "azure")["upstream"] = host + ":443"
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAzureLocationOtherThanNetwork runs the Azure example, whose virtual
// network is in eastus2, and then a request for westus2 in that network,
// which run and plan reject with exit status 2 before an execution starts.
func TestAzureLocationOtherThanNetwork(t *testing.T) {
	dir := t.TempDir()
	example := filepath.Join("..", "..", "examples", "azure-privatelink.json")
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, example)
	if code != 0 {
		t.Fatalf("run of the example: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	const want = "$.azure.location westus2 is not the region of virtual network vnet-packages ($.azure.vnet_name), which is in eastus2"
	west := writeAzureRequest(t, "AZ-WEST", "westus2", "pypi.west.example.com", "west_pypi")
	code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, west)
	if code != exitInvalid {
		t.Errorf("run for westus2: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(errOut, want) {
		t.Errorf("run stderr lacks %q:\n%s", want, errOut)
	}
	if !strings.Contains(errOut, "nothing was created") {
		t.Errorf("run stderr does not say that nothing was created:\n%s", errOut)
	}

	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, west)
	if code != exitInvalid {
		t.Errorf("plan for westus2: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(out+errOut, want) {
		t.Errorf("plan output lacks %q:\n%s%s", want, out, errOut)
	}
}

// TestRejectedAzureLocationSeedsNoNetwork runs a request with an
// azure.location that the subscription does not list in a fresh state
// directory, and checks that the sandbox world has no network afterwards
// and that the example then runs.
func TestRejectedAzureLocationSeedsNoNetwork(t *testing.T) {
	dir := t.TempDir()
	misspelt := writeAzureExample(t, "azure-privatelink.json", "DATA-4811", "westus9")
	code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, misspelt)
	if code != exitInvalid {
		t.Fatalf("run with westus9: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	world, err := os.ReadFile(filepath.Join(dir, "sandbox", "azure", "azure.json"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(world)), "vnet-packages") {
		// The world file contains sealed Key Vault secrets and the custom
		// data of VMs, so the message lists only its virtual networks and
		// subnets.
		t.Errorf("sandbox world has vnet-packages after a rejected request. Its virtual networks and subnets:\n%s",
			strings.Join(virtualNetworkIDs(t, world), "\n"))
	}

	example := filepath.Join("..", "..", "examples", "azure-privatelink.json")
	code, out, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, example)
	if code != 0 {
		t.Fatalf("run of the example after the rejected request: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// virtualNetworkIDs returns the IDs of the virtual networks and subnets
// in the Azure sandbox world file data.
func virtualNetworkIDs(t *testing.T, data []byte) []string {
	t.Helper()
	var world azuresim.World
	if err := json.Unmarshal(data, &world); err != nil {
		t.Fatalf("decode the Azure sandbox world: %v", err)
	}
	var ids []string
	for key, resource := range world.Resources {
		if strings.Contains(key, "/providers/microsoft.network/virtualnetworks/") {
			ids = append(ids, resource.ID)
		}
	}
	slices.Sort(ids)
	return ids
}
