package sessions

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
	"github.com/repolink/repolink/shared/snowflake"
)

func TestMain(m *testing.M) {
	// gosnowflake probes cloud metadata addresses on connect unless this is set.
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Exit(m.Run())
}

// fakeSecrets resolves references from a map and counts the lookups.
type fakeSecrets struct {
	values  map[string]string
	lookups int
}

func (f *fakeSecrets) Resolve(_ context.Context, ref string) (string, error) {
	f.lookups++
	v, ok := f.values[ref]
	if !ok {
		return "", fmt.Errorf("reference %s not found", ref)
	}
	return v, nil
}

func readKey(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// startSandbox starts the sandbox Snowflake with the user REPOLINK_SVC and
// the password pw-value in each of accounts.
func startSandbox(t *testing.T, accounts ...string) *sfsim.Server {
	t.Helper()
	// The server outlives the test's context, so that the logouts that a
	// cleanup lets through still reach it.
	server, err := sfsim.Start(context.Background(), sfsim.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start sandbox snowflake: %v", err)
	}
	t.Cleanup(func() { server.Close() })
	for _, account := range accounts {
		if err := server.EnsureUser(account, "REPOLINK_SVC", nil, "pw-value"); err != nil {
			t.Fatalf("seed sandbox snowflake: %v", err)
		}
	}
	return server
}

func TestConfig(t *testing.T) {
	secrets := &fakeSecrets{values: map[string]string{
		"env:PASSWORD":   "pw-value",
		"env:KEY":        readKey(t, "pkcs8-aes256.pem"),
		"env:PLAIN_KEY":  readKey(t, "pkcs8.pem"),
		"env:PASSPHRASE": "test-passphrase",
		"env:WRONG":      "wrong-passphrase",
		"env:NOT_PEM":    "pw-value",
	}}
	login := request.Snowflake{
		Account: "myorg-analytics", User: "REPOLINK_SVC", Role: "ACCOUNTADMIN",
		Warehouse: "WH", Database: "PLATFORM", Schema: "PACKAGES",
	}
	tests := []struct {
		name         string
		password     string
		key          string
		passphrase   string
		wantErr      string
		wantKey      bool
		wantPassword string
	}{
		{name: "password", password: "env:PASSWORD", wantPassword: "pw-value"},
		{name: "encrypted key", key: "env:KEY", passphrase: "env:PASSPHRASE", wantKey: true},
		{name: "plain key", key: "env:PLAIN_KEY", wantKey: true},
		{name: "unset password", password: "env:UNSET", wantErr: "read $.snowflake.password_ref"},
		{name: "unset key", key: "env:UNSET", wantErr: "read $.snowflake.private_key_ref"},
		{name: "unset passphrase", key: "env:KEY", passphrase: "env:UNSET", wantErr: "read $.snowflake.private_key_passphrase_ref"},
		{name: "wrong passphrase", key: "env:KEY", passphrase: "env:WRONG", wantErr: "$.snowflake.private_key_ref"},
		{name: "key not PEM", key: "env:NOT_PEM", wantErr: "$.snowflake.private_key_ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := New(Options{Secrets: secrets, Host: "127.0.0.1", Port: 8080, Protocol: "http"})
			sf := login
			sf.PasswordRef, sf.PrivateKeyRef, sf.PrivateKeyPassphraseRef = tt.password, tt.key, tt.passphrase

			cfg, err := cache.Config(context.Background(), sf)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Config error = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw-value") || strings.Contains(err.Error(), "wrong-passphrase") {
					t.Errorf("Config error %q contains a secret value", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Config: %v", err)
			}
			if got := cfg.PrivateKey != nil; got != tt.wantKey {
				t.Errorf("Config private key set = %v, want %v", got, tt.wantKey)
			}
			if cfg.Password != tt.wantPassword {
				t.Errorf("Config password matches = %v, want the password of %s", cfg.Password == tt.wantPassword, tt.password)
			}
			got := []any{cfg.Account, cfg.User, cfg.Role, cfg.Warehouse, cfg.Database, cfg.Schema,
				cfg.Host, cfg.Port, cfg.Protocol, cfg.LoginTimeout, cfg.RequestTimeout}
			want := []any{"myorg-analytics", "REPOLINK_SVC", "ACCOUNTADMIN", "WH", "PLATFORM", "PACKAGES",
				"127.0.0.1", 8080, "http", DefaultLoginTimeout, DefaultRequestTimeout}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Config fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigTimeouts(t *testing.T) {
	cache := New(Options{
		Secrets:        &fakeSecrets{values: map[string]string{"env:PASSWORD": "pw"}},
		LoginTimeout:   5 * time.Second,
		RequestTimeout: 7 * time.Second,
	})
	cfg, err := cache.Config(context.Background(), request.Snowflake{Account: "a", User: "u", PasswordRef: "env:PASSWORD"})
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	if cfg.LoginTimeout != 5*time.Second {
		t.Errorf("LoginTimeout = %v, want 5s", cfg.LoginTimeout)
	}
	if cfg.RequestTimeout != 7*time.Second {
		t.Errorf("RequestTimeout = %v, want 7s", cfg.RequestTimeout)
	}
}

func TestSessionCachesPerLogin(t *testing.T) {
	ctx := t.Context()
	server, err := sfsim.Start(ctx, sfsim.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start sandbox snowflake: %v", err)
	}
	t.Cleanup(func() { server.Close() })
	for _, step := range []error{
		server.EnsureAccount("myorg-analytics"),
		server.EnsureUser("myorg-analytics", "REPOLINK_SVC", nil, "pw-value"),
		server.EnsureRole("myorg-analytics", "SYSADMIN"),
	} {
		if step != nil {
			t.Fatalf("seed sandbox snowflake: %v", step)
		}
	}

	secrets := &fakeSecrets{values: map[string]string{"env:PASSWORD": "pw-value"}}
	cache := New(Options{Secrets: secrets, Host: server.Host(), Port: server.Port(), Protocol: "http"})
	login := request.Snowflake{Account: "myorg-analytics", User: "REPOLINK_SVC", PasswordRef: "env:PASSWORD"}

	first, err := cache.Session(ctx, login)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	upper := login
	upper.Account = "MYORG-ANALYTICS"
	again, err := cache.Session(ctx, upper)
	if err != nil {
		t.Fatalf("Session with the account in upper case: %v", err)
	}
	if first != again {
		t.Error("Session opened a second session for the same login in another case")
	}
	if secrets.lookups != 1 {
		t.Errorf("secret lookups = %d, want 1 for one login", secrets.lookups)
	}

	other := login
	other.Role = "SYSADMIN"
	second, err := cache.Session(ctx, other)
	if err != nil {
		t.Fatalf("Session with another role: %v", err)
	}
	if second == first {
		t.Error("Session returned the same session for another role")
	}

	if err := cache.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	reopened, err := cache.Session(ctx, login)
	if err != nil {
		t.Fatalf("Session after Close: %v", err)
	}
	if reopened == first {
		t.Error("Session after Close returned the closed session")
	}
	if err := cache.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSessionWrongPassword(t *testing.T) {
	ctx := t.Context()
	server, err := sfsim.Start(ctx, sfsim.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start sandbox snowflake: %v", err)
	}
	t.Cleanup(func() { server.Close() })
	if err := server.EnsureUser("myorg-analytics", "REPOLINK_SVC", nil, "pw-value"); err != nil {
		t.Fatalf("seed sandbox snowflake: %v", err)
	}

	secrets := &fakeSecrets{values: map[string]string{"env:PASSWORD": "not-the-password"}}
	cache := New(Options{Secrets: secrets, Host: server.Host(), Port: server.Port(), Protocol: "http"})
	_, err = cache.Session(ctx, request.Snowflake{Account: "myorg-analytics", User: "REPOLINK_SVC", PasswordRef: "env:PASSWORD"})
	if err == nil {
		t.Fatal("Session with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("Session error %q contains the password", err)
	}
	if err := cache.Close(); err != nil {
		t.Errorf("Close with no sessions: %v", err)
	}
}

// TestSessionChecksEachCredential opens a session with one request's
// password and then requests the same login through another reference,
// which holds a wrong password. The cached session must not stand in for a
// credential that Snowflake never checked.
func TestSessionChecksEachCredential(t *testing.T) {
	ctx := t.Context()
	server := startSandbox(t, "myorg-analytics")

	secrets := &fakeSecrets{values: map[string]string{
		"env:PASSWORD":       "pw-value",
		"env:OTHER_PASSWORD": "not-the-password",
	}}
	cache := New(Options{Secrets: secrets, Host: server.Host(), Port: server.Port(), Protocol: "http"})
	t.Cleanup(func() { cache.Close() })
	login := request.Snowflake{Account: "myorg-analytics", User: "REPOLINK_SVC", PasswordRef: "env:PASSWORD"}
	first, err := cache.Session(ctx, login)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}

	other := login
	other.PasswordRef = "env:OTHER_PASSWORD"
	if _, err := cache.Session(ctx, other); err == nil {
		t.Error("Session with a reference to a wrong password returned the session of another reference")
	}

	again, err := cache.Session(ctx, login)
	if err != nil {
		t.Fatalf("Session again: %v", err)
	}
	if again != first {
		t.Error("Session with the first reference opened a second session")
	}
}

// TestSessionPerWarehouse requests one login with two warehouses. A
// session runs its queries, such as the verification SELECT, on the
// warehouse it was opened with, so the second request must not get the
// session of the first.
func TestSessionPerWarehouse(t *testing.T) {
	ctx := t.Context()
	server := startSandbox(t, "myorg-analytics")

	secrets := &fakeSecrets{values: map[string]string{"env:PASSWORD": "pw-value"}}
	cache := New(Options{Secrets: secrets, Host: server.Host(), Port: server.Port(), Protocol: "http"})
	t.Cleanup(func() { cache.Close() })
	login := request.Snowflake{Account: "myorg-analytics", User: "REPOLINK_SVC", PasswordRef: "env:PASSWORD", Warehouse: "VERIFY_WH"}
	first, err := cache.Session(ctx, login)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}

	other := login
	other.Warehouse = "OTHER_WH"
	second, err := cache.Session(ctx, other)
	if err != nil {
		t.Fatalf("Session with another warehouse: %v", err)
	}
	if second == first {
		t.Error("Session with another warehouse returned the session of the first warehouse")
	}

	again, err := cache.Session(ctx, login)
	if err != nil {
		t.Fatalf("Session again: %v", err)
	}
	if again != first {
		t.Error("Session with the first warehouse opened a second session")
	}
}

// TestSessionPerQuotedRole requests two roles whose names in double quotes
// differ only in case. Snowflake reads them as two roles, so each request
// must get a session of its own role, while a plain name in another case
// is the same role and gets the same session.
func TestSessionPerQuotedRole(t *testing.T) {
	ctx := t.Context()
	server := startSandbox(t, "myorg-analytics")
	for _, step := range []error{
		server.EnsureRole("myorg-analytics", "Data"),
		server.EnsureRole("myorg-analytics", "data"),
		server.EnsureRole("myorg-analytics", "DATA"),
	} {
		if step != nil {
			t.Fatalf("seed sandbox snowflake: %v", step)
		}
	}

	secrets := &fakeSecrets{values: map[string]string{"env:PASSWORD": "pw-value"}}
	cache := New(Options{Secrets: secrets, Host: server.Host(), Port: server.Port(), Protocol: "http"})
	t.Cleanup(func() { cache.Close() })
	login := request.Snowflake{Account: "myorg-analytics", User: "REPOLINK_SVC", PasswordRef: "env:PASSWORD"}

	tests := []struct {
		role string
		want string
	}{
		{`"Data"`, "Data"},
		{`"data"`, "data"},
		{"data", "DATA"},
		{`"DATA"`, "DATA"},
	}
	sessionOf := map[string]snowflake.Conn{}
	for _, tt := range tests {
		sf := login
		sf.Role = tt.role
		session, err := cache.Session(ctx, sf)
		if err != nil {
			t.Fatalf("Session with role %s: %v", tt.role, err)
		}
		rows, err := session.Query(ctx, "SELECT CURRENT_ROLE()")
		if err != nil {
			t.Fatalf("SELECT CURRENT_ROLE() with role %s: %v", tt.role, err)
		}
		if len(rows) != 1 || len(rows[0]) != 1 {
			t.Fatalf("SELECT CURRENT_ROLE() with role %s returned %v, want one value", tt.role, rows)
		}
		for _, got := range rows[0] {
			if got != tt.want {
				t.Errorf("current role of the session for %s = %q, want %q", tt.role, got, tt.want)
			}
		}
		if earlier, ok := sessionOf[tt.want]; ok && earlier != session {
			t.Errorf("Session with role %s opened a second session for role %s", tt.role, tt.want)
		}
		sessionOf[tt.want] = session
	}
}
