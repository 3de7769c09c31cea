package preflight

import (
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

func TestCodeArtifactAuthRejectedFix(t *testing.T) {
	const codeArtifact = "corp-123456789012.d.codeartifact.cn-north-1.amazonaws.com.cn"
	ca := newCA(t)
	idx := startIndex(t, ca, "aws", testPassword, codeArtifact)
	req := testRequest()
	req.Repository.IndexURL = "https://" + codeArtifact + "/pypi/corp/simple/"
	req.Repository.Auth = request.Auth{Type: request.AuthCodeArtifact}

	report := Run(t.Context(), Options{
		HTTP:     servers{codeArtifact: idx.Addr()}.client(t, ca),
		Request:  req,
		Username: "aws",
		Password: "token-that-the-index-rejects",
		Sandbox:  true,
	})

	check := find(report, "credentials")
	if check.Status != Failed {
		t.Fatalf("credentials = %q (%s), want failed", check.Status, check.Detail)
	}
	if !strings.Contains(check.Detail, "401") {
		t.Errorf("credentials detail = %q, want the 401", check.Detail)
	}
	if strings.Contains(check.Fix, "secret") {
		t.Errorf("fix = %q, which names a secret that auth type codeartifact does not have", check.Fix)
	}
	if !strings.Contains(check.Fix, "codeartifact:ReadFromRepository") {
		t.Errorf("fix = %q, want the permission to read the repository", check.Fix)
	}
}
