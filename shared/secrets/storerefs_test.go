package secrets

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

const (
	indexPrefix  = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/index/"
	platformKey  = "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/snowflake-key"
	requestsKeys = "azure-keyvault:https://kv-requests.vault.azure.net/secrets/"
)

func TestWithStoreRefsRejectsEntry(t *testing.T) {
	tests := []struct{ entry, want string }{
		{"env:INDEX_TOKEN", "must start with aws-secretsmanager:"},
		{"aws-secretsmanager:arn:*:secret:x", "only as its last character"},
		{"aws-secretsmanager:repolink/index", "must give the secret's ARN"},
		{"gcp-secretmanager:", "names no secret: it is gcp-secretmanager: without a secret name"},
		{"azure-keyvault:", "names no secret: it is azure-keyvault: without a secret identifier"},
		{"aws-secretsmanager:", "must give the secret's ARN"},
		{"gcp-secretmanager:projects/corp/secret/index", "names no secret"},
		{"azure-keyvault:https://kv-requests.vault.azure.net/keys/team-key", "names no secret"},
		{"aws-secretsmanager:arn:aws:s3:::bucket", "names no secret"},
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			_, err := AllowList{}.WithStoreRefs([]string{tt.entry}, "FIX")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WithStoreRefs(%q) = %v, want an error with %q", tt.entry, err, tt.want)
			}
		})
	}
}

func TestWithStoreRefsRejectsEmptyEntry(t *testing.T) {
	for _, entries := range [][]string{{"", ""}, {platformKey, " "}, {"", platformKey}} {
		_, err := AllowList{}.WithStoreRefs(entries, "FIX")
		if err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("WithStoreRefs(%q) = %v, want an error that an entry is empty", entries, err)
		}
	}
}

func TestWithStoreRefsBlankValueAllowsAll(t *testing.T) {
	for _, value := range []string{"", " "} {
		allow, err := AllowList{}.WithStoreRefs(strings.Split(value, ","), "FIX")
		if err != nil {
			t.Fatalf("WithStoreRefs(%q) = %v", value, err)
		}
		if got := allow.StoreRefEntries(); got != 0 {
			t.Errorf("StoreRefEntries() of %q = %d, want 0", value, got)
		}
		if !allow.allowsStoreRef("gcp-secretmanager:projects/corp/secrets/index") {
			t.Errorf("the list %q rejected a secret store reference", value)
		}
	}
}

func TestWithStoreRefsStoreWidePrefix(t *testing.T) {
	allow, err := AllowList{}.WithStoreRefs([]string{"gcp-secretmanager:*"}, "FIX")
	if err != nil {
		t.Fatal(err)
	}
	if !allow.allowsStoreRef("gcp-secretmanager:projects/corp/secrets/index") {
		t.Error("gcp-secretmanager:* rejected a Secret Manager reference")
	}
	if allow.allowsStoreRef(platformKey) {
		t.Error("gcp-secretmanager:* allowed a Secrets Manager reference")
	}
}

func TestWithStoreRefsAllows(t *testing.T) {
	allow, err := AllowList{}.WithStoreRefs([]string{indexPrefix + "*", requestsKeys + "*", platformKey}, "FIX")
	if err != nil {
		t.Fatal(err)
	}
	if got := allow.StoreRefEntries(); got != 3 {
		t.Errorf("StoreRefEntries() = %d, want 3", got)
	}
	tests := []struct {
		ref  string
		want bool
	}{
		{indexPrefix + "corp-pypi", true},
		{indexPrefix + "corp-pypi#token", true},
		{platformKey, true},
		{platformKey + "-AbC123", false},
		{platformKey + "#pem", true},
		{strings.ToUpper(requestsKeys) + "team-key", true},
		{"env:ANYTHING", true},
		{"aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:repolink/indexer", false},
		{strings.Replace(indexPrefix, "123456789012", "210987654321", 1) + "corp-pypi", false},
		{platformKey + "2", false},
		{"azure-keyvault:https://kv-other.vault.azure.net/secrets/team-key", false},
		{"gcp-secretmanager:projects/corp/secrets/index", false},
	}
	for _, tt := range tests {
		if got := allow.allowsStoreRef(tt.ref); got != tt.want {
			t.Errorf("allowsStoreRef(%s) = %v, want %v", tt.ref, got, tt.want)
		}
	}
	if !(AllowList{}).allowsStoreRef("gcp-secretmanager:projects/corp/secrets/index") {
		t.Error("a list without entries rejected a secret store reference")
	}
}

func TestStoreFieldErrors(t *testing.T) {
	allow, err := AllowList{}.WithStoreRefs([]string{indexPrefix + "*", platformKey}, "FIX")
	if err != nil {
		t.Fatal(err)
	}
	allow = allow.WithSnowflakeSecrets([]string{"", platformKey})
	tests := []struct {
		name           string
		key, index     string
		path, contains string
	}{
		{"platform key as index token", platformKey, platformKey + "#token", "$.repository.auth.token_ref", "names a Snowflake credential that this service uses"},
		{"index token outside the entries", platformKey, "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:other", "$.repository.auth.token_ref", "FIX"},
		{"Snowflake key outside the entries", "gcp-secretmanager:projects/corp/secrets/key", indexPrefix + "corp", "$.snowflake.private_key_ref", "FIX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request.Request{Snowflake: request.Snowflake{PrivateKeyRef: tt.key},
				Repository: request.Repository{Auth: request.Auth{Type: "token", TokenRef: tt.index}}}
			for name, fields := range map[string][]request.FieldError{
				"StoreFieldErrors": allow.StoreFieldErrors(req),
				"FieldErrors":      allow.FieldErrors(req, "LOCAL"),
			} {
				if len(fields) != 1 {
					t.Fatalf("%s = %v, want one error", name, fields)
				}
				if fields[0].Path != tt.path {
					t.Errorf("%s path = %s, want %s", name, fields[0].Path, tt.path)
				}
				if !strings.Contains(fields[0].Message, tt.contains) {
					t.Errorf("%s message %q does not contain %q", name, fields[0].Message, tt.contains)
				}
			}
		})
	}

	req := request.Request{Snowflake: request.Snowflake{PrivateKeyRef: platformKey},
		Repository: request.Repository{Auth: request.Auth{Type: "token", TokenRef: indexPrefix + "corp"}}}
	if fields := allow.FieldErrors(req, "LOCAL"); len(fields) != 0 {
		t.Errorf("FieldErrors of the platform key as the Snowflake key = %v, want none", fields)
	}
}

func TestRestrictedResolverRejectsUnlistedStoreRef(t *testing.T) {
	read := 0
	r := NewResolver()
	r.Register("aws-secretsmanager", StoreFunc(func(context.Context, string) (string, error) {
		read++
		return "index-token-value", nil
	}))
	allow, err := AllowList{}.WithStoreRefs([]string{indexPrefix + "*"}, "FIX")
	if err != nil {
		t.Fatal(err)
	}
	restricted := r.Restrict(allow, "LOCAL")

	_, err = restricted.Resolve(context.Background(), platformKey)
	var notAllowed *StoreRefNotAllowedError
	if !errors.As(err, &notAllowed) {
		t.Fatalf("Resolve = %v, want a *StoreRefNotAllowedError", err)
	}
	if got := notAllowed.ErrorName(); got != workflow.ErrInvalidRequest {
		t.Errorf("ErrorName() = %s, want %s", got, workflow.ErrInvalidRequest)
	}
	if !strings.Contains(err.Error(), "FIX") {
		t.Errorf("error %q does not give the fix", err)
	}
	if read != 0 {
		t.Errorf("the store was read %d times, want none", read)
	}
	if _, err := restricted.Resolve(context.Background(), indexPrefix+"corp"); err != nil {
		t.Errorf("Resolve of a listed reference = %v, want nil", err)
	}
}
