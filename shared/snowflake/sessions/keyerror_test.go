package sessions

import (
	"context"
	"strings"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

func TestConfigMalformedKeyInvalid(t *testing.T) {
	secrets := &fakeSecrets{values: map[string]string{"env:KEY": "not a private key"}}
	cache := New(Options{Secrets: secrets})

	_, err := cache.Config(context.Background(), request.Snowflake{Account: "myorg-analytics", User: "REPOLINK_SVC", PrivateKeyRef: "env:KEY"})
	if err == nil {
		t.Fatal("Config succeeded with a key that is not PEM")
	}
	if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
		t.Errorf("error name = %q, want %q (error %v)", got, workflow.ErrInvalidRequest, err)
	}
	if !strings.Contains(err.Error(), "$.snowflake.private_key_ref") {
		t.Errorf("error %q does not name $.snowflake.private_key_ref", err)
	}
	if strings.Contains(err.Error(), "not a private key") {
		t.Errorf("error %q contains the secret value", err)
	}
}
