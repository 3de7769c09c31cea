package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesDoNotShareObjects checks that no two example requests name
// the same Snowflake objects in one account, so that every example runs
// after the others in the same state directory, as `make run` uses it.
func TestExamplesDoNotShareObjects(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, path := range paths {
		if strings.HasSuffix(path, "-mapping.json") {
			continue
		}
		req, err := readRequest(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		sf := req.Snowflake
		key := strings.ToUpper(strings.Join([]string{sf.Account, sf.Database, sf.Schema, req.Repository.Name}, "."))
		if other, ok := owners[key]; ok {
			t.Errorf("%s and %s both create repository %s", filepath.Base(other), filepath.Base(path), key)
		}
		owners[key] = path
	}
	if len(owners) < 2 {
		t.Fatalf("read %d example requests, want the examples directory", len(owners))
	}
}

// TestMappingExampleNotRequest checks that running a ticket mapping file
// reports what the file is and where it goes, instead of listing its fields
// as unknown request fields.
func TestMappingExampleNotRequest(t *testing.T) {
	for _, name := range []string{"jira-mapping.json", "servicenow-mapping.json"} {
		path := filepath.Join("..", "..", "examples", name)
		code, _, errOut := runCLI(t, "run", "--sandbox", "--state-dir", t.TempDir(), path)
		assertUsage(t, "run "+name, code, errOut, "is a ticket mapping for repolink up, not a request", "--jira-mapping FILE",
			"nothing was created")
		if strings.Contains(errOut, "unknown field") {
			t.Errorf("run %s lists unknown fields:\n%s", name, errOut)
		}
	}
}
