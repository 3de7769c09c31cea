package preflight

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
)

// TestSandboxStepChecksRoles runs preflight against the sandbox Snowflake
// with grant_to_roles variants. A missing role must fail the step with
// InvalidRequest naming the field and the role, and no Snowflake object may
// exist afterwards.
func TestSandboxStepChecksRoles(t *testing.T) {
	idx := startIndex(t)
	sb := sfsandbox.Start(t)
	sb.Exec(t, `CREATE ROLE "Data-Science"`)
	env := sandboxEnv(sb)

	tests := []struct {
		name  string
		roles []string
		// want are the texts that the error contains. When empty, the
		// step must pass.
		want []string
	}{
		{"no roles", nil, nil},
		{"existing role", []string{"DATA_SCIENCE"}, nil},
		{"plain name in lower case", []string{"data_science"}, nil},
		{"case-sensitive name", []string{"Data-Science"}, nil},
		{"missing role", []string{"NO_SUCH_ROLE"},
			[]string{"repository.grant_to_roles", "NO_SUCH_ROLE", "CREATE ROLE NO_SUCH_ROLE", "cannot see it"}},
		{"one of two missing", []string{"DATA_SCIENCE", "MISSING_ONE"}, []string{"MISSING_ONE"}},
		{"case-sensitive name in another case", []string{"data-science"},
			[]string{`"data-science"`, "Data-Science", "only in case"}},
		{"quoted case-sensitive name", []string{`"Data-Science"`}, nil},
		{"quoted missing role", []string{`"Missing-Role"`},
			[]string{`does not have: "Missing-Role".`, `CREATE ROLE "Missing-Role"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := sandboxDocument(sb)
			doc.Request.Repository.GrantToRoles = tt.roles

			_, err := New(Config{HTTP: clientFor(t, idx), Sandbox: true})(t.Context(), env, doc)

			checkStepError(t, err, tt.want)
			if len(tt.want) == 0 {
				return
			}
			if strings.Contains(err.Error(), `"""`) {
				t.Errorf("error %q quotes a quoted name again", err)
			}
			if strings.Contains(err.Error(), "DATA_SCIENCE") {
				t.Errorf("error %q names DATA_SCIENCE, which exists", err)
			}
		})
	}
	for _, show := range []string{"SHOW SECRETS IN ACCOUNT", "SHOW API INTEGRATIONS", "SHOW ARTIFACT REPOSITORIES IN ACCOUNT"} {
		if rows := sb.Query(t, show); len(rows) != 0 {
			t.Errorf("%s = %v after preflight, want none", show, rows)
		}
	}
}
