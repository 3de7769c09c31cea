package sfobject

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/snowflake"
)

// failingConn fails every statement.
type failingConn struct{}

func (failingConn) Exec(context.Context, string) error { return errors.New("statement failed") }

func (failingConn) Query(context.Context, string) ([]snowflake.Row, error) {
	return nil, errors.New("statement failed")
}

// emptyConn returns no rows.
type emptyConn struct{}

func (emptyConn) Exec(context.Context, string) error { return nil }

func (emptyConn) Query(context.Context, string) ([]snowflake.Row, error) { return nil, nil }

func TestLookupErrorsNameResolvedObject(t *testing.T) {
	const want = "SECRETS PUBLIC_PYPI_SECRET"

	_, err := Find(t.Context(), failingConn{}, "SECRETS", "public_pypi_SECRET", "")
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Find error %v, want it to contain %q", err, want)
	}

	_, err = FindCreated(t.Context(), emptyConn{}, "SECRETS", "public_pypi_SECRET", "")
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("FindCreated error %v, want it to contain %q", err, want)
	}
}
