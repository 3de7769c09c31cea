//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSandboxLockWithoutPid checks the messages for a sandbox lock that
// another process has taken but not yet written its pid into, which a
// second command started at the same moment meets.
func TestSandboxLockWithoutPid(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	f, err := os.OpenFile(filepath.Join(dir, sandboxLockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// flock locks belong to the open file, so the command's own open of
	// the file in this process meets this lock as another process would.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	request := filepath.Join("..", "..", "examples", "gcp-privatelink.json")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"run", []string{"run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, request},
			"another repolink process is starting the sandbox in " + dir + "; wait for it to finish"},
		{"plan", []string{"plan", "--sandbox", "--state-dir", dir, request},
			"another repolink process is starting or stopping the sandbox in " + dir + "; try again in a moment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != exitInvalid {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.want)
			}
			if strings.Contains(errOut, "()") {
				t.Errorf("stderr %q shows an empty holder", errOut)
			}
		})
	}
}
