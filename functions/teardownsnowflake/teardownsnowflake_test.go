package teardownsnowflake

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// scriptedConn returns rows for statements by prefix and records every
// statement.
type scriptedConn struct {
	rows  map[string][]snowflake.Row
	fail  map[string]error
	stmts []string
}

func (c *scriptedConn) Exec(_ context.Context, stmt string) error {
	c.stmts = append(c.stmts, stmt)
	return c.fail[stmt]
}

func (c *scriptedConn) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	c.stmts = append(c.stmts, stmt)
	for prefix, err := range c.fail {
		if strings.HasPrefix(stmt, prefix) {
			return nil, err
		}
	}
	for prefix, rows := range c.rows {
		if strings.HasPrefix(stmt, prefix) {
			return rows, nil
		}
	}
	return nil, nil
}

// execs returns the statements that were not SHOW statements.
func (c *scriptedConn) execs() []string {
	var out []string
	for _, stmt := range c.stmts {
		if !strings.HasPrefix(stmt, "SHOW ") {
			out = append(out, stmt)
		}
	}
	return out
}

func testRequest() request.Request {
	return request.Request{
		ID:         "DATA-4711",
		Snowflake:  request.Snowflake{Account: "myorg-analytics", Database: "PLATFORM", Schema: "PACKAGES"},
		Repository: request.Repository{Name: "corp_pypi", DefaultFor: "schema"},
	}
}

func run(t *testing.T, conn *scriptedConn) (Output, error) {
	t.Helper()
	env := &workflow.Env{Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil }}
	return Run(context.Background(), env, workflow.Document{Request: testRequest()})
}

// owned is the COMMENT of the objects created for the test request.
const owned = "repolink request DATA-4711"

func TestRunDropsEverything(t *testing.T) {
	conn := &scriptedConn{rows: map[string][]snowflake.Row{
		"SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN SCHEMA": {{"key": "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", "value": "PLATFORM.PACKAGES.CORP_PYPI", "level": "SCHEMA"}},
		// The database inherits the account's value, which names another
		// repository.
		"SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN DATABASE": {{"key": "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", "value": "OTHER.REPO.X", "level": "ACCOUNT"}},
		"SHOW ARTIFACT REPOSITORIES": {{"name": "CORP_PYPI", "comment": owned}},
		"SHOW API INTEGRATIONS":      {{"name": "CORP_PYPI_INTEGRATION", "comment": owned}},
		"SHOW SECRETS":               {{"name": "CORP_PYPI_SECRET", "comment": owned}},
	}}
	out, err := run(t, conn)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff(Output{Result: workflow.Result{Action: workflow.Deleted, ID: "PLATFORM.PACKAGES.CORP_PYPI"}}, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	names := workflow.NamesFor(testRequest())
	want := []string{
		"DROP FUNCTION IF EXISTS PLATFORM.PACKAGES." + names.Function + "()",
		"DROP PROCEDURE IF EXISTS PLATFORM.PACKAGES." + names.Procedure + "()",
		"ALTER SCHEMA PLATFORM.PACKAGES UNSET DEFAULT_PYTHON_ARTIFACT_REPOSITORY",
		"DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.CORP_PYPI",
		"DROP API INTEGRATION IF EXISTS CORP_PYPI_INTEGRATION",
		"DROP SECRET IF EXISTS PLATFORM.PACKAGES.CORP_PYPI_SECRET",
	}
	if diff := cmp.Diff(want, conn.execs()); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
}

func TestRunKeepsObjectsOfOthers(t *testing.T) {
	conn := &scriptedConn{rows: map[string][]snowflake.Row{
		"SHOW ARTIFACT REPOSITORIES": {{"name": "CORP_PYPI", "comment": "repolink request OTHER-1"}},
		"SHOW API INTEGRATIONS":      {{"name": "CORP_PYPI_INTEGRATION", "comment": "made by hand"}},
		"SHOW SECRETS":               {{"name": "CORP_PYPI_SECRET"}},
	}}
	out, err := run(t, conn)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Skipped {
		t.Errorf("action = %q, want skipped", out.Action)
	}
	for _, stmt := range conn.execs() {
		if strings.HasPrefix(stmt, "DROP ARTIFACT") || strings.HasPrefix(stmt, "DROP API") || strings.HasPrefix(stmt, "DROP SECRET") {
			t.Errorf("dropped an object of another request or made by hand: %s", stmt)
		}
	}
}

func TestRunKeepsDefaultOfOtherRequest(t *testing.T) {
	conn := &scriptedConn{rows: map[string][]snowflake.Row{
		"SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN SCHEMA": {{"key": "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", "value": "PLATFORM.PACKAGES.CORP_PYPI", "level": "SCHEMA"}},
		"SHOW ARTIFACT REPOSITORIES":                                          {{"name": "CORP_PYPI", "comment": "repolink request OTHER-1"}},
		"SHOW API INTEGRATIONS":                                               {{"name": "CORP_PYPI_INTEGRATION", "comment": "repolink request OTHER-1"}},
		"SHOW SECRETS":                                                        {{"name": "CORP_PYPI_SECRET", "comment": "repolink request OTHER-1"}},
	}}

	out, err := run(t, conn)

	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Skipped {
		t.Errorf("action = %q, want skipped", out.Action)
	}
	for _, stmt := range conn.execs() {
		if strings.Contains(stmt, "UNSET DEFAULT_PYTHON_ARTIFACT_REPOSITORY") {
			t.Errorf("unset the default that names the repository of request OTHER-1: %s", stmt)
		}
	}
}

func TestRunNothingLeft(t *testing.T) {
	conn := &scriptedConn{}
	out, err := run(t, conn)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Skipped {
		t.Errorf("action = %q, want skipped", out.Action)
	}
	for _, stmt := range conn.execs() {
		if !strings.HasPrefix(stmt, "DROP FUNCTION IF EXISTS") && !strings.HasPrefix(stmt, "DROP PROCEDURE IF EXISTS") {
			t.Errorf("ran %q with nothing to remove", stmt)
		}
	}
}

func TestRunSchemaGone(t *testing.T) {
	gone := &snowflake.Error{Op: "query", Code: snowflake.CodeDoesNotExist, Message: "Schema 'PLATFORM.PACKAGES' does not exist or not authorized."}
	conn := &scriptedConn{
		rows: map[string][]snowflake.Row{"SHOW API INTEGRATIONS": {{"name": "CORP_PYPI_INTEGRATION", "comment": owned}}},
		fail: map[string]error{
			"SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN SCHEMA": gone,
			"SHOW ARTIFACT REPOSITORIES":                                          gone,
			"SHOW SECRETS":                                                        gone,
		},
	}
	out, err := run(t, conn)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Deleted {
		t.Errorf("action = %q, want deleted", out.Action)
	}
	want := "DROP API INTEGRATION IF EXISTS CORP_PYPI_INTEGRATION"
	if execs := conn.execs(); execs[len(execs)-1] != want {
		t.Errorf("last statement = %q, want %q", execs[len(execs)-1], want)
	}
}

// TestRunDropsEarlierRunsObjects checks that the objects of earlier runs of
// the request under another name go with the current ones, that another
// request's objects stay, and that copies in another schema stay.
func TestRunDropsEarlierRunsObjects(t *testing.T) {
	conn := &scriptedConn{rows: map[string][]snowflake.Row{
		"SHOW ARTIFACT REPOSITORIES LIKE": {{"name": "CORP_PYPI", "comment": owned}},
		"SHOW API INTEGRATIONS LIKE":      {{"name": "CORP_PYPI_INTEGRATION", "comment": owned}},
		"SHOW SECRETS LIKE":               {{"name": "CORP_PYPI_SECRET", "comment": owned}},
		"SHOW ARTIFACT REPOSITORIES IN ACCOUNT": {
			{"name": "CORP_PYPI", "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": owned},
			{"name": "OLD_PYPI", "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": owned},
			{"name": "old pypi", "database_name": "PLATFORM", "schema_name": "legacy", "comment": owned},
			{"name": "OTHER", "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": "repolink request OTHER-1"},
		},
		"SHOW API INTEGRATIONS": {
			{"name": "CORP_PYPI_INTEGRATION", "comment": owned},
			{"name": "OLD_PYPI_INTEGRATION", "comment": owned},
			{"name": "OTHER_INTEGRATION", "comment": "repolink request OTHER-1"},
		},
		"SHOW SECRETS IN ACCOUNT": {
			{"name": "CORP_PYPI_SECRET", "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": owned},
			{"name": "OLD_PYPI_SECRET", "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": owned},
		},
		// The account default names the renamed repository.
		"SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN ACCOUNT": {{"key": "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", "value": "PLATFORM.PACKAGES.OLD_PYPI", "level": "ACCOUNT"}},
	}}
	out, err := run(t, conn)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := Output{
		Result: workflow.Result{Action: workflow.Deleted, ID: "PLATFORM.PACKAGES.CORP_PYPI, PLATFORM.PACKAGES.OLD_PYPI"},
		Kept: []Kept{{
			Type:   "ARTIFACT REPOSITORY",
			Name:   `PLATFORM."legacy"."old pypi"`,
			Reason: "it is outside the request's schema PLATFORM.PACKAGES, as in a clone or replica of it",
		}},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	var drops []string
	for _, stmt := range conn.execs() {
		if !strings.HasPrefix(stmt, "DROP FUNCTION") && !strings.HasPrefix(stmt, "DROP PROCEDURE") {
			drops = append(drops, stmt)
		}
	}
	wantDrops := []string{
		"ALTER ACCOUNT UNSET DEFAULT_PYTHON_ARTIFACT_REPOSITORY",
		"DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.CORP_PYPI",
		"DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.OLD_PYPI",
		"DROP API INTEGRATION IF EXISTS CORP_PYPI_INTEGRATION",
		"DROP API INTEGRATION IF EXISTS OLD_PYPI_INTEGRATION",
		"DROP SECRET IF EXISTS PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		"DROP SECRET IF EXISTS PLATFORM.PACKAGES.OLD_PYPI_SECRET",
	}
	if diff := cmp.Diff(wantDrops, drops); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
}

// earlierRunRows are the SHOW rows of an account that holds the request's
// current objects and those of an earlier run named OLD_PYPI.
func earlierRunRows() map[string][]snowflake.Row {
	return map[string][]snowflake.Row{
		"SHOW ARTIFACT REPOSITORIES LIKE": {{"name": "CORP_PYPI", "comment": owned}},
		"SHOW API INTEGRATIONS LIKE":      {{"name": "CORP_PYPI_INTEGRATION", "comment": owned}},
		"SHOW SECRETS LIKE":               {{"name": "CORP_PYPI_SECRET", "comment": owned}},
		"SHOW ARTIFACT REPOSITORIES IN ACCOUNT": {
			{"name": "CORP_PYPI", "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": owned},
			{"name": "OLD_PYPI", "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": owned},
		},
		"SHOW API INTEGRATIONS": {
			{"name": "CORP_PYPI_INTEGRATION", "comment": owned},
			{"name": "OLD_PYPI_INTEGRATION", "comment": owned},
		},
		"SHOW SECRETS IN ACCOUNT": {
			{"name": "CORP_PYPI_SECRET", "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": owned},
			{"name": "OLD_PYPI_SECRET", "database_name": "PLATFORM", "schema_name": "PACKAGES", "comment": owned},
		},
	}
}

// drops returns the DROP statements of repositories, integrations and
// secrets that conn ran.
func (c *scriptedConn) drops() []string {
	var out []string
	for _, stmt := range c.execs() {
		if strings.HasPrefix(stmt, "DROP ARTIFACT") || strings.HasPrefix(stmt, "DROP API") || strings.HasPrefix(stmt, "DROP SECRET") {
			out = append(out, stmt)
		}
	}
	return out
}

func TestRunKeepsCopiesInClones(t *testing.T) {
	rows := earlierRunRows()
	// A clone of the database and a backup clone of the schema copy the
	// current and earlier objects with their comment.
	rows["SHOW ARTIFACT REPOSITORIES IN ACCOUNT"] = append(rows["SHOW ARTIFACT REPOSITORIES IN ACCOUNT"],
		snowflake.Row{"name": "CORP_PYPI", "database_name": "PLATFORM_DEV", "schema_name": "PACKAGES", "comment": owned},
		snowflake.Row{"name": "OLD_PYPI", "database_name": "PLATFORM", "schema_name": "PACKAGES_BACKUP", "comment": owned},
	)
	rows["SHOW SECRETS IN ACCOUNT"] = append(rows["SHOW SECRETS IN ACCOUNT"],
		snowflake.Row{"name": "CORP_PYPI_SECRET", "database_name": "PLATFORM_DEV", "schema_name": "PACKAGES", "comment": owned},
	)
	conn := &scriptedConn{rows: rows}
	out, err := run(t, conn)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	wantDrops := []string{
		"DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.CORP_PYPI",
		"DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.OLD_PYPI",
		"DROP API INTEGRATION IF EXISTS CORP_PYPI_INTEGRATION",
		"DROP API INTEGRATION IF EXISTS OLD_PYPI_INTEGRATION",
		"DROP SECRET IF EXISTS PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		"DROP SECRET IF EXISTS PLATFORM.PACKAGES.OLD_PYPI_SECRET",
	}
	if diff := cmp.Diff(wantDrops, conn.drops()); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
	const reason = "it is outside the request's schema PLATFORM.PACKAGES, as in a clone or replica of it"
	wantKept := []Kept{
		{Type: "ARTIFACT REPOSITORY", Name: "PLATFORM_DEV.PACKAGES.CORP_PYPI", Reason: reason},
		{Type: "ARTIFACT REPOSITORY", Name: "PLATFORM.PACKAGES_BACKUP.OLD_PYPI", Reason: reason},
		{Type: "SECRET", Name: "PLATFORM_DEV.PACKAGES.CORP_PYPI_SECRET", Reason: reason},
	}
	if diff := cmp.Diff(wantKept, out.Kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if want := "PLATFORM.PACKAGES.CORP_PYPI, PLATFORM.PACKAGES.OLD_PYPI"; out.ID != want {
		t.Errorf("id = %q, want %q", out.ID, want)
	}
}

func TestRunKeepsEarlierObjectOnDropFailure(t *testing.T) {
	readOnly := &snowflake.Error{Op: "query", Code: snowflake.CodeInsufficientPrivs, Message: "Insufficient privileges to operate on artifact repository 'OLD_PYPI'."}
	conn := &scriptedConn{
		rows: earlierRunRows(),
		fail: map[string]error{"DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.OLD_PYPI": readOnly},
	}
	out, err := run(t, conn)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out.Action != workflow.Deleted {
		t.Errorf("action = %q, want deleted", out.Action)
	}
	if want := "PLATFORM.PACKAGES.CORP_PYPI"; out.ID != want {
		t.Errorf("id = %q, want %q", out.ID, want)
	}
	wantKept := []Kept{{Type: "ARTIFACT REPOSITORY", Name: "PLATFORM.PACKAGES.OLD_PYPI", Reason: "the drop failed: " + readOnly.Error()}}
	if diff := cmp.Diff(wantKept, out.Kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	// The drops after the failed one still run.
	wantDrops := []string{
		"DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.CORP_PYPI",
		"DROP ARTIFACT REPOSITORY IF EXISTS PLATFORM.PACKAGES.OLD_PYPI",
		"DROP API INTEGRATION IF EXISTS CORP_PYPI_INTEGRATION",
		"DROP API INTEGRATION IF EXISTS OLD_PYPI_INTEGRATION",
		"DROP SECRET IF EXISTS PLATFORM.PACKAGES.CORP_PYPI_SECRET",
		"DROP SECRET IF EXISTS PLATFORM.PACKAGES.OLD_PYPI_SECRET",
	}
	if diff := cmp.Diff(wantDrops, conn.drops()); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
}

func TestRunKeepsEarlierRepositoryOnUnsetFailure(t *testing.T) {
	rows := earlierRunRows()
	rows["SHOW PARAMETERS LIKE 'DEFAULT_PYTHON_ARTIFACT_REPOSITORY' IN ACCOUNT"] = []snowflake.Row{{"key": "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", "value": "PLATFORM.PACKAGES.OLD_PYPI", "level": "ACCOUNT"}}
	denied := &snowflake.Error{Op: "query", Code: snowflake.CodeInsufficientPrivs, Message: "Insufficient privileges to operate on account."}
	conn := &scriptedConn{
		rows: rows,
		fail: map[string]error{"ALTER ACCOUNT UNSET DEFAULT_PYTHON_ARTIFACT_REPOSITORY": denied},
	}
	out, err := run(t, conn)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	wantKept := []Kept{{
		Type:   "ARTIFACT REPOSITORY",
		Name:   "PLATFORM.PACKAGES.OLD_PYPI",
		Reason: "unsetting the default repository failed: unset DEFAULT_PYTHON_ARTIFACT_REPOSITORY on the account: " + denied.Error(),
	}}
	if diff := cmp.Diff(wantKept, out.Kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	for _, stmt := range conn.drops() {
		if strings.Contains(stmt, "OLD_PYPI ") || strings.HasSuffix(stmt, ".OLD_PYPI") {
			t.Errorf("dropped the repository that the account default still names: %s", stmt)
		}
	}
}

func TestRunFailsOnCurrentDropFailure(t *testing.T) {
	denied := &snowflake.Error{Op: "query", Code: snowflake.CodeInsufficientPrivs, Message: "Insufficient privileges to operate on secret 'CORP_PYPI_SECRET'."}
	conn := &scriptedConn{
		rows: earlierRunRows(),
		fail: map[string]error{"DROP SECRET IF EXISTS PLATFORM.PACKAGES.CORP_PYPI_SECRET": denied},
	}
	_, err := run(t, conn)
	if err == nil {
		t.Fatal("Run succeeded, want the error of the failed drop")
	}
	if !strings.Contains(err.Error(), "PLATFORM.PACKAGES.CORP_PYPI_SECRET") {
		t.Errorf("error %q does not name the secret", err)
	}
}
