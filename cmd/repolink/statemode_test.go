package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClaimStateMode(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		sandbox bool
		// wantErr is part of the usage error, or "" for none.
		wantErr  string
		wantMode string
	}{
		{name: "new directory with --sandbox", sandbox: true, wantMode: modeSandbox},
		{name: "new directory without --sandbox", sandbox: false, wantMode: modeCloud},
		{name: "sandbox directory with --sandbox", setup: writeMode(modeSandbox), sandbox: true, wantMode: modeSandbox},
		{name: "sandbox directory without --sandbox", setup: writeMode(modeSandbox), sandbox: false,
			wantErr: "belongs to the sandbox; add --sandbox", wantMode: modeSandbox},
		{name: "cloud directory with --sandbox", setup: writeMode(modeCloud), sandbox: true,
			wantErr: "belongs to the real clouds; remove --sandbox", wantMode: modeCloud},
		{name: "older sandbox directory without --sandbox", setup: makeDir("sandbox"), sandbox: false,
			wantErr: "add --sandbox"},
		{name: "older sandbox directory with --sandbox", setup: makeDir("sandbox"), sandbox: true, wantMode: modeSandbox},
		{name: "older cloud directory with --sandbox", setup: makeFile(engineStore), sandbox: true,
			wantErr: "remove --sandbox"},
		{name: "older cloud directory without --sandbox", setup: makeFile(engineStore), sandbox: false, wantMode: modeCloud},
		{name: "unknown mode", setup: writeMode("staging"), sandbox: true,
			wantErr: `contains the invalid mode "staging"`, wantMode: "staging"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, dir)
			}

			err := claimStateMode(dir, tt.sandbox)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("claimStateMode: %v", err)
			}
			if tt.wantErr != "" {
				var usage *usageError
				if !errors.As(err, &usage) {
					t.Fatalf("claimStateMode error = %v, want a usage error", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
			}
			data, _ := os.ReadFile(filepath.Join(dir, modeFile))
			if diff := cmp.Diff(tt.wantMode, strings.TrimSpace(string(data))); diff != "" {
				t.Errorf("mode file (-want +got):\n%s", diff)
			}
		})
	}
}

func writeMode(mode string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, modeFile), []byte(mode+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func makeDir(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

func makeFile(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSandboxFlagOnCloudDirectory checks that commands with --sandbox leave
// a cloud directory alone: no sandbox world, no executions removed.
func TestSandboxFlagOnCloudDirectory(t *testing.T) {
	dir := t.TempDir()
	writeMode(modeCloud)(t, dir)
	req := writeRequest(t, nil)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "run", args: []string{"run", "--sandbox", "--state-dir", dir, req}, wantErr: "remove --sandbox"},
		{name: "preflight", args: []string{"preflight", "--sandbox", "--state-dir", dir, req}, wantErr: "remove --sandbox"},
		{name: "plan", args: []string{"plan", "--sandbox", "--state-dir", dir, req}, wantErr: "remove --sandbox"},
		{name: "sandbox reset", args: []string{"sandbox", "reset", "--state-dir", dir}, wantErr: "belongs to the real clouds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErr)
			}
			if exists(filepath.Join(dir, "sandbox")) {
				t.Error("a sandbox world was created in the cloud directory")
			}
		})
	}
}

// TestFailedCommandLeavesModeFree checks that preflight and invoke without
// --sandbox, which start no execution, leave a new state directory free for
// the sandbox when they fail.
func TestFailedCommandLeavesModeFree(t *testing.T) {
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("REPOLINK_TEST_KEY", "not a key")
	t.Setenv("REPOLINK_TEST_PASSWORD", "secret")
	req := writeRequest(t, func(doc map[string]any) {
		doc["snowflake"].(map[string]any)["private_key_ref"] = "env:REPOLINK_TEST_KEY"
		repo := doc["repository"].(map[string]any)
		// Nothing listens on port 1 of the loopback host, so the index checks
		// fail.
		repo["index_url"] = "https://localhost:1/simple/"
		repo["auth"].(map[string]any)["password_ref"] = "env:REPOLINK_TEST_PASSWORD"
	})
	input := filepath.Join(t.TempDir(), "input.json")
	requestJSON, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	document := `{"request": ` + string(requestJSON) + `, "resources": {}}`
	if err := os.WriteFile(input, []byte(document), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args func(dir string) []string
	}{
		{name: "preflight", args: func(dir string) []string {
			return []string{"preflight", "--state-dir", dir, req}
		}},
		{name: "invoke", args: func(dir string) []string {
			return []string{"invoke", "--state-dir", dir, "--input", input, "preflight"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			code, _, errOut := runCLI(t, tt.args(dir)...)
			if code == exitOK {
				t.Fatalf("%s succeeded, want a failure; stderr: %s", tt.name, errOut)
			}

			if exists(filepath.Join(dir, modeFile)) {
				t.Error("the failed command recorded a mode")
			}
			mode, err := readStateMode(dir)
			if err != nil {
				t.Fatalf("readStateMode: %v", err)
			}
			if diff := cmp.Diff("", mode); diff != "" {
				t.Errorf("mode (-want +got):\n%s", diff)
			}
			if err := checkStateMode(dir, true); err != nil {
				t.Errorf("checkStateMode with --sandbox: %v", err)
			}
		})
	}
}
