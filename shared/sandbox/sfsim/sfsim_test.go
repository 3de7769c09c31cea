package sfsim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/snowflake"
)

const (
	testAccount  = "myorg-acct1"
	testUser     = "repolink_svc"
	testPassword = "pw-for-tests"
	testDB       = "PLATFORM"
	testSchema   = "PACKAGES"
	testService  = "com.amazonaws.vpce.us-west-2.vpce-svc-0abc"
	testHost     = "pypi.corp.example.com"
	testIndexURL = "https://pypi.corp.example.com/simple/"
)

var (
	userKey  *rsa.PrivateKey
	otherKey *rsa.PrivateKey
)

func TestMain(m *testing.M) {
	// gosnowflake probes cloud metadata addresses on connect unless this is set.
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	var err error
	if userKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if otherKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// fakeLink is an endpoint service world with one allowed principal per
// service.
type fakeLink struct {
	mu          sync.Mutex
	allowed     map[string]string            // service -> principal
	states      map[string]map[string]string // service -> endpoint ID -> state
	addresses   map[string]string
	nextID      int
	disconnects int
	// beforeConnect, when set, runs at the start of Connect without the
	// lock, so that a test can hold one provisioning statement there.
	beforeConnect func(service string)
}

func newFakeLink() *fakeLink {
	return &fakeLink{allowed: map[string]string{}, states: map[string]map[string]string{}, addresses: map[string]string{}}
}

func (l *fakeLink) addService(name, principal, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.allowed[name] = principal
	l.states[name] = map[string]string{}
	l.addresses[name] = addr
}

func (l *fakeLink) setState(service, state string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.states[service] {
		l.states[service][id] = state
	}
}

func (l *fakeLink) Connect(service, principal string) (string, error) {
	l.mu.Lock()
	hook := l.beforeConnect
	l.mu.Unlock()
	if hook != nil {
		hook(service)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	allowed, ok := l.allowed[service]
	if !ok {
		return "", fmt.Errorf("endpoint service %s not found", service)
	}
	if allowed != principal {
		return "", fmt.Errorf("principal %s is not allowed on %s", principal, service)
	}
	for id := range l.states[service] {
		return id, nil
	}
	l.nextID++
	id := fmt.Sprintf("vpce-%04d", l.nextID)
	l.states[service][id] = "pendingAcceptance"
	return id, nil
}

func (l *fakeLink) ConnectionState(service, endpointID string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	state, ok := l.states[service][endpointID]
	if !ok {
		return "", fmt.Errorf("connection %s not found", endpointID)
	}
	return state, nil
}

func (l *fakeLink) Address(service string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	addr, ok := l.addresses[service]
	if !ok {
		return "", fmt.Errorf("nothing serves %s", service)
	}
	return addr, nil
}

func (l *fakeLink) Disconnect(service, endpointID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.states[service], endpointID)
	l.disconnects++
	return nil
}

// installCall is one recorded Installer.Install call.
type installCall struct {
	Addr, IndexURL, User, Pass string
	Requirements               []string
}

// statusError carries an HTTP status the way an installer reports one.
type statusError struct{ status int }

func (e *statusError) Error() string   { return fmt.Sprintf("index answered HTTP %d", e.status) }
func (e *statusError) HTTPStatus() int { return e.status }

type fakeInstaller struct {
	mu    sync.Mutex
	calls []installCall
	err   error
}

func (f *fakeInstaller) Install(_ context.Context, addr, indexURL, user, pass string, requirements []string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, installCall{addr, indexURL, user, pass, requirements})
	if f.err != nil {
		return nil, f.err
	}
	out := make([]string, len(requirements))
	for i, r := range requirements {
		name, _, _ := strings.Cut(r, "=")
		out[i] = name + "==1.0"
	}
	return out, nil
}

// sandbox is one started server with its fakes.
type sandbox struct {
	*Server
	dir       string
	clock     *simtest.Clock
	link      *fakeLink
	installer *fakeInstaller
}

func startSandbox(t *testing.T, dir string) *sandbox {
	t.Helper()
	sb := &sandbox{
		dir:       dir,
		clock:     simtest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)),
		link:      newFakeLink(),
		installer: &fakeInstaller{},
	}
	server, err := Start(context.Background(), Options{
		Dir: dir, Clock: sb.clock.Now, Link: sb.link, Installer: sb.installer,
		EndpointDelay: 10 * time.Minute,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { server.Close() })
	sb.Server = server

	for _, err := range []error{
		server.EnsureAccount(testAccount),
		server.EnsureUser(testAccount, testUser, &userKey.PublicKey, testPassword),
		server.EnsureSchema(testAccount, testDB, testSchema),
		server.EnsureRole(testAccount, "DATA_SCIENCE"),
	} {
		if err != nil {
			t.Fatalf("seed sandbox: %v", err)
		}
	}
	return sb
}

func (sb *sandbox) config() snowflake.Config {
	return snowflake.Config{
		Account: testAccount, User: testUser, Role: "ACCOUNTADMIN",
		Database: testDB, Schema: testSchema, PrivateKey: userKey,
		Host: sb.Host(), Port: sb.Port(), Protocol: "http",
		LoginTimeout: 5 * time.Second, RequestTimeout: 5 * time.Second,
	}
}

func (sb *sandbox) connect(t *testing.T) *snowflake.Client {
	t.Helper()
	client, err := snowflake.Open(context.Background(), sb.config())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func mustExec(t *testing.T, c snowflake.Conn, stmt string) {
	t.Helper()
	if err := c.Exec(context.Background(), stmt); err != nil {
		t.Fatalf("Exec %.60q: %v", stmt, err)
	}
}

func mustQuery(t *testing.T, c snowflake.Conn, stmt string) []snowflake.Row {
	t.Helper()
	rows, err := c.Query(context.Background(), stmt)
	if err != nil {
		t.Fatalf("Query %.60q: %v", stmt, err)
	}
	return rows
}

func mustScalar(t *testing.T, c snowflake.Conn, stmt string) string {
	t.Helper()
	v, err := snowflake.Scalar(context.Background(), c, stmt)
	if err != nil {
		t.Fatalf("Scalar %.60q: %v", stmt, err)
	}
	return v
}

func errorCode(err error) string {
	var sfErr *snowflake.Error
	if errors.As(err, &sfErr) {
		return sfErr.Code
	}
	return ""
}

func TestKeyPairLogin(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)

	if got := mustScalar(t, client, "SELECT CURRENT_USER()"); got != "REPOLINK_SVC" {
		t.Errorf("CURRENT_USER() = %q, want REPOLINK_SVC", got)
	}
	if got := mustScalar(t, client, "SELECT CURRENT_DATABASE()"); got != testDB {
		t.Errorf("CURRENT_DATABASE() = %q, want %s", got, testDB)
	}
}

func TestLoginFailures(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	tests := []struct {
		name     string
		edit     func(*snowflake.Config)
		wantCode string
	}{
		{"wrong key", func(c *snowflake.Config) { c.PrivateKey = otherKey }, "390144"},
		{"unknown user with key", func(c *snowflake.Config) { c.User = "nobody" }, "390144"},
		{"wrong password", func(c *snowflake.Config) { c.PrivateKey, c.Password = nil, "wrong-pw" }, "390100"},
		{"unknown account", func(c *snowflake.Config) { c.Account = "otherorg-acct" }, "260008"},
		{"unknown role", func(c *snowflake.Config) { c.Role = "NO_SUCH_ROLE" }, "390189"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := sb.config()
			tt.edit(&cfg)
			_, err := snowflake.Open(context.Background(), cfg)
			if got := errorCode(err); got != tt.wantCode {
				t.Fatalf("Open error code = %q (%v), want %s", got, err, tt.wantCode)
			}
			if !snowflake.IsAuth(err) {
				t.Errorf("IsAuth(%v) = false, want true", err)
			}
			if snowflake.IsTransient(err) {
				t.Errorf("IsTransient(%v) = true, want false", err)
			}
		})
	}
}

func TestPasswordLogin(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	cfg := sb.config()
	cfg.PrivateKey, cfg.Password = nil, testPassword
	client, err := snowflake.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open with password: %v", err)
	}
	defer client.Close()
	if got := mustScalar(t, client, "SELECT 1"); got != "1" {
		t.Errorf("SELECT 1 = %q", got)
	}
}

func TestMultipleStatementsRejected(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)

	err := client.Exec(context.Background(), "SELECT 1; SELECT 2")
	if got := errorCode(err); got != "000006" {
		t.Fatalf("error code = %q (%v), want 000006", got, err)
	}
	if !strings.Contains(err.Error(), "Multiple SQL statements in a single API call are not supported") {
		t.Errorf("error %q lacks Snowflake's message", err)
	}
	// A semicolon inside a literal or a trailing one is still one statement.
	mustExec(t, client, snowflake.CreateSecretGeneric(testDB, testSchema, "semi", "a;b")+";")
}

// createObjects creates the secret, integration and repository chain with
// the given names.
func createObjects(t *testing.T, c snowflake.Conn, secret, integration, repo string, privateLink bool) {
	t.Helper()
	mustExec(t, c, snowflake.CreateSecretPassword(testDB, testSchema, secret, "svc-user", "s3cret"))
	secretName := snowflake.Qualified(testDB, testSchema, secret)
	mustExec(t, c, snowflake.CreateAPIIntegration(integration, []string{"https://" + testHost}, []string{secretName}, privateLink))
	mustExec(t, c, snowflake.CreateArtifactRepository(testDB, testSchema, repo, integration, testIndexURL, secretName))
}

func TestDDLRoundTrip(t *testing.T) {
	tests := []struct {
		name        string
		secret      string
		integration string
		repo        string
	}{
		{"plain names", "corp_secret", "corp_int", "corp_pypi"},
		{"quoted lower-case names", "corp-secret", "corp-int", "corp pypi"},
		{"hostile names", `a"b'c`, "x; DROP --", "données_repo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startSandbox(t, t.TempDir())
			client := sb.connect(t)
			createObjects(t, client, tt.secret, tt.integration, tt.repo, false)
			// Running the chain again adopts what exists.
			createObjects(t, client, tt.secret, tt.integration, tt.repo, false)

			secrets := mustQuery(t, client, snowflake.ShowSecrets(testDB, testSchema, tt.secret))
			if len(secrets) != 1 || !snowflake.SameName(secrets[0]["name"], tt.secret) {
				t.Errorf("SHOW SECRETS = %v, want one row named %q", secrets, snowflake.StoredName(tt.secret))
			}
			if len(secrets) == 1 && secrets[0]["secret_type"] != "PASSWORD" {
				t.Errorf("secret_type = %q, want PASSWORD", secrets[0]["secret_type"])
			}

			integrations := mustQuery(t, client, snowflake.ShowAPIIntegrations(tt.integration))
			if len(integrations) != 1 || !snowflake.SameName(integrations[0]["name"], tt.integration) {
				t.Errorf("SHOW API INTEGRATIONS = %v, want one row named %q", integrations, snowflake.StoredName(tt.integration))
			}

			repos := mustQuery(t, client, snowflake.ShowArtifactRepositories(testDB, testSchema, tt.repo))
			if len(repos) != 1 {
				t.Fatalf("SHOW ARTIFACT REPOSITORIES = %v, want one row", repos)
			}
			want := snowflake.Row{
				"name": snowflake.StoredName(tt.repo), "database_name": testDB, "schema_name": testSchema,
				"type": "PYPI", "api_integration": snowflake.StoredName(tt.integration),
				"owner": "ACCOUNTADMIN", "owner_role_type": "ROLE", "comment": "",
			}
			got := repos[0]
			delete(got, "created_on")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("repository row mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateConflictsAndMissing(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	ctx := context.Background()
	mustExec(t, client, snowflake.CreateSecretGeneric(testDB, testSchema, "tok", "abc"))

	err := client.Exec(ctx, "CREATE SECRET PLATFORM.PACKAGES.TOK TYPE = GENERIC_STRING SECRET_STRING = 'x'")
	if !snowflake.IsAlreadyExists(err) {
		t.Errorf("CREATE of an existing secret: %v, want already exists", err)
	}
	mustExec(t, client, "CREATE OR REPLACE SECRET PLATFORM.PACKAGES.TOK TYPE = GENERIC_STRING SECRET_STRING = 'x'")

	err = client.Exec(ctx, snowflake.CreateArtifactRepository(testDB, testSchema, "r", "missing_int", testIndexURL, snowflake.Qualified(testDB, testSchema, "tok")))
	if !snowflake.IsNotExist(err) {
		t.Errorf("repository with a missing integration: %v, want does not exist", err)
	}
	err = client.Exec(ctx, snowflake.GrantReadOnRepository(testDB, testSchema, "missing_repo", "DATA_SCIENCE"))
	if !snowflake.IsNotExist(err) {
		t.Errorf("grant on a missing repository: %v, want does not exist", err)
	}

	secret := snowflake.Qualified(testDB, testSchema, "tok")
	mustExec(t, client, snowflake.CreateAPIIntegration("narrow", []string{"https://other.example.com"}, []string{secret}, false))
	err = client.Exec(ctx, snowflake.CreateArtifactRepository(testDB, testSchema, "r", "narrow", testIndexURL, secret))
	if err == nil || !strings.Contains(err.Error(), "API_ALLOWED_PREFIXES") {
		t.Errorf("index URL outside the prefixes: %v, want an API_ALLOWED_PREFIXES error", err)
	}
}

func TestHostileLiteralRoundTrip(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	password := "'\"\\;--\n/* x */ $$ ünïcødé ✓ \\n \t"
	user := `us'er\`
	mustExec(t, client, snowflake.CreateSecretPassword(testDB, testSchema, "hostile", user, password))

	account, err := sb.Snapshot(testAccount)
	if err != nil {
		t.Fatal(err)
	}
	secret := account.Databases[testDB].Schemas[testSchema].Secrets["HOSTILE"]
	if secret == nil {
		t.Fatal("secret HOSTILE not stored")
	}
	if got := sb.openPassword(t, secret); got != password {
		t.Errorf("stored password = %q, want %q", got, password)
	}
	if secret.Username != user {
		t.Errorf("stored username = %q, want %q", secret.Username, user)
	}

	mustExec(t, client, snowflake.AlterSecretPassword(testDB, testSchema, "hostile", "u2", password+"2"))
	account, _ = sb.Snapshot(testAccount)
	if got := sb.openPassword(t, account.Databases[testDB].Schemas[testSchema].Secrets["HOSTILE"]); got != password+"2" {
		t.Errorf("altered password = %q, want %q", got, password+"2")
	}
}

// openPassword returns the password of a PASSWORD secret in clear.
func (sb *sandbox) openPassword(t *testing.T, secret *Secret) string {
	t.Helper()
	_, password, err := sb.secretCredentials(secret)
	if err != nil {
		t.Fatalf("open password of secret %s: %v", secret.Name, err)
	}
	return password
}

func TestGrantsAndDefaultRepository(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	createObjects(t, client, "s", "i", "r", false)
	repo := snowflake.Qualified(testDB, testSchema, "r")

	mustExec(t, client, snowflake.GrantUsageOnIntegration("i", "DATA_SCIENCE"))
	mustExec(t, client, snowflake.GrantUsageOnDatabase(testDB, "DATA_SCIENCE"))
	mustExec(t, client, snowflake.GrantUsageOnSchema(testDB, testSchema, "DATA_SCIENCE"))
	mustExec(t, client, snowflake.GrantReadOnRepository(testDB, testSchema, "r", "DATA_SCIENCE"))
	mustExec(t, client, snowflake.GrantReadOnRepository(testDB, testSchema, "r", "DATA_SCIENCE"))

	grants := mustQuery(t, client, snowflake.ShowGrantsOnRepository(testDB, testSchema, "r"))
	var got []string
	for _, g := range grants {
		got = append(got, g["privilege"]+" "+g["granted_on"]+" "+g["name"]+" "+g["grantee_name"])
	}
	want := []string{
		"OWNERSHIP ARTIFACT_REPOSITORY PLATFORM.PACKAGES.R ACCOUNTADMIN",
		"READ ARTIFACT_REPOSITORY PLATFORM.PACKAGES.R DATA_SCIENCE",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SHOW GRANTS mismatch (-want +got):\n%s", diff)
	}
	if rows := mustQuery(t, client, snowflake.ShowGrantsOnIntegration("i")); len(rows) != 2 {
		t.Errorf("SHOW GRANTS ON INTEGRATION returned %d rows, want 2", len(rows))
	}

	for _, level := range []string{snowflake.LevelAccount, snowflake.LevelDatabase, snowflake.LevelSchema} {
		set, _ := snowflake.SetDefaultRepository(level, testDB, testSchema, repo)
		mustExec(t, client, set)
		show, _ := snowflake.ShowDefaultRepository(level, testDB, testSchema)
		rows := mustQuery(t, client, show)
		if len(rows) != 1 || rows[0]["value"] != "PLATFORM.PACKAGES.R" || rows[0]["level"] != strings.ToUpper(level) {
			t.Errorf("%s: SHOW PARAMETERS = %v, want value PLATFORM.PACKAGES.R at level %s", level, rows, strings.ToUpper(level))
		}
	}
	unset, _ := snowflake.UnsetDefaultRepository(snowflake.LevelSchema, testDB, testSchema)
	mustExec(t, client, unset)
	show, _ := snowflake.ShowDefaultRepository(snowflake.LevelSchema, testDB, testSchema)
	if rows := mustQuery(t, client, show); len(rows) != 1 || rows[0]["level"] != "DATABASE" {
		t.Errorf("after UNSET on the schema: %v, want the database value", rows)
	}
}
