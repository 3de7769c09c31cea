package preflight

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/pyindex"
)

const (
	repoHost = "pypi.corp.example.test"
	cdnHost  = "files.cdn.example.test"
	testUser = "svc@example.com"
	// testPassword contains every character that breaks credentials
	// embedded in a URL.
	testPassword = "p@ss#w%rd/^:x"
)

// servers maps host names to loopback listeners, because the sandbox host
// names do not resolve.
type servers map[string]string

// client returns an HTTP client that trusts ca and sends every connection
// for a host to its listener.
func (s servers) client(t *testing.T, ca *pyindex.CA) *http.Client {
	t.Helper()
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			target, ok := s[host]
			if !ok {
				return nil, fmt.Errorf("no test server for %s", host)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, target)
		},
	}
	if ca != nil {
		transport.TLSClientConfig = &tls.Config{RootCAs: ca.Pool()}
	}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: 10 * time.Second}
}

func newCA(t *testing.T) *pyindex.CA {
	t.Helper()
	ca, err := pyindex.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func startIndex(t *testing.T, ca *pyindex.CA, user, password string, hosts ...string) *pyindex.Index {
	t.Helper()
	idx, err := pyindex.Start(t.Context(), pyindex.Options{Hosts: hosts, Username: user, Password: password, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

func testRequest() request.Request {
	return request.Request{
		ID:    "DATA-1",
		Route: request.RouteAWSPrivateLink,
		Repository: request.Repository{
			Name:       "corp_pypi",
			IndexURL:   "https://" + repoHost + "/simple/",
			Auth:       request.Auth{Type: "password", Username: testUser, PasswordRef: "env:INDEX_PASSWORD"},
			Packages:   []string{"requests", "corp_utils==2.3.1"},
			Procedures: true,
		},
		AWS: &request.AWS{Upstream: repoHost + ":443"},
	}
}

func statuses(r Report) map[string]Status {
	out := map[string]Status{}
	for _, c := range r.Checks {
		out[c.Name] = c.Status
	}
	return out
}

func find(r Report, name string) Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

// runSandbox runs the checks on req through client, in sandbox mode with
// the test credentials.
func runSandbox(t *testing.T, client *http.Client, req request.Request) Report {
	t.Helper()
	return Run(t.Context(), Options{
		HTTP:     client,
		Request:  req,
		Username: testUser,
		Password: testPassword,
		Sandbox:  true,
	})
}

// startInterceptedIndex serves idx over TLS for repoHost and returns its address.
// For each request, intercept may write a response and return true, or
// return false to leave the request to idx.
func startInterceptedIndex(t *testing.T, ca *pyindex.CA, idx *pyindex.Index,
	intercept func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	cert, err := ca.Issue(repoHost)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r) {
			idx.ServeHTTP(w, r)
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// checkNoSecret fails when the report repeats the index password.
func checkNoSecret(t *testing.T, r Report, secrets ...string) {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Errorf("report contains a credential: %s", data)
		}
	}
}

func TestRunWellBehavedIndex(t *testing.T) {
	ca := newCA(t)
	idx := startIndex(t, ca, testUser, testPassword, repoHost)
	now := time.Now()

	report := Run(t.Context(), Options{
		HTTP:     servers{repoHost: idx.Addr()}.client(t, ca),
		Request:  testRequest(),
		Username: testUser,
		Password: testPassword,
		Sandbox:  true,
		Now:      func() time.Time { return now },
	})

	want := map[string]Status{
		"index_url":                         Passed,
		"credential_template":               Passed,
		"credential_lifetime":               Passed,
		"tls_chain":                         Passed,
		"tls_names":                         Passed,
		"simple_api":                        Passed,
		"credentials":                       Passed,
		"package requests":                  Passed,
		"package corp_utils==2.3.1":         Passed,
		"package snowflake-snowpark-python": Passed,
		"file_links":                        Passed,
		"redirects":                         Passed,
		"allowed_prefixes":                  Passed,
		"private_path":                      Passed,
		"credential_forwarding":             Passed,
	}
	if diff := cmp.Diff(want, statuses(report)); diff != "" {
		t.Errorf("check statuses (-want +got):\n%s\nchecks: %+v", diff, report.Checks)
	}
	if report.Failed() {
		t.Error("Failed() = true, want false")
	}
	wantPackages := []string{"requests==2.32.3", "corp-utils==2.3.1", "snowflake-snowpark-python==1.25.0"}
	if diff := cmp.Diff(wantPackages, report.Packages); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{repoHost}, report.Hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if got := find(report, "simple_api").Detail; !strings.Contains(got, "PEP 691 JSON") {
		t.Errorf("simple_api detail = %q, want PEP 691 JSON", got)
	}
	if got := find(report, "credentials").Detail; !strings.Contains(got, "401") {
		t.Errorf("credentials detail = %q, want the anonymous 401", got)
	}
	if report.CredentialExpiresAt != nil {
		t.Errorf("CredentialExpiresAt = %v, want nil", report.CredentialExpiresAt)
	}
	checkNoSecret(t, report, testPassword)
}

func TestRunMisbehavingIndex(t *testing.T) {
	tests := []struct {
		name     string
		behavior pyindex.Behavior
		// edit changes the request and the options of the run.
		edit       func(*Options)
		wantStatus map[string]Status
		// wantDetail holds a substring of a check's detail.
		wantDetail map[string]string
		// wantAbsent lists checks that must not run.
		wantAbsent []string
		wantFailed bool
	}{
		{
			name:       "wrong password",
			edit:       func(o *Options) { o.Password = "wrong" },
			wantStatus: map[string]Status{"credentials": Failed, "package requests": Skipped},
			wantDetail: map[string]string{"credentials": "401 Unauthorized"},
			wantFailed: true,
		},
		{
			name:       "hidden as not found",
			behavior:   pyindex.Behavior{RejectStatus: http.StatusNotFound},
			edit:       func(o *Options) { o.Password = "expired" },
			wantStatus: map[string]Status{"credentials": Failed, "package requests": Skipped, "simple_api": Skipped},
			wantDetail: map[string]string{"credentials": "rejected or expired"},
			wantFailed: true,
		},
		{
			name:       "forbidden",
			behavior:   pyindex.Behavior{RejectStatus: http.StatusForbidden},
			edit:       func(o *Options) { o.Password = "wrong" },
			wantStatus: map[string]Status{"credentials": Failed, "package requests": Skipped},
			wantDetail: map[string]string{"credentials": "read permission"},
			wantFailed: true,
		},
		{
			name:       "html only",
			behavior:   pyindex.Behavior{HTMLOnly: true},
			wantStatus: map[string]Status{"simple_api": Passed, "package requests": Passed},
			wantDetail: map[string]string{"simple_api": "PEP 503 HTML"},
		},
		{
			name:       "insecure links",
			behavior:   pyindex.Behavior{InsecureLinks: true},
			wantStatus: map[string]Status{"file_links": Failed, "package requests": Failed},
			wantDetail: map[string]string{"file_links": "http://" + repoHost},
			wantFailed: true,
		},
		{
			name:       "wrong hashes",
			behavior:   pyindex.Behavior{WrongHashes: true},
			wantStatus: map[string]Status{"package requests": Failed},
			wantDetail: map[string]string{"package requests": "sha256"},
			wantFailed: true,
		},
		{
			name:       "missing package",
			behavior:   pyindex.Behavior{Missing: []string{"corp-utils"}},
			wantStatus: map[string]Status{"package requests": Passed, "package corp_utils==2.3.1": Failed},
			wantDetail: map[string]string{"package corp_utils==2.3.1": "corp-utils (the normalised name of corp_utils) is not on the index"},
			wantFailed: true,
		},
		{
			name:       "missing snowpark",
			behavior:   pyindex.Behavior{Missing: []string{"snowflake-snowpark-python"}},
			wantStatus: map[string]Status{"package snowflake-snowpark-python": Failed},
			wantFailed: true,
		},
		{
			name:       "version not on index",
			edit:       func(o *Options) { o.Request.Repository.Packages = []string{"requests==9.9.9"} },
			wantStatus: map[string]Status{"package requests==9.9.9": Failed},
			wantDetail: map[string]string{"package requests==9.9.9": "2.31.0, 2.32.3"},
			wantFailed: true,
		},
		{
			name:       "range above every version",
			edit:       func(o *Options) { o.Request.Repository.Packages = []string{"requests>=99"} },
			wantStatus: map[string]Status{"package requests>=99": Failed},
			wantDetail: map[string]string{"package requests>=99": `no version of requests on the index satisfies "requests>=99"; it lists 2.31.0, 2.32.3`},
			wantFailed: true,
		},
		{
			name:       "compatible release not on index",
			edit:       func(o *Options) { o.Request.Repository.Packages = []string{"requests~=3.0"} },
			wantStatus: map[string]Status{"package requests~=3.0": Failed},
			wantDetail: map[string]string{"package requests~=3.0": "it lists 2.31.0, 2.32.3"},
			wantFailed: true,
		},
		{
			name:       "exclusions leave no version",
			edit:       func(o *Options) { o.Request.Repository.Packages = []string{"requests!=2.31.0,!=2.32.3"} },
			wantStatus: map[string]Status{"package requests!=2.31.0,!=2.32.3": Failed},
			wantDetail: map[string]string{"package requests!=2.31.0,!=2.32.3": "it lists 2.31.0, 2.32.3"},
			wantFailed: true,
		},
		{
			name:       "pin equal to listed release",
			edit:       func(o *Options) { o.Request.Repository.Packages = []string{"requests==2.32.3.0"} },
			wantStatus: map[string]Status{"package requests==2.32.3.0": Passed},
		},
		{
			name:       "platform wheel in range",
			edit:       func(o *Options) { o.Request.Repository.Packages = []string{"numpy-lite>=1,<2"} },
			wantStatus: map[string]Status{"package numpy-lite>=1,<2": Warned},
			wantDetail: map[string]string{"package numpy-lite>=1,<2": "platform wheel"},
		},
		{
			name:       "platform wheel only",
			edit:       func(o *Options) { o.Request.Repository.Packages = []string{"numpy-lite"} },
			wantStatus: map[string]Status{"package numpy-lite": Warned},
		},
		{
			name:       "index URL without trailing slash",
			edit:       func(o *Options) { o.Request.Repository.IndexURL = "https://" + repoHost + "/simple" },
			wantStatus: map[string]Status{"index_url": Warned, "simple_api": Passed, "package requests": Passed},
		},
		{
			name: "token secret with user",
			edit: func(o *Options) {
				o.Request.Repository.Auth = request.Auth{Type: "token", TokenRef: "env:INDEX_TOKEN"}
				o.Username, o.Password = "", testUser+":"+testPassword
			},
			wantStatus: map[string]Status{"credential_template": Passed, "credentials": Passed},
		},
		{
			name: "token secret without user",
			edit: func(o *Options) {
				o.Request.Repository.Auth = request.Auth{Type: "token", TokenRef: "env:INDEX_TOKEN"}
				o.Username, o.Password = "", "bare#token%value"
			},
			wantStatus: map[string]Status{"credential_template": Warned, "credentials": Failed},
			wantDetail: map[string]string{"credential_template": "no user part"},
			wantFailed: true,
		},
		{
			name:       "procedures off",
			behavior:   pyindex.Behavior{Missing: []string{"snowflake-snowpark-python"}},
			edit:       func(o *Options) { o.Request.Repository.Procedures = false },
			wantAbsent: []string{"package snowflake-snowpark-python"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := newCA(t)
			idx := startIndex(t, ca, testUser, testPassword, repoHost)
			idx.SetBehavior(tt.behavior)
			opts := Options{
				HTTP:     servers{repoHost: idx.Addr()}.client(t, ca),
				Request:  testRequest(),
				Username: testUser,
				Password: testPassword,
				Sandbox:  true,
			}
			if tt.edit != nil {
				tt.edit(&opts)
			}

			report := Run(t.Context(), opts)
			got := statuses(report)
			for name, want := range tt.wantStatus {
				if got[name] != want {
					t.Errorf("check %s = %q, want %q (detail %q)", name, got[name], want, find(report, name).Detail)
				}
			}
			for name, want := range tt.wantDetail {
				if detail := find(report, name).Detail; !strings.Contains(detail, want) {
					t.Errorf("check %s detail = %q, want it to contain %q", name, detail, want)
				}
			}
			for _, name := range tt.wantAbsent {
				if _, ok := got[name]; ok {
					t.Errorf("check %s ran, want it left out", name)
				}
			}
			if report.Failed() != tt.wantFailed {
				t.Errorf("Failed() = %t, want %t; checks: %+v", report.Failed(), tt.wantFailed, report.Checks)
			}
			for _, c := range report.Checks {
				if c.Status != Passed && c.Status != Skipped && c.Fix == "" && c.Name != "simple_api" {
					t.Errorf("check %s is %s without a fix", c.Name, c.Status)
				}
			}
			checkNoSecret(t, report, testPassword)
		})
	}
}

// TestRunFileRedirect serves files from a second host that rejects any
// Authorization header, as object storage with signed URLs does.
func TestRunFileRedirect(t *testing.T) {
	tests := []struct {
		name         string
		extra        []string
		wantPrefixes Status
		wantPrivate  Status
	}{
		{"host not listed", nil, Failed, Warned},
		{"host listed", []string{"https://" + cdnHost}, Passed, Warned},
		{"wildcard listed", []string{"https://*.cdn.example.test"}, Passed, Warned},
		{"wildcard too deep", []string{"https://*.example.test"}, Failed, Warned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := newCA(t)
			idx := startIndex(t, ca, testUser, testPassword, repoHost)
			cdn := startIndex(t, ca, "", "", cdnHost)
			cdn.SetBehavior(pyindex.Behavior{RejectAuthorization: true})
			idx.SetBehavior(pyindex.Behavior{FileRedirect: "https://" + cdnHost + "/files/"})

			req := testRequest()
			req.Repository.ExtraAllowedPrefixes = tt.extra
			report := runSandbox(t, servers{repoHost: idx.Addr(), cdnHost: cdn.Addr()}.client(t, ca), req)

			got := statuses(report)
			if got["package requests"] != Passed {
				t.Errorf("package requests = %q, want passed (detail %q)", got["package requests"], find(report, "package requests").Detail)
			}
			if got["allowed_prefixes"] != tt.wantPrefixes {
				t.Errorf("allowed_prefixes = %q, want %q (detail %q)", got["allowed_prefixes"], tt.wantPrefixes, find(report, "allowed_prefixes").Detail)
			}
			if tt.wantPrefixes == Failed {
				if fix := find(report, "allowed_prefixes").Fix; !strings.Contains(fix, "https://"+cdnHost) {
					t.Errorf("allowed_prefixes fix = %q, want it to name https://%s", fix, cdnHost)
				}
			}
			if got["private_path"] != tt.wantPrivate {
				t.Errorf("private_path = %q, want %q", got["private_path"], tt.wantPrivate)
			}
			if got["credential_forwarding"] != Passed {
				t.Errorf("credential_forwarding = %q, want passed", got["credential_forwarding"])
			}
			if detail := find(report, "credential_forwarding").Detail; !strings.Contains(detail, cdnHost) {
				t.Errorf("credential_forwarding detail = %q, want it to name %s", detail, cdnHost)
			}
			if diff := cmp.Diff([]string{repoHost, cdnHost}, report.Hosts); diff != "" {
				t.Errorf("hosts (-want +got):\n%s", diff)
			}
			checkNoSecret(t, report, testPassword)
		})
	}
}

func TestRunCertificateProblems(t *testing.T) {
	selfSigned := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(selfSigned.Close)
	selfSignedAddr := selfSigned.Listener.Addr().String()

	ca := newCA(t)
	// The index certificate covers localhost and 127.0.0.1 only.
	otherName := startIndex(t, ca, testUser, testPassword)

	tests := []struct {
		name       string
		addr       string
		ca         *pyindex.CA
		sandbox    bool
		wantCheck  string
		wantDetail string
	}{
		{"self-signed", selfSignedAddr, ca, true, "tls_chain", "self-signed"},
		{"name not covered", otherName.Addr(), ca, true, "tls_names", "do not cover " + repoHost},
		{"sandbox without its CA", otherName.Addr(), nil, true, "tls_chain", "sandbox CA"},
		{"system pool", otherName.Addr(), nil, false, "tls_chain", "does not chain to the system CA pool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report := Run(t.Context(), Options{
				HTTP:     servers{repoHost: tt.addr}.client(t, tt.ca),
				Request:  testRequest(),
				Username: testUser,
				Password: testPassword,
				Sandbox:  tt.sandbox,
			})
			check := find(report, tt.wantCheck)
			if check.Status != Failed {
				t.Fatalf("check %s = %s (%q), want failed", tt.wantCheck, check.Status, check.Detail)
			}
			if !strings.Contains(check.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to contain %q", check.Detail, tt.wantDetail)
			}
			if check.Fix == "" {
				t.Error("failed TLS check has no fix")
			}
		})
	}
}

func TestRunShortLivedToken(t *testing.T) {
	const codeArtifact = "corp-123456789012.d.codeartifact.us-west-2.amazonaws.com"
	tests := []struct {
		name         string
		user         string
		wantTemplate Status
	}{
		{"user aws", "aws", Passed},
		{"other user", "svc", Warned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := newCA(t)
			idx := startIndex(t, ca, tt.user, testPassword, codeArtifact)
			now := time.Now()
			req := testRequest()
			req.Repository.IndexURL = "https://" + codeArtifact + "/pypi/corp/simple/"
			req.Repository.Auth.Username = tt.user

			report := Run(t.Context(), Options{
				HTTP:     servers{codeArtifact: idx.Addr()}.client(t, ca),
				Request:  req,
				Username: tt.user,
				Password: testPassword,
				Sandbox:  true,
				Now:      func() time.Time { return now },
			})

			got := statuses(report)
			if got["credential_lifetime"] != Warned {
				t.Errorf("credential_lifetime = %q, want warned", got["credential_lifetime"])
			}
			if got["credential_template"] != tt.wantTemplate {
				t.Errorf("credential_template = %q, want %q", got["credential_template"], tt.wantTemplate)
			}
			want := now.Add(12 * time.Hour)
			if report.CredentialExpiresAt == nil || !report.CredentialExpiresAt.Equal(want) {
				t.Errorf("CredentialExpiresAt = %v, want %v", report.CredentialExpiresAt, want)
			}
		})
	}
}

// TestRunRootNotListed serves the index behind a handler that returns 404
// for the root listing, as some products do, while projects work.
func TestRunArtifactRegistryToken(t *testing.T) {
	const artifactRegistry = "us-central1-python.pkg.dev"
	key := base64.StdEncoding.EncodeToString([]byte(`{"type":"service_account","project_id":"corp-prod"}`))
	tests := []struct {
		name, user, password string
		wantLifetime         Status
		wantExpiry           bool
	}{
		{"access token", "oauth2accesstoken", testPassword, Warned, true},
		{"service account key", "_json_key_base64", key, Passed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := newCA(t)
			idx := startIndex(t, ca, tt.user, tt.password, artifactRegistry)
			now := time.Now()
			req := testRequest()
			req.Repository.IndexURL = "https://" + artifactRegistry + "/corp-prod/pypi/simple/"
			req.Repository.Auth.Username = tt.user

			report := Run(t.Context(), Options{
				HTTP:     servers{artifactRegistry: idx.Addr()}.client(t, ca),
				Request:  req,
				Username: tt.user,
				Password: tt.password,
				Sandbox:  true,
				Now:      func() time.Time { return now },
			})

			if got := statuses(report)["credential_lifetime"]; got != tt.wantLifetime {
				t.Errorf("credential_lifetime = %q, want %q (detail %q)", got, tt.wantLifetime, find(report, "credential_lifetime").Detail)
			}
			if !tt.wantExpiry {
				if report.CredentialExpiresAt != nil {
					t.Errorf("CredentialExpiresAt = %v, want none for a key that does not expire", report.CredentialExpiresAt)
				}
				return
			}
			if want := now.Add(time.Hour); report.CredentialExpiresAt == nil || !report.CredentialExpiresAt.Equal(want) {
				t.Errorf("CredentialExpiresAt = %v, want %v", report.CredentialExpiresAt, want)
			}
			if fix := find(report, "credential_lifetime").Fix; !strings.Contains(fix, "_json_key_base64") {
				t.Errorf("credential_lifetime fix = %q, want it to name the service account key user", fix)
			}
		})
	}
}

func TestRunRootNotListed(t *testing.T) {
	ca := newCA(t)
	idx := startIndex(t, ca, testUser, testPassword, repoHost)
	addr := startInterceptedIndex(t, ca, idx, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/simple/" {
			return false
		}
		http.NotFound(w, r)
		return true
	})

	report := runSandbox(t, servers{repoHost: addr}.client(t, ca), testRequest())
	got := statuses(report)
	want := map[string]Status{"simple_api": Warned, "credentials": Passed, "package requests": Passed}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("check %s = %q, want %q (detail %q)", name, got[name], status, find(report, name).Detail)
		}
	}
	if report.Failed() {
		t.Errorf("Failed() = true, want false; checks: %+v", report.Checks)
	}
}

// TestRunProjectsForbidden serves the root but returns 403 for some or all
// project pages, as an index with package policies or narrow permissions
// does.
func TestRunProjectsForbidden(t *testing.T) {
	tests := []struct {
		name      string
		forbidden func(path string) bool
		wantCheck string
	}{
		{"one project", func(p string) bool { return p == "/simple/corp-utils/" }, "package corp_utils==2.3.1"},
		{"every project", func(p string) bool { return p != "/simple/" }, "permissions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := newCA(t)
			idx := startIndex(t, ca, testUser, testPassword, repoHost)
			addr := startInterceptedIndex(t, ca, idx, func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasPrefix(r.URL.Path, "/simple/") || !tt.forbidden(r.URL.Path) {
					return false
				}
				http.Error(w, "forbidden", http.StatusForbidden)
				return true
			})

			report := runSandbox(t, servers{repoHost: addr}.client(t, ca), testRequest())
			got := find(report, tt.wantCheck)
			if got.Status != Failed {
				t.Errorf("check %s = %q, want failed; checks: %+v", tt.wantCheck, got.Status, report.Checks)
			}
			if !strings.Contains(got.Detail, "403") {
				t.Errorf("check %s detail = %q, want it to name 403", tt.wantCheck, got.Detail)
			}
		})
	}
}

// TestPrivatePathWithoutProxy checks that with proxy none the warning about
// files on another host names the target address, not an absent upstream.
func TestPrivatePathWithoutProxy(t *testing.T) {
	ca := newCA(t)
	idx := startIndex(t, ca, testUser, testPassword, repoHost)
	cdn := startIndex(t, ca, "", "", cdnHost)
	idx.SetBehavior(pyindex.Behavior{FileRedirect: "https://" + cdnHost + "/files/"})

	req := testRequest()
	req.Repository.ExtraAllowedPrefixes = []string{"https://" + cdnHost}
	req.AWS.Proxy = "none"
	req.AWS.TargetAddress = "10.0.1.25"
	req.AWS.Upstream = ""
	report := runSandbox(t, servers{repoHost: idx.Addr(), cdnHost: cdn.Addr()}.client(t, ca), req)

	detail := find(report, "private_path").Detail
	if !strings.Contains(detail, "aws.target_address (10.0.1.25)") {
		t.Errorf("private_path detail = %q, want it to name aws.target_address", detail)
	}
	if strings.Contains(detail, "aws.upstream") {
		t.Errorf("private_path detail = %q names aws.upstream, which proxy none does not use", detail)
	}
}
