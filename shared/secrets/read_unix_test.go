//go:build linux || darwin

package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/repolink/repolink/shared/request/requesttest"
)

// resolveWithin resolves ref and fails the test when Resolve does not
// return within 5 seconds, as a read of a named pipe without a writer
// would not.
func resolveWithin(t *testing.T, resolver *Resolver, ref string) error {
	t.Helper()
	return requesttest.CallWithin(t, "Resolve("+ref+")", func() error {
		_, err := resolver.Resolve(context.Background(), ref)
		return err
	})
}

func TestResolveRejectsNamedPipe(t *testing.T) {
	path := requesttest.NamedPipe(t, t.TempDir())
	err := resolveWithin(t, NewResolver(), "file:"+path)
	var invalid *InvalidValueError
	if !errors.As(err, &invalid) {
		t.Fatalf("Resolve error = %v, want *InvalidValueError", err)
	}
	if !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("error %q does not say the file is a named pipe", err)
	}
}

func TestResolveRejectsDevice(t *testing.T) {
	err := resolveWithin(t, NewResolver(), "file:/dev/zero")
	var invalid *InvalidValueError
	if !errors.As(err, &invalid) {
		t.Fatalf("Resolve error = %v, want *InvalidValueError", err)
	}
}

// A restricted resolver reads the real path that it checked, and the error
// names the reference of the request.
func TestRestrictedResolveRejectsNamedPipe(t *testing.T) {
	dir := t.TempDir()
	path := requesttest.NamedPipe(t, dir)
	allow, err := ParseAllowList([]string{"file:" + dir + "/*"})
	if err != nil {
		t.Fatal(err)
	}
	resolver := NewResolver().Restrict(allow, "fix")
	err = resolveWithin(t, resolver, "file:"+path)
	var invalid *InvalidValueError
	if !errors.As(err, &invalid) {
		t.Fatalf("Resolve error = %v, want *InvalidValueError", err)
	}
	if invalid.Ref != "file:"+path {
		t.Errorf("Ref = %q, want file:%s", invalid.Ref, path)
	}
}

// Each file: reference in the allowed directory that cannot be read fails
// with the reason, not with "not allowed".
func TestRestrictedResolverFileReasons(t *testing.T) {
	dir := symlinkTree(t)
	allowed := filepath.Join(dir, "allowed")
	if err := os.Symlink(filepath.Join(allowed, "later"), filepath.Join(allowed, "dangling-inside")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("later", filepath.Join(allowed, "dangling-relative")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(allowed, "subdir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(allowed, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(allowed, "large"), make([]byte, MaxSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(allowed, "unreadable"), []byte("value"), 0o000); err != nil {
		t.Fatal(err)
	}
	list, err := ParseAllowList([]string{"file:" + allowed + "/*"})
	if err != nil {
		t.Fatal(err)
	}
	resolver := NewResolver().Restrict(list, "use a secret store reference")

	tests := []struct {
		name string
		file string
		want []string
		// rootReads marks a case that a process running as root reads.
		rootReads bool
	}{
		{name: "dangling link", file: "dangling-inside", want: []string{allowed + "/later", "no such file"}},
		{name: "dangling relative link", file: "dangling-relative", want: []string{allowed + "/later", "no such file"}},
		{name: "missing file", file: "missing", want: []string{allowed + "/missing", "no such file"}},
		{name: "directory", file: "subdir", want: []string{allowed + "/subdir", "is a directory, not a regular file"}},
		{name: "named pipe", file: "pipe", want: []string{allowed + "/pipe", "named pipe, not a regular file"}},
		{name: "too large", file: "large", want: []string{allowed + "/large", fmt.Sprintf("the limit for a credential is %d bytes", MaxSize)}},
		{name: "unreadable", file: "unreadable", want: []string{allowed + "/unreadable", "permission denied"}, rootReads: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rootReads && os.Geteuid() == 0 {
				t.Skip("root reads a file without read permission")
			}
			ref := "file:" + filepath.Join(allowed, tt.file)
			got, err := resolver.Resolve(context.Background(), ref)
			if err == nil {
				t.Fatalf("Resolve(%s) = %d bytes, want an error", ref, len(got))
			}
			var notAllowed *NotAllowedError
			if errors.As(err, &notAllowed) {
				t.Errorf("Resolve(%s) error = %v, want the reason the file cannot be read", ref, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Resolve(%s) error = %v, want it to contain %q", ref, err, want)
				}
			}
		})
	}

	// A dangling link out of the allowed directory stays rejected.
	_, err = resolver.Resolve(context.Background(), "file:"+allowed+"/dangling")
	var notAllowed *NotAllowedError
	if !errors.As(err, &notAllowed) {
		t.Errorf("Resolve(allowed/dangling) error = %v, want *NotAllowedError", err)
	}
}
