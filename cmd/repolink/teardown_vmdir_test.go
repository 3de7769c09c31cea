package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTeardownRemovesProxyVMFiles checks that a teardown in a process of
// its own removes the working directory of each proxy VM that it deletes,
// with the VM's nginx.conf and access log, on every cloud.
func TestTeardownRemovesProxyVMFiles(t *testing.T) {
	for _, example := range []string{"aws-privatelink.json", "azure-privatelink.json", "gcp-privatelink.json"} {
		t.Run(example, func(t *testing.T) {
			dir := t.TempDir()
			req := filepath.Join("..", "..", "examples", example)
			code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
			if code != exitOK {
				t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			vms := filepath.Join(dir, "sandbox", "vms")
			if got := vmDirs(t, vms); len(got) != 1 {
				t.Fatalf("after run the sandbox has the VM directories %v, want one", got)
			}

			name := strings.Fields(out)[1]
			code, out, errOut = runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, name)
			if code != exitOK {
				t.Fatalf("teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if got := vmDirs(t, vms); len(got) != 0 {
				t.Errorf("after teardown the sandbox keeps the VM directories %v, want none", got)
			}
		})
	}
}

// vmDirs returns the names of the directories in dir.
func vmDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}
