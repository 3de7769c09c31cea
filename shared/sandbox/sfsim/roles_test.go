package sfsim

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/snowflake"
)

// showRoleNames runs stmt and returns the name column of its rows.
func showRoleNames(t *testing.T, c snowflake.Conn, stmt string) []string {
	t.Helper()
	var names []string
	for _, row := range mustQuery(t, c, stmt) {
		names = append(names, row["name"])
	}
	return names
}

func TestShowRolesLike(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	mustExec(t, client, `CREATE ROLE "data_science"`)
	mustExec(t, client, `CREATE ROLE "DATAxSCIENCE"`)
	mustExec(t, client, `CREATE ROLE "it's"`)

	tests := []struct {
		name string
		stmt string
		want []string
	}{
		{"exact unquoted name", "SHOW ROLES LIKE 'DATA_SCIENCE'", []string{"DATA_SCIENCE", "DATAxSCIENCE", "data_science"}},
		{"escaped underscore", "SHOW ROLES LIKE " + snowflake.Literal(snowflake.LikePattern("DATA_SCIENCE")), []string{"DATA_SCIENCE", "data_science"}},
		{"lower-case pattern", "SHOW ROLES LIKE 'accountadmin'", []string{"ACCOUNTADMIN"}},
		{"quote in the name", "SHOW ROLES LIKE " + snowflake.Literal(snowflake.LikePattern("it's")), []string{"it's"}},
		{"no match", "SHOW ROLES LIKE 'NO_SUCH_ROLE'", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := showRoleNames(t, client, tt.stmt)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s names (-want +got):\n%s", tt.stmt, diff)
			}
		})
	}
}

func TestShowRolesColumns(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)

	rows := mustQuery(t, client, "SHOW ROLES")
	var names []string
	for _, row := range rows {
		names = append(names, row["name"])
	}
	for _, want := range []string{"ACCOUNTADMIN", "DATA_SCIENCE", "PUBLIC", "SYSADMIN"} {
		if !slices.Contains(names, want) {
			t.Errorf("SHOW ROLES names = %q, want %s among them", names, want)
		}
	}

	rows = mustQuery(t, client, "SHOW ROLES LIKE 'ACCOUNTADMIN'")
	if len(rows) != 1 {
		t.Fatalf("SHOW ROLES LIKE 'ACCOUNTADMIN' = %v, want one row", rows)
	}
	for _, column := range []string{"created_on", "is_inherited", "assigned_to_users", "granted_to_roles", "granted_roles", "owner", "comment"} {
		if _, ok := rows[0][column]; !ok {
			t.Errorf("SHOW ROLES row lacks column %s: %v", column, rows[0])
		}
	}
	if got := rows[0]["is_current"]; got != "Y" {
		t.Errorf("is_current of the session's role = %q, want Y", got)
	}
}

func TestShowRolesRejectsOtherClauses(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	for _, stmt := range []string{"SHOW ROLES LIKE 'A%' LIMIT 10", "SHOW ROLES LIKE"} {
		if _, err := client.Query(context.Background(), stmt); errorCode(err) != snowflake.CodeSyntaxError {
			t.Errorf("%s: error %v, want a syntax error", stmt, err)
		}
	}
}
