package sandbox

import (
	"crypto/tls"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
)

func TestIndexAcceptsIssuedCodeArtifactTokens(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := t.Context()
	const host = "corp-111122223333.d.codeartifact.us-west-2.amazonaws.com"
	const otherHost = "other-111122223333.d.codeartifact.us-west-2.amazonaws.com"
	sb, err := Start(ctx, Options{Dir: t.TempDir(), Hosts: []string{host, otherHost}, Delays: ZeroDelays, ForceGoVMs: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	client, err := awsadapter.NewCodeArtifact(ctx, awsadapter.Options{
		Region:      "us-west-2",
		Endpoint:    sb.AWSURL(),
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	issue := func() string {
		t.Helper()
		token, err := client.AuthorizationToken(ctx, "corp", "111122223333", time.Hour)
		if err != nil {
			t.Fatalf("AuthorizationToken: %v", err)
		}
		return token.Value
	}

	first := issue()
	if got := codeArtifactStatus(t, sb, host, "aws", first); got != http.StatusOK {
		t.Errorf("issued token: status %d, want 200", got)
	}
	if got := codeArtifactStatus(t, sb, host, "aws", "not-an-issued-token"); got != http.StatusUnauthorized {
		t.Errorf("token that was not issued: status %d, want 401", got)
	}
	if got := codeArtifactStatus(t, sb, host, "someone", first); got != http.StatusUnauthorized {
		t.Errorf("issued token with another user: status %d, want 401", got)
	}
	if got := codeArtifactStatus(t, sb, otherHost, "aws", first); got != http.StatusUnauthorized {
		t.Errorf("token on another domain's host: status %d, want 401", got)
	}

	// The index keeps the latest codeArtifactSlots tokens of a domain.
	var latest string
	for range codeArtifactSlots {
		latest = issue()
	}
	if got := codeArtifactStatus(t, sb, host, "aws", latest); got != http.StatusOK {
		t.Errorf("latest token: status %d, want 200", got)
	}
	if got := codeArtifactStatus(t, sb, host, "aws", first); got != http.StatusUnauthorized {
		t.Errorf("token issued %d tokens ago: status %d, want 401", codeArtifactSlots, got)
	}
}

func TestIndexAcceptsChinaCodeArtifactToken(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := t.Context()
	const host = "corp-111122223333.d.codeartifact.cn-north-1.amazonaws.com.cn"
	sb, err := Start(ctx, Options{Dir: t.TempDir(), Hosts: []string{host}, Delays: ZeroDelays, ForceGoVMs: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	client, err := awsadapter.NewCodeArtifact(ctx, awsadapter.Options{
		Region:      "cn-north-1",
		Endpoint:    sb.AWSURL(),
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	token, err := client.AuthorizationToken(ctx, "corp", "111122223333", time.Hour)
	if err != nil {
		t.Fatalf("AuthorizationToken: %v", err)
	}

	if got := codeArtifactStatus(t, sb, host, "aws", token.Value); got != http.StatusOK {
		t.Errorf("token issued in cn-north-1 on %s: status %d, want 200", host, got)
	}
}

func TestCodeArtifactHostOfPartition(t *testing.T) {
	tests := map[string]string{
		"us-east-1":  "corp-111122223333.d.codeartifact.us-east-1.amazonaws.com",
		"cn-north-1": "corp-111122223333.d.codeartifact.cn-north-1.amazonaws.com.cn",
	}
	for region, want := range tests {
		if got := codeArtifactHost(region, "corp", "111122223333"); got != want {
			t.Errorf("codeArtifactHost(%s) = %q, want %q", region, got, want)
		}
	}
}

// codeArtifactStatus returns the status of GET /pypi/main/simple/, the index
// root of the CodeArtifact repository main, on the sandbox index for host
// with basic auth.
func codeArtifactStatus(t *testing.T, sb *Sandbox, host, user, pass string) int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sb.Roots()}}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+sb.Index.Addr()+"/pypi/main/simple/", nil)
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
