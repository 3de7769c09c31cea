package plan

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/request"
)

// TestSandboxPlanMarksMissingRoles plans a public-route request against the
// sandbox Snowflake. A role of grant_to_roles that the account lacks makes
// the grants item Conflict with preflight's reason, and the other items keep
// their states.
func TestSandboxPlanMarksMissingRoles(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.Exec(t, `CREATE ROLE "Data-Science"`)

	tests := []struct {
		name  string
		roles []string
		state string
		want  []string
	}{
		{"existing role", []string{"DATA_SCIENCE"}, Create, []string{"the run grants 4 missing privileges"}},
		{"plain name in lower case", []string{"data_science"}, Create, nil},
		{"case-sensitive name", []string{"Data-Science"}, Create, nil},
		{"missing role", []string{"DATA_SCIENCE", "NO_SUCH_ROLE"}, Conflict,
			[]string{"the run will stop in preflight", "repository.grant_to_roles", "NO_SUCH_ROLE", "CREATE ROLE NO_SUCH_ROLE"}},
		{"case-sensitive name in another case", []string{"data-science"}, Conflict, []string{`"data-science"`, "Data-Science"}},
		{"quoted case-sensitive name", []string{`"Data-Science"`}, Create, nil},
		{"quoted missing role", []string{`"Missing-Role"`}, Conflict, []string{`CREATE ROLE "Missing-Role"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sb.Document().Request
			req.Route = request.RoutePublic
			req.Repository.GrantToRoles = tt.roles

			report := Plan(t.Context(), sb.Env, req)

			it := item(t, report, "grants")
			if it.State != tt.state {
				t.Errorf("grants state = %q (%s), want %q", it.State, it.Detail, tt.state)
			}
			for _, want := range tt.want {
				if !strings.Contains(it.Detail, want) {
					t.Errorf("grants detail %q lacks %q", it.Detail, want)
				}
			}
			if got := item(t, report, "repository").State; got != Create {
				t.Errorf("repository state = %q, want %q", got, Create)
			}
			if tt.state == Conflict && report.Summary.Conflict != 1 {
				t.Errorf("summary counts %d conflicts, want 1", report.Summary.Conflict)
			}
		})
	}
}
