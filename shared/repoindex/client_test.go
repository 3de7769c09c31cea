package repoindex

import (
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/repolink/repolink/shared/sandbox/pyindex"
)

const (
	testUser = "svc@example.com"
	// testPassword contains every character that breaks credentials
	// embedded in a URL.
	testPassword = "p@ss#w%rd/^:x"
)

type sandbox struct {
	index *pyindex.Index
	http  *http.Client
}

func startSandbox(t *testing.T) sandbox {
	t.Helper()
	ca, err := pyindex.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	idx, err := pyindex.Start(t.Context(), pyindex.Options{
		Username: testUser, Password: testPassword, CA: ca,
	})
	if err != nil {
		t.Fatalf("start index: %v", err)
	}
	t.Cleanup(func() { idx.Close() })
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	return sandbox{index: idx, http: hc}
}

func (s sandbox) client() *Client {
	return &Client{HTTP: s.http, IndexURL: s.index.URL(), Username: testUser, Password: testPassword}
}

func (s sandbox) sha256(t *testing.T, filename string) string {
	t.Helper()
	for _, f := range s.index.Files() {
		if f.Filename == filename {
			return f.SHA256
		}
	}
	t.Fatalf("index has no file %s", filename)
	return ""
}

func TestProjectParsesBothForms(t *testing.T) {
	s := startSandbox(t)
	base := strings.TrimSuffix(s.index.URL(), "simple/")

	want := Project{
		Name: "requests",
		URL:  s.index.URL() + "requests/",
		Files: []File{
			{
				Filename:       "requests-2.31.0-py3-none-any.whl",
				URL:            base + "files/requests-2.31.0-py3-none-any.whl",
				SHA256:         s.sha256(t, "requests-2.31.0-py3-none-any.whl"),
				Version:        "2.31.0",
				RequiresPython: ">=3.7",
			},
			{
				Filename:       "requests-2.32.3-py3-none-any.whl",
				URL:            base + "files/requests-2.32.3-py3-none-any.whl",
				SHA256:         s.sha256(t, "requests-2.32.3-py3-none-any.whl"),
				Version:        "2.32.3",
				RequiresPython: ">=3.8",
			},
		},
	}

	for _, htmlOnly := range []bool{false, true} {
		s.index.SetBehavior(pyindex.Behavior{HTMLOnly: htmlOnly})
		got, err := s.client().Project(t.Context(), "Requests")
		if err != nil {
			t.Fatalf("Project (HTML only %t): %v", htmlOnly, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Project (HTML only %t) (-want +got):\n%s", htmlOnly, diff)
		}
	}
}

func TestProjectNormalisesName(t *testing.T) {
	s := startSandbox(t)
	got, err := s.client().Project(t.Context(), "Snowflake_Snowpark.Python")
	if err != nil {
		t.Fatalf("Project: %v", err)
	}
	if got.Name != "snowflake-snowpark-python" || len(got.Files) != 1 {
		t.Errorf("Project = %s with %d files, want snowflake-snowpark-python with 1", got.Name, len(got.Files))
	}
}

func TestParseHTMLResolvesLinks(t *testing.T) {
	page := mustParseURL(t, "https://repo.example.com/api/pypi/simple/pkg/")
	body := `<html><body>
<a href="../../packages/pkg-1.0-py3-none-any.whl#sha256=ABCDEF" data-requires-python="&gt;=3.8">pkg-1.0-py3-none-any.whl</a>
<a href="https://cdn.example.com/p/pkg-1.1-py3-none-any.whl?sig=x" data-yanked="">pkg-1.1-py3-none-any.whl</a>
<a name="no-href">ignored</a>
</body></html>`

	got, err := parseHTML([]byte(body), page)
	if err != nil {
		t.Fatalf("parseHTML: %v", err)
	}
	want := []File{
		{Filename: "pkg-1.0-py3-none-any.whl",
			URL:    "https://repo.example.com/api/pypi/packages/pkg-1.0-py3-none-any.whl",
			SHA256: "abcdef", RequiresPython: ">=3.8"},
		{Filename: "pkg-1.1-py3-none-any.whl",
			URL: "https://cdn.example.com/p/pkg-1.1-py3-none-any.whl?sig=x", Yanked: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseHTML (-want +got):\n%s", diff)
	}
}

func TestParseHTMLUsesBaseElement(t *testing.T) {
	page := mustParseURL(t, "https://repo.example.com/simple/pkg/")
	body := `<html><head><base href="https://files.example.com/root/"></head>
<body><a href="pkg-1.0-py3-none-any.whl">pkg-1.0-py3-none-any.whl</a></body></html>`

	got, err := parseHTML([]byte(body), page)
	if err != nil {
		t.Fatalf("parseHTML: %v", err)
	}
	if len(got) != 1 || got[0].URL != "https://files.example.com/root/pkg-1.0-py3-none-any.whl" {
		t.Errorf("parseHTML = %+v, want one file under the base URL", got)
	}
}

func TestInstallSelectsWheel(t *testing.T) {
	s := startSandbox(t)

	tests := []struct {
		requirement string
		want        Installed
	}{
		{"requests==2.32.3", Installed{Name: "requests", Version: "2.32.3",
			Filename: "requests-2.32.3-py3-none-any.whl"}},
		{"requests", Installed{Name: "requests", Version: "2.32.3",
			Filename: "requests-2.32.3-py3-none-any.whl"}},
		{"requests>=2.31,<2.32", Installed{Name: "requests", Version: "2.31.0",
			Filename: "requests-2.31.0-py3-none-any.whl"}},
		{"requests!=2.32.3", Installed{Name: "requests", Version: "2.31.0",
			Filename: "requests-2.31.0-py3-none-any.whl"}},
		{"urllib3<2", Installed{Name: "urllib3", Version: "1.26.18",
			Filename: "urllib3-1.26.18-py2.py3-none-any.whl"}},
		{"Snowflake_Snowpark_Python==1.25.0", Installed{Name: "snowflake-snowpark-python",
			Version: "1.25.0", Filename: "snowflake_snowpark_python-1.25.0-py3-none-any.whl",
			Requires: []string{"cloudpickle (>=1.6.0)"}}},
		{"corp-utils==2.3.1", Installed{Name: "corp-utils", Version: "2.3.1",
			Filename: "corp_utils-2.3.1-py3-none-any.whl"}},
	}
	for _, tt := range tests {
		t.Run(tt.requirement, func(t *testing.T) {
			got, err := s.client().Install(t.Context(), []string{tt.requirement})
			if err != nil {
				t.Fatalf("Install: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("Install returned %d wheels, want 1", len(got))
			}
			tt.want.SHA256 = s.sha256(t, tt.want.Filename)
			opts := cmpopts.IgnoreFields(Installed{}, "URL", "FinalURL")
			if tt.want.Requires == nil {
				opts = cmpopts.IgnoreFields(Installed{}, "URL", "FinalURL", "Requires")
			}
			if diff := cmp.Diff(tt.want, got[0], opts); diff != "" {
				t.Errorf("Install (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstallErrors(t *testing.T) {
	s := startSandbox(t)

	tests := []struct {
		name        string
		behavior    pyindex.Behavior
		password    string
		requirement string
		wantIs      error
		wantStatus  int
	}{
		{name: "no pure-Python wheel", requirement: "numpy-lite", wantIs: ErrNoMatch},
		{name: "no satisfying version", requirement: "requests>=3", wantIs: ErrNoVersion},
		{name: "missing project", requirement: "no-such-project", wantStatus: http.StatusNotFound},
		{name: "wrong password", password: "wrong", requirement: "requests",
			wantStatus: http.StatusUnauthorized},
		{name: "wrong password hidden as 404", password: "wrong", requirement: "requests",
			behavior: pyindex.Behavior{RejectStatus: http.StatusNotFound}, wantStatus: http.StatusNotFound},
		{name: "wrong password denied", password: "wrong", requirement: "requests",
			behavior: pyindex.Behavior{RejectStatus: http.StatusForbidden}, wantStatus: http.StatusForbidden},
		{name: "wrong hash", requirement: "requests", behavior: pyindex.Behavior{WrongHashes: true},
			wantIs: ErrHashMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.index.SetBehavior(tt.behavior)
			t.Cleanup(func() { s.index.SetBehavior(pyindex.Behavior{}) })
			c := s.client()
			if tt.password != "" {
				c.Password = tt.password
			}

			_, err := c.Install(t.Context(), []string{tt.requirement})
			if err == nil {
				t.Fatal("Install succeeded, want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Install error = %v, want %v", err, tt.wantIs)
			}
			if tt.wantStatus != 0 {
				var herr *HTTPError
				if !errors.As(err, &herr) {
					t.Fatalf("Install error = %v, want *HTTPError", err)
				}
				if herr.Status != tt.wantStatus {
					t.Errorf("HTTPError.Status = %d, want %d", herr.Status, tt.wantStatus)
				}
			}
			if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), c.Password) {
				t.Errorf("error text contains the password: %v", err)
			}
		})
	}
}

func TestSelectWheelNoMatch(t *testing.T) {
	project := Project{Name: "demo", Files: []File{
		{Filename: "demo-1.0-py3-none-any.whl", Version: "1.0"},
		{Filename: "demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl", Version: "2.0"},
		{Filename: "demo-3.0.tar.gz", Version: "3.0"},
		{Filename: "demo-4.0-py3-none-any.whl", Version: "4.0", Yanked: true},
	}}
	tests := []struct {
		requirement string
		// want is the selected filename, or "" when selection fails.
		want   string
		wantIs error
	}{
		{requirement: "demo", want: "demo-1.0-py3-none-any.whl"},
		{requirement: "demo==4.0", want: "demo-4.0-py3-none-any.whl"},
		{requirement: "demo>=9", wantIs: ErrNoVersion},
		{requirement: "demo~=9.0", wantIs: ErrNoVersion},
		{requirement: "demo!=1.0,<2", wantIs: ErrNoVersion},
		{requirement: "demo===9", wantIs: ErrNoVersion},
		{requirement: "demo>=4,<4.1", wantIs: ErrNoVersion},
		{requirement: "demo==2.0", wantIs: ErrNoMatch},
		{requirement: "demo>=3,<4", wantIs: ErrNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.requirement, func(t *testing.T) {
			req, err := parseRequirement(tt.requirement)
			if err != nil {
				t.Fatal(err)
			}
			file, err := selectWheel(project, req)
			if tt.wantIs == nil {
				if err != nil {
					t.Fatalf("selectWheel: %v", err)
				}
				if file.Filename != tt.want {
					t.Errorf("selectWheel = %s, want %s", file.Filename, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("selectWheel error = %v, want %v", err, tt.wantIs)
			}
		})
	}
}

func TestInstallRejectsInsecureLinks(t *testing.T) {
	s := startSandbox(t)
	s.index.SetBehavior(pyindex.Behavior{InsecureLinks: true})

	_, err := s.client().Install(t.Context(), []string{"requests"})
	if err == nil || !strings.Contains(err.Error(), "is not https") {
		t.Errorf("Install with http:// links = %v, want a not https error", err)
	}
}

// A file redirect to another origin must arrive without the repository
// credentials, or object storage rejects the signed request.
func TestInstallDropsCredentialsOnCrossOriginRedirect(t *testing.T) {
	s := startSandbox(t)
	storage, err := pyindex.Start(t.Context(), pyindex.Options{CA: s.index.CA()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { storage.Close() })
	storage.SetBehavior(pyindex.Behavior{RejectAuthorization: true})
	// Same host, other port: a different origin that Go's client alone
	// would still send the Authorization header to.
	storageFiles := "https://" + storage.Addr() + "/files/"
	s.index.SetBehavior(pyindex.Behavior{FileRedirect: storageFiles})

	got, err := s.client().Install(t.Context(), []string{"cloudpickle==3.0.0"})
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	if want := storageFiles + "cloudpickle-3.0.0-py3-none-any.whl"; got[0].FinalURL != want {
		t.Errorf("FinalURL = %s, want %s", got[0].FinalURL, want)
	}
}

func TestClientRejectsCredentialsInURL(t *testing.T) {
	c := &Client{IndexURL: "https://user:secret@repo.example.com/simple/"}
	_, err := c.Project(t.Context(), "requests")
	if err == nil {
		t.Fatal("Project succeeded, want an error")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error text contains the password: %v", err)
	}
}

func TestHTTPErrorOmitsQuery(t *testing.T) {
	u := mustParseURL(t, "https://user:pw@cdn.example.com/f.whl?X-Amz-Signature=abc#frag")
	e := &HTTPError{URL: redact(u), Status: http.StatusForbidden}
	if want := "GET https://cdn.example.com/f.whl: 403 Forbidden"; e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}
