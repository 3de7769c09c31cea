package sandbox

import (
	"context"
	"crypto/tls"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
)

// envResolver resolves env: references from a map, as the operator's
// environment would.
type envResolver map[string]string

func (r envResolver) Resolve(_ context.Context, ref string) (string, error) {
	value, ok := r[ref]
	if !ok {
		return "", fmt.Errorf("reference %s is not set", ref)
	}
	return value, nil
}

// exampleRequest reads an example request and points its index credential
// at credentialRef and its Snowflake key at env:SNOWFLAKE_KEY.
func exampleRequest(t *testing.T, file, credentialRef string) request.Request {
	t.Helper()
	data, err := os.ReadFile("../../examples/" + file)
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	req.Snowflake.PrivateKeyRef = "env:SNOWFLAKE_KEY"
	req.Snowflake.PrivateKeyPassphraseRef = ""
	if req.Repository.Auth.Type == "token" {
		req.Repository.Auth.TokenRef = credentialRef
	} else {
		req.Repository.Auth.PasswordRef = credentialRef
	}
	return req
}

// indexStatus returns the status of the sandbox index's root page for
// host with the given basic auth credentials.
func indexStatus(t *testing.T, sb *Sandbox, host, user, pass string) int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sb.Roots()}}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, sb.Index.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.SetBasicAuth(user, pass)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET index for %s: %v", host, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// startCorpSandbox starts a sandbox with the index host
// pypi.corp.example.com, which stops when the test ends. It returns it with
// the secrets of a request made by exampleRequest with the index credential
// env:CORP_PASSWORD.
func startCorpSandbox(ctx context.Context, t *testing.T) (*Sandbox, envResolver) {
	t.Helper()
	sb, err := Start(ctx, Options{Dir: t.TempDir(), Hosts: []string{"pypi.corp.example.com"}, Delays: ZeroDelays, ForceGoVMs: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	key, err := newPrivateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return sb, envResolver{"env:SNOWFLAKE_KEY": key, "env:CORP_PASSWORD": "corp-password"}
}

// seedAccount seeds sb for req and returns the request's Snowflake account
// after seeding.
func seedAccount(t *testing.T, sb *Sandbox, req request.Request, secrets envResolver) sfsim.Account {
	t.Helper()
	if err := sb.Seed(t.Context(), req, secrets); err != nil {
		t.Fatalf("seed: %v", err)
	}
	account, err := sb.Snowflake.Snapshot(req.Snowflake.Account)
	if err != nil {
		t.Fatal(err)
	}
	return account
}

func TestSeedKeepsEveryRequestsIndexCredential(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	hosts := []string{"pypi.corp.example.com", "pypi.public.example.com"}
	sb, err := Start(ctx, Options{Dir: dir, Hosts: hosts, Delays: ZeroDelays, ForceGoVMs: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })

	key, err := newPrivateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	secrets := envResolver{
		"env:SNOWFLAKE_KEY":       key,
		"env:CORP_AWS_PASSWORD":   "corp-aws-password",
		"env:CORP_AZURE_PASSWORD": "corp-azure-password",
		"env:PUBLIC_TOKEN":        "reader:public-token",
	}
	// Two requests for the same host with the same user and different
	// passwords, and a token request for another host.
	for _, r := range []struct{ file, ref string }{
		{"aws-privatelink.json", "env:CORP_AWS_PASSWORD"},
		{"azure-privatelink.json", "env:CORP_AZURE_PASSWORD"},
		{"public.json", "env:PUBLIC_TOKEN"},
	} {
		if err := sb.Seed(ctx, exampleRequest(t, r.file, r.ref), secrets); err != nil {
			t.Fatalf("seed %s: %v", r.file, err)
		}
	}

	tests := []struct {
		name, host, user, pass string
		want                   int
	}{
		{"first request", "pypi.corp.example.com", "svc-snowflake", "corp-aws-password", http.StatusOK},
		{"second request", "pypi.corp.example.com", "svc-snowflake", "corp-azure-password", http.StatusOK},
		{"token request", "pypi.public.example.com", "reader", "public-token", http.StatusOK},
		{"wrong password", "pypi.corp.example.com", "svc-snowflake", "guess", http.StatusUnauthorized},
		{"other host's token", "pypi.corp.example.com", "reader", "public-token", http.StatusUnauthorized},
		{"other host's password", "pypi.public.example.com", "svc-snowflake", "corp-aws-password", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := indexStatus(t, sb, tt.host, tt.user, tt.pass); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}

	// A later sandbox on the same world accepts the same credentials.
	sb.Close()
	again, err := Start(ctx, Options{Dir: dir, Hosts: hosts, Delays: ZeroDelays, ForceGoVMs: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	if got := indexStatus(t, again, "pypi.corp.example.com", "svc-snowflake", "corp-aws-password"); got != http.StatusOK {
		t.Errorf("credential after a restart: status = %d, want 200", got)
	}
	if got := indexStatus(t, again, "pypi.corp.example.com", "svc-snowflake", "guess"); got != http.StatusUnauthorized {
		t.Errorf("wrong password after a restart: status = %d, want 401", got)
	}
}

func TestSeedSkipsRequestedGrantRoles(t *testing.T) {
	ctx := t.Context()
	sb, secrets := startCorpSandbox(ctx, t)

	req := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	req.Repository.GrantToRoles = []string{"NO_SUCH_ROLE_XYZ"}
	account := seedAccount(t, sb, req, secrets)
	if account.Roles["NO_SUCH_ROLE_XYZ"] != nil {
		t.Errorf("role NO_SUCH_ROLE_XYZ of repository.grant_to_roles was created")
	}
	for _, role := range append([]string{req.Snowflake.Role}, SeededRoles...) {
		if account.Roles[role] == nil {
			t.Errorf("role %s missing after seeding", role)
		}
	}
}

func TestSeedStoresNamesAsIdentifiers(t *testing.T) {
	ctx := t.Context()
	sb, secrets := startCorpSandbox(ctx, t)

	req := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	req.Snowflake.Database = `"PLATFORM"`
	req.Snowflake.Schema = "packages"
	req.Snowflake.Role = "deployer"
	account := seedAccount(t, sb, req, secrets)
	db := account.Databases["PLATFORM"]
	if db == nil {
		t.Fatalf("database PLATFORM missing after seeding database %s; databases: %v", req.Snowflake.Database, slices.Sorted(maps.Keys(account.Databases)))
	}
	if db.Schemas["PACKAGES"] == nil {
		t.Errorf("schema PACKAGES missing after seeding schema %s; schemas: %v", req.Snowflake.Schema, slices.Sorted(maps.Keys(db.Schemas)))
	}
	if account.Roles["DEPLOYER"] == nil {
		t.Errorf("role DEPLOYER missing after seeding role %s", req.Snowflake.Role)
	}
	if account.Databases[`"PLATFORM"`] != nil {
		t.Errorf("database stored with its quotes")
	}
}

func TestSeedSkipsRequestedWarehouse(t *testing.T) {
	ctx := t.Context()
	sb, secrets := startCorpSandbox(ctx, t)

	req := exampleRequest(t, "aws-privatelink.json", "env:CORP_PASSWORD")
	req.Snowflake.Warehouse = "NO_SUCH_WH"
	account := seedAccount(t, sb, req, secrets)
	if account.Warehouses["NO_SUCH_WH"] != nil {
		t.Errorf("warehouse NO_SUCH_WH of snowflake.warehouse was created")
	}
	for _, warehouse := range SeededWarehouses {
		if account.Warehouses[warehouse] == nil {
			t.Errorf("warehouse %s missing after seeding", warehouse)
		}
	}
}
