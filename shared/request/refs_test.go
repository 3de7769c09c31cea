package request

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCredentialRefs(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want []CredentialRef
	}{
		{
			name: "key pair and password",
			req: Request{
				Snowflake:  Snowflake{PrivateKeyRef: "file:/keys/sf.pem", PrivateKeyPassphraseRef: "env:SF_PASSPHRASE"},
				Repository: Repository{Auth: Auth{Type: "password", PasswordRef: "env:INDEX_PASSWORD"}},
			},
			want: []CredentialRef{
				{Path: "$.snowflake.private_key_ref", Ref: "file:/keys/sf.pem"},
				{Path: "$.snowflake.private_key_passphrase_ref", Ref: "env:SF_PASSPHRASE"},
				{Path: "$.repository.auth.password_ref", Ref: "env:INDEX_PASSWORD"},
			},
		},
		{
			name: "password login and token",
			req: Request{
				Snowflake:  Snowflake{PasswordRef: "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:sf"},
				Repository: Repository{Auth: Auth{Type: "token", TokenRef: "env:INDEX_TOKEN"}},
			},
			want: []CredentialRef{
				{Path: "$.snowflake.password_ref", Ref: "aws-secretsmanager:arn:aws:secretsmanager:us-west-2:123456789012:secret:sf"},
				{Path: "$.repository.auth.token_ref", Ref: "env:INDEX_TOKEN"},
			},
		},
		{name: "none", req: Request{}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.req.CredentialRefs()); diff != "" {
				t.Errorf("CredentialRefs (-want +got):\n%s", diff)
			}
		})
	}
}
