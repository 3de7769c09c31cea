package reliability

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/sandbox/sfsim"
	"github.com/repolink/repolink/shared/snowflake"
)

// sqlValues are names and secret values that break naive quoting. Each one
// names a secret, an integration, a repository and a role, and is the
// secret's user name, password and token.
var sqlValues = []struct{ label, value string }{
	{"single quote", "o'brien"},
	{"double quote", `say "hi"`},
	{"backslash", `back\slash`},
	{"trailing backslash", `ends with\`},
	{"semicolon", "semi;colon"},
	{"comment dashes", "dash--dash"},
	{"newline", "new\nline"},
	{"carriage return and tab", "cr\r\ttab"},
	{"non-ASCII letters", "Zürich Ångström 日本語"},
	{"literal injection", `x'; DROP DATABASE TARGET; --`},
	{"identifier injection", `x"; GRANT USAGE ON DATABASE TARGET TO ROLE PUBLIC; --`},
	{"escaped quote", `\'`},
	{"dollar quotes", "$$ body $$"},
	{"block comment", "/* comment */"},
}

// SQL suite names: an account, its login, and database and schema names
// that themselves need quoting. TARGET is the database the injection
// values try to drop.
const (
	sqlAccount  = "reliability-sql"
	sqlUser     = "SQL_SAFETY"
	sqlDatabase = `Plat'form "DB"`
	sqlSchema   = "sch;ema--x"
	sqlTarget   = "TARGET"
	sqlPrefix   = "https://pypi.example.com/"
	sqlIndexURL = "https://pypi.example.com/simple/"
)

// runSQLSafety creates Snowflake objects named after the tricky values
// through the snowflake client on the sandbox Snowflake, reads them back from
// the sandbox's world, and checks every SQL text that reached it.
func runSQLSafety(ctx context.Context, s *session) {
	start := time.Now()
	logFile, err := os.Create(filepath.Join(s.dir("logs"), "sql-snowflake.log"))
	if err != nil {
		s.report.fail(SuiteSQL, "sandbox snowflake", 0, err.Error())
		return
	}
	defer logFile.Close()
	server, err := sfsim.Start(ctx, sfsim.Options{
		Dir:    s.dir(SuiteSQL, "state", "sandbox", "snowflake"),
		Logger: slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		s.report.fail(SuiteSQL, "sandbox snowflake", 0, err.Error())
		return
	}
	defer server.Close()

	var recorded sqlLog
	server.SetFault(func(sql string) error {
		recorded.add(sql)
		return nil
	})
	client, err := openSQLClient(ctx, s, server)
	if err != nil {
		s.report.fail(SuiteSQL, "login", time.Since(start), err.Error())
		return
	}
	defer client.Close()

	for _, v := range sqlValues {
		if reason := budgetLeft(ctx); reason != "" {
			s.report.fail(SuiteSQL, "round trip: "+v.label, 0, reason)
			continue
		}
		caseStart := time.Now()
		problems := createObjects(ctx, client, server, v.value)
		if len(problems) == 0 {
			problems = checkObjects(ctx, client, server, v.value)
		}
		s.report.check(SuiteSQL, "round trip: "+v.label, time.Since(caseStart), "", problems)
	}

	checkMultiStatement(ctx, s, client)
	checkTargetIntact(s, server)
	checkEscaping(s, recorded.all())
}

// openSQLClient seeds the account and logs in with a password that itself
// needs escaping in JSON and SQL.
func openSQLClient(ctx context.Context, s *session, server *sfsim.Server) (*snowflake.Client, error) {
	password := "pw'\"\\;--" + randomHex(12)
	s.secrets.add("sql suite login password", password)
	for _, err := range []error{
		server.EnsureAccount(sqlAccount),
		server.EnsureUser(sqlAccount, sqlUser, nil, password),
		server.EnsureDatabase(sqlAccount, sqlTarget),
		server.EnsureSchema(sqlAccount, sqlDatabase, sqlSchema),
	} {
		if err != nil {
			return nil, fmt.Errorf("seed sandbox snowflake: %w", err)
		}
	}
	return snowflake.Open(ctx, snowflake.Config{
		Account:  sqlAccount,
		User:     sqlUser,
		Role:     "ACCOUNTADMIN",
		Password: password,
		Host:     server.Host(),
		Port:     server.Port(),
		Protocol: "http",
	})
}

// names of the objects that value names.
func objectNames(value string) (secret, token, integration, repository, role string) {
	return value, value + " token", value + " integration", value + " repository", value + " role"
}

func createObjects(ctx context.Context, client *snowflake.Client, server *sfsim.Server, value string) []string {
	secret, token, integration, repository, role := objectNames(value)
	if err := server.EnsureRole(sqlAccount, role); err != nil {
		return []string{"seed role: " + err.Error()}
	}
	statements := []struct{ what, sql string }{
		{"create password secret", snowflake.CreateSecretPassword(sqlDatabase, sqlSchema, secret, value, value)},
		{"create generic secret", snowflake.CreateSecretGeneric(sqlDatabase, sqlSchema, token, value)},
		{"create API integration", snowflake.CreateAPIIntegration(integration, []string{sqlPrefix},
			[]string{snowflake.Qualified(sqlDatabase, sqlSchema, secret)}, false)},
		{"create artifact repository", snowflake.CreateArtifactRepository(sqlDatabase, sqlSchema, repository, integration,
			sqlIndexURL, snowflake.Qualified(sqlDatabase, sqlSchema, secret))},
		{"grant usage on the integration", snowflake.GrantUsageOnIntegration(integration, role)},
	}
	var problems []string
	for _, st := range statements {
		if err := client.Exec(ctx, st.sql); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", st.what, err))
		}
	}
	return problems
}

// checkObjects finds the objects with SHOW ... LIKE and compares what the
// sandbox stored with what was sent.
func checkObjects(ctx context.Context, client *snowflake.Client, server *sfsim.Server, value string) []string {
	secret, token, integration, repository, role := objectNames(value)
	var problems []string

	rows, err := client.Query(ctx, snowflake.ShowSecrets(sqlDatabase, sqlSchema, secret))
	switch {
	case err != nil:
		problems = append(problems, "show secrets: "+err.Error())
	default:
		found := 0
		for _, row := range rows {
			if snowflake.SameName(row["name"], secret) {
				found++
			}
		}
		if found != 1 {
			problems = append(problems, fmt.Sprintf("SHOW SECRETS LIKE found the secret %d times in %d rows, want once", found, len(rows)))
		}
	}

	account, err := server.Snapshot(sqlAccount)
	if err != nil {
		return append(problems, err.Error())
	}
	schema := account.Databases[sqlDatabase].Schemas[sqlSchema]
	if schema == nil {
		return append(problems, "the schema is gone from the sandbox world")
	}
	stored := snowflake.StoredName
	wantSecret := sfsim.ObjectName{Database: stored(sqlDatabase), Schema: stored(sqlSchema), Name: stored(secret)}
	if sec := schema.Secrets[stored(secret)]; sec == nil {
		problems = append(problems, "the password secret is not stored under its exact name")
	} else if password, _, err := server.OpenSecret(sec); err != nil {
		problems = append(problems, err.Error())
	} else if sec.Username != value || password != value {
		problems = append(problems, "the password secret's user name or password differs from what was sent")
	}
	if sec := schema.Secrets[stored(token)]; sec == nil {
		problems = append(problems, "the generic secret is not stored under its exact name")
	} else if _, secretString, err := server.OpenSecret(sec); err != nil {
		problems = append(problems, err.Error())
	} else if secretString != value {
		problems = append(problems, "the generic secret's string differs from what was sent")
	}
	switch in := account.Integrations[stored(integration)]; {
	case in == nil:
		problems = append(problems, "the integration is not stored under its exact name")
	case len(in.AllowedSecrets) != 1 || in.AllowedSecrets[0] != wantSecret:
		problems = append(problems, fmt.Sprintf("the integration allows secrets %v, want [%v]", in.AllowedSecrets, wantSecret))
	}
	switch repo := schema.Repositories[stored(repository)]; {
	case repo == nil:
		problems = append(problems, "the repository is not stored under its exact name")
	case repo.Integration != stored(integration) || repo.Secret != wantSecret || repo.IndexURL != sqlIndexURL:
		problems = append(problems, fmt.Sprintf("the repository refers to integration %q, secret %v and index %q", repo.Integration, repo.Secret, repo.IndexURL))
	}
	granted := false
	for _, g := range account.Grants {
		if g.Role == stored(role) && g.ObjectType == "INTEGRATION" {
			granted = true
		}
	}
	if !granted {
		problems = append(problems, "no grant on the integration to the role with the exact name")
	}
	return problems
}

// checkMultiStatement sends two statements in one call, which the sandbox,
// like Snowflake without MULTI_STATEMENT_COUNT, must reject.
func checkMultiStatement(ctx context.Context, s *session, client *snowflake.Client) {
	start := time.Now()
	err := client.Exec(ctx, "SELECT 1; DROP DATABASE "+sqlTarget)
	var sfErr *snowflake.Error
	var problems []string
	switch {
	case err == nil:
		problems = append(problems, "two statements in one call ran")
	case !errors.As(err, &sfErr) || sfErr.Code != "000006":
		problems = append(problems, fmt.Sprintf("two statements in one call failed with %v, want Snowflake error 000006", err))
	}
	s.report.check(SuiteSQL, "one statement per call", time.Since(start), "", problems)
}

// checkTargetIntact checks that no injection value dropped the target
// database or granted anything to PUBLIC.
func checkTargetIntact(s *session, server *sfsim.Server) {
	var problems []string
	account, err := server.Snapshot(sqlAccount)
	if err != nil {
		s.report.fail(SuiteSQL, "injection target intact", 0, err.Error())
		return
	}
	if account.Databases[sqlTarget] == nil {
		problems = append(problems, "database "+sqlTarget+" was dropped")
	}
	for _, g := range account.Grants {
		if g.Role == "PUBLIC" {
			problems = append(problems, fmt.Sprintf("role PUBLIC got %s on %s %s", g.Privilege, g.ObjectType, g.ObjectName))
		}
	}
	s.report.check(SuiteSQL, "injection target intact", 0, "", problems)
}

// checkEscaping checks every SQL text that reached the sandbox.
func checkEscaping(s *session, statements []string) {
	var values []string
	for _, v := range sqlValues {
		secret, token, integration, repository, role := objectNames(v.value)
		values = append(values, secret, token, integration, repository, role)
	}
	problems := unescapedValues(statements, values, []string{sqlDatabase, sqlSchema})
	detail := fmt.Sprintf("%d statements checked", len(statements))
	s.report.check(SuiteSQL, "no value unescaped", 0, detail, limitLines(problems, 10))
}

// unescapedValues cuts each value's rendered forms (identifier, literal,
// LIKE pattern literal) and the names' identifiers out of every statement.
// A value with a quote, backslash, semicolon, comment or line break that is
// still left reached SQL unescaped, and gets a problem.
func unescapedValues(statements, values, names []string) []string {
	var rendered, risky []string
	for _, v := range values {
		rendered = append(rendered, snowflake.Ident(v), snowflake.Literal(v), snowflake.Literal(snowflake.LikePattern(v)))
		if strings.ContainsAny(v, "'\"\\;\n\r") || strings.Contains(v, "--") || strings.Contains(v, "/*") {
			risky = append(risky, v)
		}
	}
	for _, n := range names {
		rendered = append(rendered, snowflake.Ident(n))
	}
	// Cut longer forms first, so that a form inside another is not cut
	// out of it.
	sort.Slice(rendered, func(i, j int) bool { return len(rendered[i]) > len(rendered[j]) })

	var problems []string
	for _, sql := range statements {
		rest := sql
		for _, r := range rendered {
			rest = strings.ReplaceAll(rest, r, " ")
		}
		for _, v := range risky {
			if strings.Contains(rest, v) {
				problems = append(problems, fmt.Sprintf("%q reached the sandbox unescaped in: %s", v, firstWords(sql, 8)))
			}
		}
	}
	return problems
}

// firstWords returns up to n words of a statement.
func firstWords(sql string, n int) string {
	words := strings.Fields(sql)
	if len(words) > n {
		words = append(words[:n], "...")
	}
	return strings.Join(words, " ")
}

// sqlLog records the SQL texts that reach the sandbox Snowflake.
type sqlLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *sqlLog) add(sql string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, sql)
}

func (l *sqlLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.sql...)
}
