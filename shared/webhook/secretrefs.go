package webhook

import (
	"fmt"
	"strings"
)

// AuthSecretRefs returns the references of the secrets that authenticate
// the mapping's deliveries: secret_ref, password_ref, token_ref and
// signature.key_ref, each when set. A service that serves the mapping reads
// them for itself, so it must reject every request that names one
// (secrets.AllowList.WithOwnSecrets).
func (m *Mapping) AuthSecretRefs() []string {
	var refs []string
	for _, ref := range []string{m.Auth.SecretRef, m.Auth.PasswordRef, m.Auth.TokenRef} {
		if ref != "" {
			refs = append(refs, ref)
		}
	}
	if m.Auth.Signature != nil && m.Auth.Signature.KeyRef != "" {
		refs = append(refs, m.Auth.Signature.KeyRef)
	}
	return refs
}

// SnowflakeSecretRefs returns the Snowflake credential references of the
// mapping's shared request, those under $.snowflake. A service that serves
// the mapping must reject a request that names one as an index credential
// (secrets.AllowList.WithSnowflakeSecrets), because the index host would
// receive the Snowflake key or password.
func (m *Mapping) SnowflakeSecretRefs() ([]string, error) {
	shared, err := m.SharedRequest()
	if err != nil {
		return nil, fmt.Errorf("read the Snowflake credentials of the mapping's request: %w", err)
	}
	var refs []string
	for _, field := range shared.CredentialRefs() {
		if strings.HasPrefix(field.Path, "$.snowflake.") {
			refs = append(refs, field.Ref)
		}
	}
	return refs, nil
}
