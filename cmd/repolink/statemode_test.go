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
