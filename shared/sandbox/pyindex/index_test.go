package pyindex

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testUser = "svc@example.com"
	// testPassword contains every character that breaks credentials
	// embedded in a URL.
	testPassword = "p@ss#w%rd/^:x"
)

func startIndex(t *testing.T) *Index {
	t.Helper()
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	idx, err := Start(t.Context(), Options{
		Hosts: []string{"repo.example.com"}, Username: testUser, Password: testPassword, CA: ca,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

// newClient returns a client that trusts the index CA and does not follow
// redirects, so tests see each response.
func newClient(idx *Index) *http.Client {
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: idx.CA().Pool()}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

type response struct {
	status      int
	contentType string
	location    string
	body        string
}

func get(t *testing.T, c *http.Client, url, accept string, auth bool) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if auth {
		req.SetBasicAuth(testUser, testPassword)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Location"), string(body)}
}

func TestIndexAuthentication(t *testing.T) {
	idx := startIndex(t)
	c := newClient(idx)
	root := idx.URL()

	tests := []struct {
		name     string
		behavior Behavior
		auth     bool
		want     int
	}{
		{"valid credentials", Behavior{}, true, http.StatusOK},
		{"missing credentials", Behavior{}, false, http.StatusUnauthorized},
		{"hidden as not found", Behavior{RejectStatus: http.StatusNotFound}, false, http.StatusNotFound},
		{"denied", Behavior{RejectStatus: http.StatusForbidden}, false, http.StatusForbidden},
		{"authorization rejected", Behavior{RejectAuthorization: true}, true, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx.SetBehavior(tt.behavior)
			t.Cleanup(func() { idx.SetBehavior(Behavior{}) })
			if got := get(t, c, root, "", tt.auth); got.status != tt.want {
				t.Errorf("status = %d, want %d", got.status, tt.want)
			}
		})
	}
}

func TestIndexSetCredentials(t *testing.T) {
	idx := startIndex(t)
	c := newClient(idx)

	idx.SetCredentials("other", "secret")
	if got := get(t, c, idx.URL(), "", true); got.status != http.StatusUnauthorized {
		t.Errorf("old credentials: status = %d, want 401", got.status)
	}
	idx.SetCredentials(testUser, testPassword)
	if got := get(t, c, idx.URL(), "", true); got.status != http.StatusOK {
		t.Errorf("restored credentials: status = %d, want 200", got.status)
	}
}

// statusFor returns the status of GET /simple/ on the index for host, as
// the Host header names it, with basic auth when user or pass is set.
func statusFor(t *testing.T, idx *Index, host, user, pass string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, idx.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := newClient(idx).Do(req)
	if err != nil {
		t.Fatalf("GET %s for host %s: %v", idx.URL(), host, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestIndexAcceptsEveryHostCredential(t *testing.T) {
	ctx := t.Context()
	idx, err := Start(ctx, Options{Hosts: []string{"corp.example.com", "public.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	for _, c := range []struct{ host, name, user, pass string }{
		{"corp.example.com", "secret-a", "svc", "password-a"},
		{"Corp.Example.com", "secret-b", "svc", "password-b"},
		{"public.example.com", "token", "sandbox", "token-c"},
	} {
		if err := idx.SetCredential(c.host, c.name, c.user, c.pass); err != nil {
			t.Fatalf("SetCredential(%s, %s): %v", c.host, c.name, err)
		}
	}

	tests := []struct {
		name, host, user, pass string
		want                   int
	}{
		{"first password", "corp.example.com", "svc", "password-a", http.StatusOK},
		{"second password", "corp.example.com", "svc", "password-b", http.StatusOK},
		{"host with port", "corp.example.com:443", "svc", "password-a", http.StatusOK},
		{"token of the other host", "public.example.com", "sandbox", "token-c", http.StatusOK},
		{"wrong password", "corp.example.com", "svc", "password-c", http.StatusUnauthorized},
		{"wrong user", "corp.example.com", "other", "password-a", http.StatusUnauthorized},
		{"no credentials", "corp.example.com", "", "", http.StatusUnauthorized},
		{"credential of another host", "public.example.com", "svc", "password-a", http.StatusUnauthorized},
		{"host without credentials", "127.0.0.1", "svc", "password-a", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusFor(t, idx, tt.host, tt.user, tt.pass); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}

	// A new password under the same host and name replaces the old one.
	if err := idx.SetCredential("corp.example.com", "secret-a", "svc", "rotated-a"); err != nil {
		t.Fatal(err)
	}
	if got := statusFor(t, idx, "corp.example.com", "svc", "password-a"); got != http.StatusUnauthorized {
		t.Errorf("replaced password: status = %d, want 401", got)
	}
	if got := statusFor(t, idx, "corp.example.com", "svc", "rotated-a"); got != http.StatusOK {
		t.Errorf("new password: status = %d, want 200", got)
	}
	if got := statusFor(t, idx, "corp.example.com", "svc", "password-b"); got != http.StatusOK {
		t.Errorf("other credential after the replacement: status = %d, want 200", got)
	}
}

func TestIndexCredentialsPersistInDir(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(t.Context(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.SetCredential("corp.example.com", "secret-a", "svc", testPassword); err != nil {
		t.Fatal(err)
	}
	first.Close()

	data, err := os.ReadFile(filepath.Join(dir, credentialFile))
	if err != nil {
		t.Fatalf("credentials file: %v", err)
	}
	if strings.Contains(string(data), testPassword) {
		t.Error("credentials file contains the password")
	}

	second, err := Start(t.Context(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	if got := statusFor(t, second, "corp.example.com", "svc", testPassword); got != http.StatusOK {
		t.Errorf("credential of the earlier index: status = %d, want 200", got)
	}
	if got := statusFor(t, second, "corp.example.com", "svc", "wrong"); got != http.StatusUnauthorized {
		t.Errorf("wrong password: status = %d, want 401", got)
	}
}

func TestIndexNegotiation(t *testing.T) {
	idx := startIndex(t)
	c := newClient(idx)
	page := idx.URL() + "requests/"

	tests := []struct {
		name     string
		accept   string
		htmlOnly bool
		want     string
		status   int
	}{
		{"no accept header", "", false, "text/html; charset=utf-8", 200},
		{"wildcard", "*/*", false, "text/html; charset=utf-8", 200},
		{"json preferred",
			"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01",
			false, typeJSON, 200},
		{"latest json", "application/vnd.pypi.simple.latest+json", false, typeJSON, 200},
		{"html v1 preferred", "application/vnd.pypi.simple.v1+html, text/html;q=0.5", false,
			"application/vnd.pypi.simple.v1+html; charset=utf-8", 200},
		{"json refused", "application/vnd.pypi.simple.v1+json;q=0, text/html", false,
			"text/html; charset=utf-8", 200},
		{"html only server", "application/vnd.pypi.simple.v1+json, text/html;q=0.01", true,
			"text/html; charset=utf-8", 200},
		{"nothing acceptable", "application/xml", false, "", http.StatusNotAcceptable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx.SetBehavior(Behavior{HTMLOnly: tt.htmlOnly})
			t.Cleanup(func() { idx.SetBehavior(Behavior{}) })
			got := get(t, c, page, tt.accept, true)
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d", got.status, tt.status)
			}
			if tt.status == 200 && got.contentType != tt.want {
				t.Errorf("Content-Type = %q, want %q", got.contentType, tt.want)
			}
		})
	}
}

func TestIndexProjectPageLinksHashes(t *testing.T) {
	idx := startIndex(t)
	c := newClient(idx)

	got := get(t, c, idx.URL()+"requests/", "", true)
	for _, f := range idx.Files() {
		if f.Project != "requests" {
			continue
		}
		want := `href="../../files/` + f.Filename + `#sha256=` + f.SHA256 + `"`
		if !strings.Contains(got.body, want) {
			t.Errorf("page lacks %s:\n%s", want, got.body)
		}
	}

	js := get(t, c, idx.URL()+"requests/", typeJSON, true)
	var page struct {
		Name  string `json:"name"`
		Files []struct {
			Filename string            `json:"filename"`
			URL      string            `json:"url"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(js.body), &page); err != nil {
		t.Fatalf("decode JSON page: %v", err)
	}
	var names []string
	for _, f := range page.Files {
		names = append(names, f.Filename)
	}
	want := []string{"requests-2.31.0-py3-none-any.whl", "requests-2.32.3-py3-none-any.whl"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("JSON files (-want +got):\n%s", diff)
	}
}

func TestIndexRedirectsToNormalisedName(t *testing.T) {
	idx := startIndex(t)
	c := newClient(idx)

	tests := map[string]string{
		"Snowflake_Snowpark.Python/": "/simple/snowflake-snowpark-python/",
		"requests":                   "/simple/requests/",
	}
	for path, want := range tests {
		got := get(t, c, idx.URL()+path, "", true)
		if got.status != http.StatusMovedPermanently || got.location != want {
			t.Errorf("GET %s = %d %q, want 301 %q", path, got.status, got.location, want)
		}
	}
	if got := get(t, c, idx.URL()+"no-such-project/", "", true); got.status != http.StatusNotFound {
		t.Errorf("unknown project: status = %d, want 404", got.status)
	}
}

func TestIndexServesFiles(t *testing.T) {
	idx := startIndex(t)
	c := newClient(idx)
	base := strings.TrimSuffix(idx.URL(), "/simple/")

	for _, f := range idx.Files() {
		got := get(t, c, base+"/files/"+f.Filename, "", true)
		if got.status != http.StatusOK {
			t.Errorf("%s: status = %d, want 200", f.Filename, got.status)
			continue
		}
		sum := sha256.Sum256([]byte(got.body))
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: body hash differs from the advertised sha256", f.Filename)
		}
	}

	idx.SetBehavior(Behavior{FileRedirect: "https://cdn.example.com/files/"})
	f := idx.Files()[0]
	got := get(t, c, base+"/files/"+f.Filename, "", true)
	if got.status != http.StatusFound || got.location != "https://cdn.example.com/files/"+f.Filename {
		t.Errorf("redirected file = %d %q, want 302 to the CDN", got.status, got.location)
	}
}

func TestIndexStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	idx, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	// Close after the context stopped the server must still succeed.
	if err := idx.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
}
