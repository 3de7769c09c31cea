package preflight

import (
	"encoding/base64"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/repoindex"
	"github.com/repolink/repolink/shared/request"
)

func TestCoversHost(t *testing.T) {
	tests := []struct {
		names []string
		host  string
		want  bool
	}{
		{[]string{"pypi.example.com"}, "pypi.example.com", true},
		{[]string{"PyPI.Example.com."}, "pypi.example.com", true},
		{[]string{"*.example.com"}, "pypi.example.com", true},
		{[]string{"*.example.com"}, "example.com", false},
		{[]string{"*.example.com"}, "a.pypi.example.com", false},
		{[]string{"p*.example.com"}, "pypi.example.com", false},
		{[]string{"*.*.example.com"}, "a.b.example.com", false},
		{[]string{"*.com"}, "example.com", false},
		{[]string{"*"}, "example", false},
		{[]string{"other.example.com", "*.example.com"}, "pypi.example.com", true},
		{nil, "pypi.example.com", false},
	}
	for _, tt := range tests {
		if _, got := coversHost(tt.names, tt.host); got != tt.want {
			t.Errorf("coversHost(%q, %q) = %t, want %t", tt.names, tt.host, got, tt.want)
		}
	}
}

func TestUnderPrefix(t *testing.T) {
	tests := []struct {
		url    string
		prefix string
		want   bool
	}{
		{"https://pypi.example.com/simple/x/", "https://pypi.example.com", true},
		{"https://PYPI.example.com/simple/", "https://pypi.example.com", true},
		{"https://pypi.example.com:443/simple/", "https://pypi.example.com", true},
		{"https://pypi.example.com:8443/simple/", "https://pypi.example.com", false},
		{"https://pypi.example.com:8443/simple/", "https://pypi.example.com:8443", true},
		{"http://pypi.example.com/simple/", "https://pypi.example.com", false},
		{"https://cdn.example.com/files/a.whl", "https://pypi.example.com", false},
		{"https://a.blob.core.windows.net/f", "https://*.blob.core.windows.net", true},
		{"https://a.b.blob.core.windows.net/f", "https://*.blob.core.windows.net", false},
		{"https://blob.core.windows.net/f", "https://*.blob.core.windows.net", false},
		{"https://cdn.example.com/pypi/a.whl", "https://cdn.example.com/pypi", true},
		{"https://cdn.example.com/other/a.whl", "https://cdn.example.com/pypi", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := underPrefix(u, tt.prefix); got != tt.want {
			t.Errorf("underPrefix(%s, %s) = %t, want %t", tt.url, tt.prefix, got, tt.want)
		}
	}
}

func TestAllowedPrefixesMatchIntegration(t *testing.T) {
	index, err := url.Parse("https://PyPI.example.com/artifactory/api/pypi/pypi/simple/")
	if err != nil {
		t.Fatal(err)
	}
	got := allowedPrefixes(index, []string{"https://cdn.example.com/", "https://pypi.example.com"})
	want := []string{"https://pypi.example.com", "https://cdn.example.com"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("allowedPrefixes = %q, want %q", got, want)
	}
}

func TestSuggestIndexURL(t *testing.T) {
	tests := map[string]string{
		"https://h.example.com/simple":                                 "https://h.example.com/simple/",
		"https://h.example.com/simple/requests/":                       "https://h.example.com/simple/",
		"https://h.example.com/repository/pypi":                        "https://h.example.com/repository/pypi/simple/",
		"https://h.example.com/artifactory/api/pypi/pypi-remote/":      "https://h.example.com/artifactory/api/pypi/pypi-remote/simple/",
		"https://h.example.com/api/v4/projects/7/packages/pypi/simple": "https://h.example.com/api/v4/projects/7/packages/pypi/simple/",
	}
	for in, want := range tests {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := suggestIndexURL(u); got != want {
			t.Errorf("suggestIndexURL(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCredentialTemplates(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte(`{"type":"service_account","project_id":"p"}`))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		host         string
		authType     string
		user         string
		password     string
		wantTemplate Status
		wantLifetime Status
		wantExpiry   time.Duration
	}{
		{"generic password", "pypi.example.com", "password", "svc", "pw", Passed, Passed, 0},
		{"generic token with user", "pypi.example.com", "token", "", "svc:tok", Passed, Passed, 0},
		{"generic token without user", "pypi.example.com", "token", "", "tok", Warned, Passed, 0},
		{"codeartifact aws", "corp-123456789012.d.codeartifact.eu-west-1.amazonaws.com", "password", "aws", "tok", Passed, Warned, 12 * time.Hour},
		{"codeartifact other user", "corp-123456789012.d.codeartifact.eu-west-1.amazonaws.com", "password", "admin", "tok", Warned, Warned, 12 * time.Hour},
		{"codeartifact token secret", "corp-123456789012.d.codeartifact.eu-west-1.amazonaws.com", "token", "", "aws:tok", Passed, Warned, 12 * time.Hour},
		{"artifact registry key", "us-central1-python.pkg.dev", "password", arKeyUser, key, Passed, Passed, 0},
		{"artifact registry bad key", "us-central1-python.pkg.dev", "password", arKeyUser, "not-a-key", Warned, Passed, 0},
		{"artifact registry access token", "us-central1-python.pkg.dev", "password", arTokenUser, "ya29.x", Passed, Warned, time.Hour},
		{"artifact registry other user", "us-central1-python.pkg.dev", "password", "svc", "x", Warned, Passed, 0},
		{"azure devops pat as user", "pkgs.dev.azure.com", "password", "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst", "x", Warned, Passed, 0},
		{"azure devops any user", "pkgs.dev.azure.com", "password", "build", "pat", Passed, Passed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &run{
				opts: Options{
					Request:  request.Request{Repository: request.Repository{Auth: request.Auth{Type: tt.authType}}},
					Username: tt.user,
					Password: tt.password,
				},
				host:    tt.host,
				started: now,
			}
			r.checkCredentialTemplate()
			r.checkCredentialLifetime()

			if got := find(r.report, "credential_template"); got.Status != tt.wantTemplate {
				t.Errorf("credential_template = %s (%q), want %s", got.Status, got.Detail, tt.wantTemplate)
			}
			if got := find(r.report, "credential_lifetime"); got.Status != tt.wantLifetime {
				t.Errorf("credential_lifetime = %s (%q), want %s", got.Status, got.Detail, tt.wantLifetime)
			}
			switch {
			case tt.wantExpiry == 0 && r.report.CredentialExpiresAt != nil:
				t.Errorf("CredentialExpiresAt = %v, want nil", r.report.CredentialExpiresAt)
			case tt.wantExpiry != 0 && (r.report.CredentialExpiresAt == nil || !r.report.CredentialExpiresAt.Equal(now.Add(tt.wantExpiry))):
				t.Errorf("CredentialExpiresAt = %v, want %v", r.report.CredentialExpiresAt, now.Add(tt.wantExpiry))
			}
			checkNoSecret(t, r.report, key, "ya29.x")
		})
	}
}

func TestAuthorizationHeader(t *testing.T) {
	tests := []struct {
		name     string
		authType string
		user     string
		password string
		want     string
	}{
		{"password", "password", "svc@example.com", "p@ss#w%rd/^:x", "Basic " + base64.StdEncoding.EncodeToString([]byte("svc@example.com:p@ss#w%rd/^:x"))},
		{"token sent as is", "token", "ignored", "aws:tok", "Basic " + base64.StdEncoding.EncodeToString([]byte("aws:tok"))},
		{"token without colon", "token", "", "tok", "Basic " + base64.StdEncoding.EncodeToString([]byte("tok"))},
		{"no credential", "password", "", "", ""},
	}
	for _, tt := range tests {
		r := &run{opts: Options{
			Request:  request.Request{Repository: request.Repository{Auth: request.Auth{Type: tt.authType}}},
			Username: tt.user, Password: tt.password,
		}}
		if got := r.authorization(); got != tt.want {
			t.Errorf("%s: authorization() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestListedVersionsMarksYanked(t *testing.T) {
	project := repoindex.Project{Name: "demo", Files: []repoindex.File{
		{Filename: "demo-1.0.tar.gz", Version: "1.0"},
		{Filename: "demo-1.0-py3-none-any.whl", Version: "1.0"},
		{Filename: "demo-2.0.tar.gz", Version: "2.0", Yanked: true},
		{Filename: "demo-2.0-py3-none-any.whl", Version: "2.0", Yanked: true},
		{Filename: "demo-3.0.tar.gz", Version: "3.0", Yanked: true},
		{Filename: "demo-3.0-py3-none-any.whl", Version: "3.0"},
		{Filename: "README.txt"},
	}}
	want := []string{"1.0", "2.0 (yanked)", "3.0"}
	if diff := cmp.Diff(want, listedVersions(project)); diff != "" {
		t.Errorf("listedVersions (-want +got):\n%s", diff)
	}
}
