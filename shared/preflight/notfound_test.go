package preflight

import (
	"net/http"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/sandbox/pyindex"
)

// TestRunNotFoundFix checks the fix for an index that returns 404 to the
// root and to a project with the credential: it names repository.index_url
// and the expected form first, and gives a product's token advice only on
// that product's host.
func TestRunNotFoundFix(t *testing.T) {
	const codeArtifactHost = "corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com"
	tests := []struct {
		name, host, indexURL, user string
		// wantForm is the index URL form that the fix names.
		wantForm string
		// wantAdvice and notAdvice are parts of the credential advice that
		// the fix contains or leaves out.
		wantAdvice, notAdvice string
	}{
		{
			name: "plain index", host: repoHost, indexURL: "https://" + repoHost + "/corp/simple/", user: testUser,
			wantForm:   "the URL of an existing repository's simple index, ending in /simple/",
			wantAdvice: "check $.repository.auth.username and the password", notAdvice: "codeartifact",
		},
		{
			name: "artifactory", host: "art.acme.example.com", user: testUser,
			indexURL:   "https://art.acme.example.com/artifactory/api/pypi/pypi-remote/simple/",
			wantForm:   "https://art.acme.example.com/artifactory/api/pypi/<repository-key>/simple/",
			wantAdvice: "check $.repository.auth.username and the password", notAdvice: "codeartifact",
		},
		{
			name: "nexus", host: "nexus.acme.example.com", user: testUser,
			indexURL:   "https://nexus.acme.example.com/repository/pypi-all/simple/",
			wantForm:   "https://nexus.acme.example.com/repository/<repository-name>/simple/",
			wantAdvice: "check $.repository.auth.username and the password", notAdvice: "codeartifact",
		},
		{
			name: "codeartifact", host: codeArtifactHost, user: "aws",
			indexURL:   "https://" + codeArtifactHost + "/pypi/main/simple/",
			wantForm:   "https://" + codeArtifactHost + "/pypi/<repository>/simple/",
			wantAdvice: "aws codeartifact get-authorization-token", notAdvice: "$.repository.auth.username",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := newCA(t)
			idx := startIndex(t, ca, tt.user, testPassword, tt.host)
			idx.SetBehavior(pyindex.Behavior{RejectStatus: http.StatusNotFound})
			req := testRequest()
			req.Repository.IndexURL = tt.indexURL
			req.Repository.Auth.Username = tt.user
			report := Run(t.Context(), Options{
				HTTP:     servers{tt.host: idx.Addr()}.client(t, ca),
				Request:  req,
				Username: tt.user,
				Password: "expired",
				Sandbox:  true,
			})

			check := find(report, "credentials")
			if check.Status != Failed {
				t.Fatalf("credentials = %q, want failed; checks: %+v", check.Status, report.Checks)
			}
			if !strings.HasPrefix(check.Fix, "check that $.repository.index_url is ") {
				t.Errorf("fix = %q, want it to start with repository.index_url", check.Fix)
			}
			form := strings.Index(check.Fix, tt.wantForm)
			if form < 0 {
				t.Errorf("fix = %q, want it to contain %q", check.Fix, tt.wantForm)
			}
			advice := strings.Index(check.Fix, tt.wantAdvice)
			if advice < 0 {
				t.Errorf("fix = %q, want it to contain %q", check.Fix, tt.wantAdvice)
			}
			if form >= 0 && advice >= 0 && advice < form {
				t.Errorf("fix = %q, want the index URL form before the credential advice", check.Fix)
			}
			if strings.Contains(check.Fix, tt.notAdvice) {
				t.Errorf("fix = %q, want no %q advice", check.Fix, tt.notAdvice)
			}
			checkNoSecret(t, report, testPassword)
		})
	}
}
