//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockCommandsOnReadOnlyStateDir(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	// The mode file makes dir a sandbox state directory, which sandbox
	// reset requires before it takes the sandbox lock.
	if err := os.WriteFile(filepath.Join(dir, modeFile), []byte("sandbox\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	makeReadOnly(t, dir)
	request := filepath.Join("..", "..", "examples", "public.json")

	tests := []struct {
		name string
		args []string
		lock string
	}{
		{name: "plan", args: []string{"plan", "--sandbox", "--state-dir", dir, request}, lock: "sandbox lock"},
		{name: "preflight", args: []string{"preflight", "--sandbox", "--state-dir", dir, request}, lock: "sandbox lock"},
		{name: "sandbox reset", args: []string{"sandbox", "reset", "--state-dir", dir}, lock: "sandbox lock"},
		{name: "up", args: []string{"up", "--sandbox", "--listen", "127.0.0.1:0", "--state-dir", dir}, lock: "service lock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			want := "state directory " + dir + " is not writable, so the " + tt.lock + " file cannot be created there"
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr %q does not contain %q", errOut, want)
			}
			if !strings.Contains(errOut, "set --state-dir to a writable directory") {
				t.Errorf("stderr %q does not say what to do", errOut)
			}
		})
	}
}
