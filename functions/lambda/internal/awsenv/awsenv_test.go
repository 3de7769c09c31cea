package awsenv

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake/sessions"
	"github.com/repolink/repolink/shared/workflow"
)

func TestMain(m *testing.M) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	os.Exit(m.Run())
}

// secretsServer is an httptest Secrets Manager that records the region of
// each signed request and returns the secret ID as the value.
type secretsServer struct {
	*httptest.Server
	mu      sync.Mutex
	regions []string
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/\d+/([a-z0-9-]+)/secretsmanager/`)

func newSecretsServer(t *testing.T) *secretsServer {
	t.Helper()
	s := &secretsServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			s.regions = append(s.regions, m[1])
		}
		s.mu.Unlock()
		id := regexp.MustCompile(`"SecretId":"([^"]+)"`).FindSubmatch(body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Name":"x","SecretString":"value of `+string(id[1])+`"}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func newAdapters(endpoint string) *Adapters {
	return New(Options{
		Region: "us-west-2",
		AWS: awsadapter.Options{
			Endpoint:    endpoint,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
			MaxAttempts: 1,
		},
	})
}

func TestSecretsManagerRegion(t *testing.T) {
	server := newSecretsServer(t)
	a := newAdapters(server.URL)
	ctx := context.Background()

	tests := []struct {
		ref  string
		want string
	}{
		{"aws-secretsmanager:arn:aws:secretsmanager:eu-central-1:123456789012:secret:sf-key", "value of arn:aws:secretsmanager:eu-central-1:123456789012:secret:sf-key"},
		{"aws-secretsmanager:repolink/index-password", "value of repolink/index-password"},
	}
	for _, tt := range tests {
		got, err := a.Secrets().Resolve(ctx, tt.ref)
		if err != nil {
			t.Fatalf("Resolve(%s): %v", tt.ref, err)
		}
		if got != tt.want {
			t.Errorf("Resolve(%s) = %q, want %q", tt.ref, got, tt.want)
		}
	}
	// An ARN's region wins; a bare name uses the function's region.
	if diff := cmp.Diff([]string{"eu-central-1", "us-west-2"}, server.regions); diff != "" {
		t.Errorf("request regions (-want +got):\n%s", diff)
	}
}

func TestSecretNameWithoutRegion(t *testing.T) {
	a := New(Options{})
	_, err := a.Secrets().Resolve(context.Background(), "aws-secretsmanager:repolink/index-password")
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION is not set") {
		t.Errorf("Resolve without a region: error %v, want one naming AWS_REGION", err)
	}
}

func TestAWSCachesPerRegion(t *testing.T) {
	a := newAdapters("http://127.0.0.1:1")
	ctx := context.Background()

	west, err := a.AWS(ctx, "us-west-2")
	if err != nil {
		t.Fatalf("AWS(us-west-2): %v", err)
	}
	again, err := a.AWS(ctx, "us-west-2")
	if err != nil {
		t.Fatalf("second AWS(us-west-2): %v", err)
	}
	east, err := a.AWS(ctx, "us-east-1")
	if err != nil {
		t.Fatalf("AWS(us-east-1): %v", err)
	}
	if west != again {
		t.Error("AWS returned a new adapter for a region it already has")
	}
	if west == east {
		t.Error("AWS returned the same adapter for two regions")
	}
}

func TestSnowflakeConfig(t *testing.T) {
	server := newSecretsServer(t)
	a := newAdapters(server.URL)
	ctx := context.Background()
	const passwordARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:sf-password"

	cfg, err := a.snowflake.Config(ctx, request.Snowflake{
		Account: "myorg-analytics", User: "REPOLINK_SVC", Role: "ACCOUNTADMIN",
		PasswordRef: "aws-secretsmanager:" + passwordARN, Database: "PLATFORM", Schema: "PACKAGES",
	})
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	if cfg.Password != "value of "+passwordARN || cfg.Account != "myorg-analytics" || cfg.LoginTimeout != sessions.DefaultLoginTimeout {
		t.Errorf("Config = account %q, timeout %v, password set %v; want the request's account, the login timeout and the password",
			cfg.Account, cfg.LoginTimeout, cfg.Password == "value of "+passwordARN)
	}

	_, err = a.snowflake.Config(ctx, request.Snowflake{Account: "myorg-analytics", User: "U", PrivateKeyRef: "aws-secretsmanager:" + passwordARN})
	if err == nil || !strings.Contains(err.Error(), "snowflake.private_key_ref") {
		t.Errorf("Config with a key that is not PEM: error %v, want one naming snowflake.private_key_ref", err)
	}
}

// The requester of an execution is not the operator, so a request must not
// read the function's environment, which contains its role's AWS keys.
func TestLocalRefsRejected(t *testing.T) {
	const value = "local-secret-value"
	t.Setenv("REPOLINK_TEST_SF_PASSWORD", value)
	file := t.TempDir() + "/password"
	if err := os.WriteFile(file, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	a := New(Options{})
	env := a.Env()
	ctx := context.Background()

	for _, ref := range []string{"env:REPOLINK_TEST_SF_PASSWORD", "file:" + file} {
		got, err := env.Secrets.Resolve(ctx, ref)
		if err == nil {
			t.Errorf("Resolve(%s) succeeded", ref)
		}
		if got != "" {
			t.Errorf("Resolve(%s) returned a value", ref)
		}
		if err != nil && !strings.Contains(err.Error(), "aws-secretsmanager:ARN") {
			t.Errorf("Resolve(%s) error %q does not say to use aws-secretsmanager:ARN", ref, err)
		}
		if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
			t.Errorf("Resolve(%s) error name = %q, want %s", ref, name, workflow.ErrInvalidRequest)
		}
	}

	_, err := a.snowflake.Config(ctx, request.Snowflake{Account: "myorg-analytics", User: "U", PasswordRef: "env:REPOLINK_TEST_SF_PASSWORD"})
	if err == nil || !strings.Contains(err.Error(), "snowflake.password_ref") {
		t.Errorf("Config with an env: password: error %v, want one naming snowflake.password_ref", err)
	}
	if err != nil && strings.Contains(err.Error(), value) {
		t.Errorf("error %q contains the secret value", err)
	}
}

func TestUnsupportedClouds(t *testing.T) {
	env := New(Options{}).Env()
	ctx := context.Background()

	_, azureErr := env.Azure(ctx, "00000000-0000-0000-0000-000000000000")
	_, gcpErr := env.GCP(ctx, "corp-network")
	_, firewallErr := env.Firewall(ctx, "azure")
	for name, err := range map[string]error{"Azure": azureErr, "GCP": gcpErr, "Firewall": firewallErr} {
		if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
			t.Errorf("%s: error %v named %q, want %q", name, err, got, workflow.ErrInvalidRequest)
		}
	}
	if _, err := env.Firewall(ctx, "aws"); err != nil {
		t.Errorf(`Firewall("aws"): %v, want the security group adapter`, err)
	}
	if env.ProxyResolver != ProxyResolver {
		t.Errorf("ProxyResolver = %q, want %q", env.ProxyResolver, ProxyResolver)
	}
}
