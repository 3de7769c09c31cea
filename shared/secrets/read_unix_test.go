//go:build linux || darwin

package secrets

import (
	"context"
	"errors"
	"strings"
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
