// Package sfsandbox starts the sandbox Snowflake for the tests of the
// Snowflake steps, with the request's account, user, schema and the role
// DATA_SCIENCE, and returns a step environment that logs in to it with the
// real driver.
package sfsandbox

import (
	"context"
	"errors"
	"testing"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/snowflake/sessions"
	"github.com/repolink/repolink/shared/workflow"
)

const passwordRef = "env:REPOLINK_TEST_PASSWORD"

// RequestID is the ID of the request that Start seeds.
const RequestID = "DATA-4711"

// IndexURL is the package index of the repository that CreateObjects creates
// and that Document requests.
const IndexURL = "https://pypi.example.internal/simple/"

// Sandbox is a running sandbox Snowflake and a session on it.
type Sandbox struct {
	Server *sfsim.Server
	Env    *workflow.Env
	// Conn is a session as the request's user and role.
	Conn    snowflake.Conn
	Request request.Request
}

type secrets struct{}

func (secrets) Resolve(_ context.Context, ref string) (string, error) {
	if ref == passwordRef {
		return "pw-value", nil
	}
	return "", errors.New("secret reference not found: " + ref)
}

// Start starts the sandbox Snowflake in a test directory and seeds it for a
// request RequestID on PLATFORM.PACKAGES with the repository CORP_PYPI.
func Start(t *testing.T) *Sandbox {
	t.Helper()
	return StartWithLink(t, nil)
}

// StartWithLink is Start with link as the cloud side of private endpoints,
// which SYSTEM$PROVISION_PRIVATELINK_ENDPOINT needs. A nil link leaves the
// sandbox without one, as Start does.
func StartWithLink(t *testing.T, link sfsim.PrivateLink) *Sandbox {
	t.Helper()
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	ctx := t.Context()
	// The test's context ends before its cleanups run, and a server that
	// stopped with it would leave the session cache's Close below retrying
	// the logout of each session for seconds. The cleanup stops the server
	// after the sessions are closed.
	server, err := sfsim.Start(context.WithoutCancel(ctx), sfsim.Options{Dir: t.TempDir(), Link: link})
	if err != nil {
		t.Fatalf("start sandbox snowflake: %v", err)
	}
	t.Cleanup(func() { server.Close() })
	const account = "myorg-analytics"
	for _, step := range []error{
		server.EnsureAccount(account),
		server.EnsureUser(account, "REPOLINK_SVC", nil, "pw-value"),
		server.EnsureWarehouse(account, "REPOLINK_WH"),
		server.SetDefaultWarehouse(account, "REPOLINK_SVC", "REPOLINK_WH"),
		server.EnsureRole(account, "SYSADMIN"),
		server.EnsureRole(account, "DATA_SCIENCE"),
		server.EnsureRole(account, "ANALYST"),
		server.EnsureSchema(account, "PLATFORM", "PACKAGES"),
	} {
		if step != nil {
			t.Fatalf("seed sandbox snowflake: %v", step)
		}
	}
	cache := sessions.New(sessions.Options{Secrets: secrets{}, Host: server.Host(), Port: server.Port(), Protocol: "http"})
	t.Cleanup(func() { cache.Close() })

	req := request.Request{
		ID: RequestID,
		Snowflake: request.Snowflake{
			Account: account, User: "REPOLINK_SVC", PasswordRef: passwordRef, Role: "ACCOUNTADMIN",
			Database: "PLATFORM", Schema: "PACKAGES",
		},
		Repository: request.Repository{Name: "corp_pypi", GrantToRoles: []string{"DATA_SCIENCE"}, DefaultFor: "schema"},
	}
	conn, err := cache.Session(ctx, req.Snowflake)
	if err != nil {
		t.Fatalf("open session: %v", err)
	}
	return &Sandbox{Server: server, Env: &workflow.Env{Snowflake: cache.Session, Defaults: &Defaults{}}, Conn: conn, Request: req}
}

// CreateObjects creates the request's secret, integration and repository
// with the COMMENT that marks them as created by repolink for the request.
func (s *Sandbox) CreateObjects(t *testing.T) {
	t.Helper()
	names := workflow.NamesFor(s.Request)
	sf := s.Request.Snowflake
	secret := sfobject.Qualified(sf, names.Secret)
	for _, stmt := range []string{
		snowflake.CreateSecretGeneric(sf.Database, sf.Schema, names.Secret, "token-value"),
		snowflake.CreateAPIIntegration(names.Integration, []string{"https://pypi.example.internal/"}, []string{secret}, false),
		snowflake.CreateArtifactRepository(sf.Database, sf.Schema, names.Repository, names.Integration, IndexURL, secret),
	} {
		s.Exec(t, sfobject.WithOwner(stmt, s.Request.ID))
	}
}

// ExecWithComment runs stmt with COMMENT = comment appended, or stmt alone
// when comment is empty, and fails the test when it fails.
func (s *Sandbox) ExecWithComment(t *testing.T, stmt, comment string) {
	t.Helper()
	if comment != "" {
		stmt += " COMMENT = " + snowflake.Literal(comment)
	}
	s.Exec(t, stmt)
}

// Document returns a workflow document for the seeded request with its
// repository index set to IndexURL.
func (s *Sandbox) Document() workflow.Document {
	doc := workflow.Document{Request: s.Request}
	doc.Request.Repository.IndexURL = IndexURL
	return doc
}

// Exec runs one statement and fails the test when it fails.
func (s *Sandbox) Exec(t *testing.T, stmt string) {
	t.Helper()
	if err := s.Conn.Exec(t.Context(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// Query runs one statement and fails the test when it fails.
func (s *Sandbox) Query(t *testing.T, stmt string) []snowflake.Row {
	t.Helper()
	rows, err := s.Conn.Query(t.Context(), stmt)
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	return rows
}
