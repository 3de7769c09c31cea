package vm

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestRemoveDeletesInstanceDir(t *testing.T) {
	for _, preferNginx := range kinds(t) {
		t.Run(kindName(preferNginx), func(t *testing.T) {
			f := newFixture(t, preferNginx)
			if _, err := f.launcher.Launch(t.Context(), "vm/one", f.userData); err != nil {
				t.Fatal(err)
			}
			dir := f.launcher.instanceDir("vm/one")
			if preferNginx {
				if _, err := os.Stat(filepath.Join(dir, "nginx.conf")); err != nil {
					t.Fatalf("Launch wrote no nginx.conf in the instance directory: %v", err)
				}
			} else {
				// The Go passthrough writes nothing, so the test creates the
				// directory that a VM of the nginx kind would leave.
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}

			if err := f.launcher.Stop("vm/one"); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if _, err := os.Stat(dir); err != nil {
				t.Fatalf("Stop removed the directory of a VM that still exists: %v", err)
			}
			if err := f.launcher.Remove("vm/one"); err != nil {
				t.Fatalf("Remove: %v", err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("instance directory after Remove: %v, want it gone", err)
			}
			if err := f.launcher.Remove("vm/one"); err != nil {
				t.Errorf("second Remove: %v", err)
			}
		})
	}
}

func TestRemoveStopsRunningInstance(t *testing.T) {
	f := newFixture(t, false)
	if _, err := f.launcher.Launch(t.Context(), "i-run", f.userData); err != nil {
		t.Fatal(err)
	}
	if err := f.launcher.Remove("i-run"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if n := f.launcher.Running(); n != 0 {
		t.Errorf("Running after Remove = %d, want 0", n)
	}
}
