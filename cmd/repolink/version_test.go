package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestVersionOutputJSON(t *testing.T) {
	code, out, errOut := runCLI(t, "version", "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitOK, errOut)
	}
	var doc struct {
		Version *string `json:"version"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout %q is not JSON: %v", out, err)
	}
	if doc.Version == nil || *doc.Version != version {
		t.Errorf("stdout %q, want {\"version\": %q}", out, version)
	}
}

func TestVersionOutputText(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"version", "--output", "text"}} {
		code, out, errOut := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d, want %d; stderr: %s", args, code, exitOK, errOut)
		}
		if out != "repolink "+version+"\n" {
			t.Errorf("%v: stdout %q, want %q", args, out, "repolink "+version+"\n")
		}
	}
}

func TestVersionRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{{"version", "--output", "yaml"}, {"version", "extra"}} {
		code, _, errOut := runCLI(t, args...)
		if code != exitInvalid {
			t.Errorf("%v: exit %d, want %d; stderr: %s", args, code, exitInvalid, errOut)
		}
		if errOut == "" || strings.Contains(errOut, "panic") {
			t.Errorf("%v: stderr %q, want a usage error", args, errOut)
		}
	}
}
