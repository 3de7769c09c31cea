package awsenv

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/repolink/repolink/functions/secret"
	awsadapter "github.com/repolink/repolink/shared/cloud/aws"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// hookKey is the HMAC key of the webhook in the tests of the deployment's
// own secrets.
const hookKey = "webhook-hmac-key-value"

// simSecrets is the local Secrets Manager with the webhook secret and a
// request's index token, and the number of GetSecretValue calls it served.
type simSecrets struct {
	url      string
	hookARN  string
	tokenARN string
	reads    *atomic.Int64
}

func startSimSecrets(t *testing.T) simSecrets {
	t.Helper()
	sim, err := awssim.Start(context.Background(), awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	hookARN, err := sim.PutSecret("repolink/webhook-hmac", hookKey)
	if err != nil {
		t.Fatal(err)
	}
	tokenARN, err := sim.PutSecret("repolink/index-token", "index-token-value")
	if err != nil {
		t.Fatal(err)
	}
	reads := &atomic.Int64{}
	sim.SetFault(func(service, action string) (int, string) {
		if service == awssim.ServiceSecretsManager && action == "GetSecretValue" {
			reads.Add(1)
		}
		return 0, ""
	})
	return simSecrets{url: sim.URL(), hookARN: hookARN, tokenARN: tokenARN, reads: reads}
}

// ownSecretSpellings returns references that name the secret with the
// complete ARN arn: the ARN, the partial ARN without the suffix that
// Secrets Manager appends, and a JSON key of it. The request check
// rejects a secret's name for every secret, so the name is not here.
func ownSecretSpellings(arn string) []string {
	partial := arn[:len(arn)-len("-AbC123")]
	return []string{
		awsadapter.SecretRefScheme + arn,
		awsadapter.SecretRefScheme + partial,
		awsadapter.SecretRefScheme + arn + "#key",
	}
}

func newOwnSecretAdapters(t *testing.T, sim simSecrets) *Adapters {
	t.Helper()
	requests, err := RequestRefs(sim.hookARN)
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{
		Region: "us-west-2",
		AWS: awsadapter.Options{
			Endpoint:    sim.url,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
			MaxAttempts: 1,
		},
		Requests: requests,
	})
}

// recordingConn is a Snowflake account without objects that records the
// statements it runs. Once a CREATE has run, a SHOW finds the object under
// the name it looks for, with the COMMENT of that CREATE, as the step's
// lookup after its create expects.
type recordingConn struct {
	mu      sync.Mutex
	stmts   []string
	comment string
}

// commentOf matches the owner COMMENT at the end of a CREATE statement.
var commentOf = regexp.MustCompile(` COMMENT = '([^']*)'$`)

// likeOf matches the name pattern of a SHOW ... LIKE statement.
var likeOf = regexp.MustCompile(` LIKE '([^']*)'`)

func (c *recordingConn) Exec(_ context.Context, stmt string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stmts = append(c.stmts, stmt)
	if m := commentOf.FindStringSubmatch(stmt); strings.HasPrefix(stmt, "CREATE ") && m != nil {
		c.comment = m[1]
	}
	return nil
}

func (c *recordingConn) Query(_ context.Context, stmt string) ([]snowflake.Row, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := likeOf.FindStringSubmatch(stmt)
	if c.comment == "" || m == nil {
		return nil, nil
	}
	name := strings.ReplaceAll(m[1], `\\`, "")
	return []snowflake.Row{{"name": name, "comment": c.comment}}, nil
}

// tokenDocument returns the task input of the secret step for the example
// request with token auth from ref.
func tokenDocument(t *testing.T, ref string) workflow.Document {
	t.Helper()
	data, err := os.ReadFile("../../../../examples/aws-privatelink.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["repository"].(map[string]any)["auth"] = map[string]any{"type": "token", "token_ref": ref}
	data, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.Parse(data)
	if err != nil {
		t.Fatalf("parse request: %v", err)
	}
	return workflow.Document{Request: req}
}

// TestSecretStepRejectsWebhookSecret runs the secret step, which copies the
// repository credential into a Snowflake secret, with a token_ref that
// names the webhook secret. The step must fail with InvalidRequest naming
// the field, without reading the secret or running a statement.
func TestSecretStepRejectsWebhookSecret(t *testing.T) {
	sim := startSimSecrets(t)
	a := newOwnSecretAdapters(t, sim)
	ctx := context.Background()

	for _, ref := range ownSecretSpellings(sim.hookARN) {
		t.Run(ref, func(t *testing.T) {
			conn := &recordingConn{}
			env := a.Env()
			env.Snowflake = func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil }
			before := sim.reads.Load()

			_, err := secret.Run(ctx, env, tokenDocument(t, ref))
			if err == nil {
				t.Fatal("secret step succeeded")
			}
			if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
				t.Errorf("error name = %q, want %s (error %v)", name, workflow.ErrInvalidRequest, err)
			}
			if !strings.Contains(err.Error(), "repository.auth.token_ref") {
				t.Errorf("error %q does not name repository.auth.token_ref", err)
			}
			if !strings.Contains(err.Error(), "reads for itself") {
				t.Errorf("error %q does not say that the secret is the deployment's own", err)
			}
			if strings.Contains(err.Error(), hookKey) {
				t.Errorf("error %q contains the webhook key", err)
			}
			if got := sim.reads.Load() - before; got != 0 {
				t.Errorf("GetSecretValue calls = %d, want 0", got)
			}
			if len(conn.stmts) != 0 {
				t.Errorf("the step ran %d statements, want none", len(conn.stmts))
			}
		})
	}
}

// TestSecretStepReadsRequestSecret checks that a request's own secret and
// the webhook key, for the service, are still read.
func TestSecretStepReadsRequestSecret(t *testing.T) {
	sim := startSimSecrets(t)
	a := newOwnSecretAdapters(t, sim)
	ctx := context.Background()

	conn := &recordingConn{}
	env := a.Env()
	env.Snowflake = func(context.Context, request.Snowflake) (snowflake.Conn, error) { return conn, nil }
	out, err := secret.Run(ctx, env, tokenDocument(t, awsadapter.SecretRefScheme+sim.tokenARN))
	if err != nil {
		t.Fatalf("secret step: %v", err)
	}
	if out.Action != workflow.Created {
		t.Errorf("action = %s, want %s", out.Action, workflow.Created)
	}
	if len(conn.stmts) != 1 || !strings.Contains(conn.stmts[0], "index-token-value") {
		t.Errorf("statements = %d, want one CREATE SECRET with the index token", len(conn.stmts))
	}

	key, err := a.ServiceSecrets().Resolve(ctx, awsadapter.SecretRefScheme+sim.hookARN)
	if err != nil {
		t.Fatalf("service read of the webhook key: %v", err)
	}
	if key != hookKey {
		t.Error("service read of the webhook key returned another value")
	}
}

// TestSnowflakeLoginRejectsWebhookSecret checks the Snowflake credential
// references, which every Snowflake step and the poller resolve.
func TestSnowflakeLoginRejectsWebhookSecret(t *testing.T) {
	sim := startSimSecrets(t)
	a := newOwnSecretAdapters(t, sim)
	ctx := context.Background()
	base := request.Snowflake{Account: "myorg-analytics", User: "REPOLINK_SVC"}

	for _, ref := range ownSecretSpellings(sim.hookARN) {
		tests := []struct {
			field string
			sf    request.Snowflake
		}{
			{"snowflake.private_key_ref", request.Snowflake{PrivateKeyRef: ref}},
			{"snowflake.password_ref", request.Snowflake{PasswordRef: ref}},
		}
		for _, tt := range tests {
			t.Run(tt.field+"/"+ref, func(t *testing.T) {
				sf := tt.sf
				sf.Account, sf.User = base.Account, base.User
				before := sim.reads.Load()

				_, err := a.snowflake.Config(ctx, sf)
				if err == nil {
					t.Fatal("Config succeeded")
				}
				if name := workflow.NameOf(err); name != workflow.ErrInvalidRequest {
					t.Errorf("error name = %q, want %s (error %v)", name, workflow.ErrInvalidRequest, err)
				}
				if !strings.Contains(err.Error(), tt.field) || !strings.Contains(err.Error(), "reads for itself") {
					t.Errorf("error %q does not name %s as a secret of the deployment", err, tt.field)
				}
				if got := sim.reads.Load() - before; got != 0 {
					t.Errorf("GetSecretValue calls = %d, want 0", got)
				}
			})
		}
	}
}
