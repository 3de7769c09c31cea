//go:build linux || darwin

package requesttest

import (
	"io/fs"
	"os"
	"testing"
)

func TestNamedPipeCreatesPipe(t *testing.T) {
	path := NamedPipe(t, t.TempDir())
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Type() != fs.ModeNamedPipe {
		t.Errorf("type of %s = %v, want a named pipe", path, info.Mode().Type())
	}
}
