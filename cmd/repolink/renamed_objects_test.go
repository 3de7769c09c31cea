package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
)

// TestChangedFromNamesRenamedObjects runs request C until a building step
// fails it, then checks which changes of C make changedFrom name objects that the
// changed request leaves behind.
func TestChangedFromNamesRenamedObjects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*request.Request)
		want   []string
	}{
		{"warehouse", func(r *request.Request) { r.Snowflake.Warehouse = "OTHER_WH" }, nil},
		{"account case", func(r *request.Request) { r.Snowflake.Account = strings.ToUpper(r.Snowflake.Account) }, nil},
		{"repository name case", func(r *request.Request) { r.Repository.Name = strings.ToUpper(r.Repository.Name) }, nil},
		{"packages", func(r *request.Request) { r.Repository.Packages = []string{"corp-utils==2.3.1"} }, nil},
		{"repository name", func(r *request.Request) { r.Repository.Name = "public_pypi_two" }, []string{
			"secret PLATFORM.PACKAGES.PUBLIC_PYPI_SECRET",
			"API integration PUBLIC_PYPI_INTEGRATION",
			"artifact repository PLATFORM.PACKAGES.PUBLIC_PYPI",
		}},
		{"schema", func(r *request.Request) { r.Snowflake.Schema = "OTHER" }, []string{
			"secret PLATFORM.PACKAGES.PUBLIC_PYPI_SECRET",
			"artifact repository PLATFORM.PACKAGES.PUBLIC_PYPI",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			eng := provisionStore(t, t.TempDir())
			first := exampleRequest(t, "C")
			// A run that stopped before a building step built nothing, so
			// the first run fails in one.
			failRunIn(t, eng, first, "secret")
			changed := first
			changed.Repository.Packages = slices.Clone(first.Repository.Packages)
			tt.change(&changed)

			got := changedFrom(ctx, eng, changed)
			if tt.want == nil {
				if len(got) != 0 {
					t.Errorf("changedFrom = %+v, want none for a change that keeps every name", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("changedFrom = %+v, want one earlier execution, C", got)
			}
			if got[0].earlier != "C" {
				t.Errorf("changedFrom earlier = %q, want C", got[0].earlier)
			}
			if diff := cmp.Diff(tt.want, got[0].objects); diff != "" {
				t.Errorf("changedFrom objects (-want +got):\n%s", diff)
			}
		})
	}
}
