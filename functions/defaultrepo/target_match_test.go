package defaultrepo

import (
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// TestTargetMatchesRequest checks that Target, which the default step
// sets, names the same object as request.DefaultTarget, which the start
// checks compare.
func TestTargetMatchesRequest(t *testing.T) {
	for _, level := range []string{"account", "database", "schema"} {
		for _, sf := range []request.Snowflake{
			{Database: "PLATFORM", Schema: "PACKAGES"},
			{Database: `"Data"`, Schema: "pkgs"},
		} {
			req := request.Request{Snowflake: sf, Repository: request.Repository{DefaultFor: level}}
			want, err := Target(sf, level)
			if err != nil {
				t.Fatal(err)
			}
			if got := request.DefaultTarget(req); got != want {
				t.Errorf("DefaultTarget(%s, %+v) = %q, want %q as Target returns", level, sf, got, want)
			}
		}
	}
}
