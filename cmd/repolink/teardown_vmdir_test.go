package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/proxy"
)

// TestTeardownRemovesProxyVMFiles checks that a teardown in a process of
// its own removes the working directory of each proxy VM that it deletes,
// with the VM's nginx.conf and access log, on every cloud.
func TestTeardownRemovesProxyVMFiles(t *testing.T) {
	// Without nginx the sandbox runs Go proxy VMs, which write no
	// directory.
	if _, err := proxy.LookNginx(t.Context()); err != nil {
		t.Skipf("skipping: the sandbox writes proxy VM directories only with nginx: %v", err)
	}
	for _, example := range []string{"aws-privatelink.json", "azure-privatelink.json", "gcp-privatelink.json"} {
		t.Run(example, func(t *testing.T) {
			dir := t.TempDir()
			req := filepath.Join("..", "..", "examples", example)
			code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, req)
			if code != exitOK {
				t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			vms := filepath.Join(dir, "sandbox", "vms")
			got := vmDirs(t, vms)
			if len(got) != 1 {
				t.Fatalf("after run the sandbox has the VM directories %v, want one", got)
			}
			vmDir := filepath.Join(vms, got[0])
			for _, file := range []string{"nginx.conf", "access.log"} {
				if _, err := os.Stat(filepath.Join(vmDir, file)); err != nil {
					t.Errorf("after run the VM directory has no %s: %v", file, err)
				}
			}

			name := strings.Fields(out)[1]
			code, out, errOut = runCLI(t, "teardown", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, name)
			if code != exitOK {
				t.Fatalf("teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if got := vmDirs(t, vms); len(got) != 0 {
				t.Errorf("after teardown the sandbox keeps the VM directories %v, want none", got)
			}
			if _, err := os.Stat(filepath.Join(vmDir, "nginx.conf")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after teardown Stat of the VM's nginx.conf returned %v, want it gone", err)
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
