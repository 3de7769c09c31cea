package request

import (
	"fmt"

	"github.com/repolink/repolink/shared/secretref"
)

// indexCredentialSecrets rejects an index credential reference that names
// the same secret as a Snowflake credential reference of the request. The
// secret store step would send that secret to the index host as the
// password or token and keep it in a Snowflake SECRET, so the operator of the
// index would receive the Snowflake login key or password. References are
// compared by the secret that they name (secretref.Same), so a version, a
// JSON key, the case of a Key Vault URL or of an ARN's partition, region
// and account, and a relative path, a symbolic link or a hard link of a
// file: reference do not make another secret. A field that already has an error is skipped.
func (v *validator) indexCredentialSecrets(r *Request) {
	snowflakeRefs := []CredentialRef{
		{"$.snowflake.private_key_ref", r.Snowflake.PrivateKeyRef},
		{"$.snowflake.private_key_passphrase_ref", r.Snowflake.PrivateKeyPassphraseRef},
		{"$.snowflake.password_ref", r.Snowflake.PasswordRef},
	}
	indexRefs := []CredentialRef{
		{"$.repository.auth.password_ref", r.Repository.Auth.PasswordRef},
		{"$.repository.auth.token_ref", r.Repository.Auth.TokenRef},
	}
	for _, index := range indexRefs {
		if index.Ref == "" || v.invalid(index.Path) {
			continue
		}
		for _, sf := range snowflakeRefs {
			if sf.Ref == "" || v.invalid(sf.Path) || !secretref.Same(index.Ref, sf.Ref) {
				continue
			}
			v.add(index.Path, fmt.Sprintf("names the same secret as %s, so the index host would receive the Snowflake credential; "+
				"store the index password or token in a secret of its own and reference that", sf.Path))
			break
		}
	}
}
