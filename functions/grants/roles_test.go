package grants

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

func TestSandboxMissingRoles(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.Exec(t, `CREATE ROLE "Data-Science"`)
	sb.Exec(t, `CREATE ROLE "it's"`)

	tests := []struct {
		name    string
		roles   []string
		missing []string
		similar string
	}{
		{"existing role", []string{"DATA_SCIENCE"}, nil, ""},
		{"plain name in lower case", []string{"data_science"}, nil, ""},
		{"case-sensitive name", []string{"Data-Science"}, nil, ""},
		{"name with a quote", []string{"it's"}, nil, ""},
		{"missing role", []string{"NO_SUCH_ROLE"}, []string{"NO_SUCH_ROLE"}, ""},
		{"one of two missing", []string{"DATA_SCIENCE", "MISSING_ONE"}, []string{"MISSING_ONE"}, ""},
		{"underscore is no wildcard", []string{"ANALYS_"}, []string{"ANALYS_"}, ""},
		{"case-sensitive name in another case", []string{"data-science"}, []string{"data-science"}, "Data-Science"},
		{"quoted case-sensitive name", []string{`"Data-Science"`}, nil, ""},
		{"quoted upper-case name", []string{`"DATA_SCIENCE"`}, nil, ""},
		{"quoted lower-case name", []string{`"data_science"`}, []string{`"data_science"`}, "DATA_SCIENCE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MissingRoles(t.Context(), sb.Conn, tt.roles)
			if err != nil {
				t.Fatalf("MissingRoles: %v", err)
			}
			var names []string
			for _, m := range got {
				names = append(names, m.Role)
			}
			if strings.Join(names, ",") != strings.Join(tt.missing, ",") {
				t.Errorf("missing roles = %q, want %q", names, tt.missing)
			}
			if tt.similar != "" && (len(got) != 1 || strings.Join(got[0].Similar, ",") != tt.similar) {
				t.Errorf("missing = %+v, want %s as the role of similar name", got, tt.similar)
			}
		})
	}
}

func TestSandboxRunRejectsMissingRole(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	doc := workflow.Document{Request: sb.Request}
	doc.Request.Repository.GrantToRoles = []string{"DATA_SCIENCE", "NO_SUCH_ROLE"}

	_, err := Run(t.Context(), sb.Env, doc)

	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("error name = %q, want %s (error %v)", got, workflow.ErrInvalidRequest, err)
	}
	for _, want := range []string{RolesField, "NO_SUCH_ROLE", "CREATE ROLE NO_SUCH_ROLE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if got := holdersOf(t, sb, "DATABASE PLATFORM", "USAGE"); len(got) != 0 {
		t.Errorf("USAGE holders on the database = %q, want none, because the step grants nothing while a role is missing", got)
	}
}

// droppingConn lists DROPPED_ROLE in its first SHOW ROLES and passes every
// later statement to Snowflake, where the role does not exist. So the
// step's check passes and its GRANT fails, as for a role dropped between
// the two.
type droppingConn struct {
	snowflake.Conn
	listed bool
}

func (c *droppingConn) Query(ctx context.Context, stmt string) ([]snowflake.Row, error) {
	if strings.HasPrefix(stmt, "SHOW ROLES LIKE ") && !c.listed {
		c.listed = true
		return []snowflake.Row{{"name": "DROPPED_ROLE"}}, nil
	}
	return c.Conn.Query(ctx, stmt)
}

func TestSandboxGrantToDroppedRoleIsInvalid(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	open := sb.Env.Snowflake
	sb.Env.Snowflake = func(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
		conn, err := open(ctx, sf)
		if err != nil {
			return nil, err
		}
		return &droppingConn{Conn: conn}, nil
	}
	doc := workflow.Document{Request: sb.Request}
	doc.Request.Repository.GrantToRoles = []string{"DROPPED_ROLE"}

	_, err := Run(t.Context(), sb.Env, doc)

	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Fatalf("error name = %q, want %s, which the state machine does not retry (error %v)", got, workflow.ErrInvalidRequest, err)
	}
	if !strings.Contains(err.Error(), "DROPPED_ROLE") {
		t.Errorf("error %q does not name the role", err)
	}
}

// TestMissingRolesMessageNamesEach checks that the message for several
// missing roles gives a CREATE ROLE statement for each of them, so that
// running the advice once creates every role that the run needs.
func TestMissingRolesMessageNamesEach(t *testing.T) {
	sf := request.Snowflake{Account: "myorg-analytics", Role: "ACCOUNTADMIN"}
	missing := []MissingRole{{Role: "MISSING_ONE"}, {Role: "Missing-Two"}}

	got := MissingRolesMessage(sf, missing)
	for _, want := range []string{
		`(CREATE ROLE MISSING_ONE; CREATE ROLE "Missing-Two")`,
		"did not list them;",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("message lacks %q:\n%s", want, got)
		}
	}

	one := MissingRolesMessage(sf, missing[:1])
	if !strings.Contains(one, "(CREATE ROLE MISSING_ONE)") {
		t.Errorf("message for one role lacks %q:\n%s", "(CREATE ROLE MISSING_ONE)", one)
	}
	if !strings.Contains(one, "did not list it;") {
		t.Errorf("message for one role lacks %q:\n%s", "did not list it;", one)
	}
}

// TestMissingRolesMessageShowsQuotedRole checks that a role given as a
// quoted identifier appears in the message as the request writes it, not
// with its quotes quoted again.
func TestMissingRolesMessageShowsQuotedRole(t *testing.T) {
	sf := request.Snowflake{Account: "myorg-analytics", Role: `"Deploy-Admin"`}
	missing := []MissingRole{{Role: `"data_science"`, Similar: []string{"DATA_SCIENCE"}}}

	got := MissingRolesMessage(sf, missing)

	for _, want := range []string{
		`does not have: "data_science";`,
		`(CREATE ROLE "data_science")`,
		`"data_science" differs from the existing DATA_SCIENCE only in case`,
		`run as role "Deploy-Admin"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("message lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"""`) {
		t.Errorf("message quotes a quoted name again:\n%s", got)
	}
}

// TestSandboxGrantsToQuotedRole runs the step for a role given as a quoted
// identifier whose stored name is mixed case. The step must grant to that
// role, and a second run must find the grants and grant nothing.
func TestSandboxGrantsToQuotedRole(t *testing.T) {
	sb := sfsandbox.Start(t)
	sb.CreateObjects(t)
	sb.Exec(t, `CREATE ROLE "Data-Science"`)
	doc := workflow.Document{Request: sb.Request}
	doc.Request.Repository.GrantToRoles = []string{`"Data-Science"`}

	first, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if first.Action != workflow.Created {
		t.Errorf("first run action = %q (%s), want created", first.Action, first.ID)
	}
	if got := holdersOf(t, sb, "ARTIFACT REPOSITORY PLATFORM.PACKAGES.CORP_PYPI", "READ"); !slices.Equal(got, []string{"Data-Science"}) {
		t.Errorf("READ holders = %q, want Data-Science", got)
	}
	if got := holdersOf(t, sb, "DATABASE PLATFORM", "USAGE"); !slices.Equal(got, []string{"Data-Science"}) {
		t.Errorf("USAGE holders on the database = %q, want Data-Science", got)
	}

	again, err := Run(t.Context(), sb.Env, doc)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if again.Action != workflow.Adopted {
		t.Errorf("rerun action = %q (%s), want adopted, because the role holds every grant", again.Action, again.ID)
	}
}
