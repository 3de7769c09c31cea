package request

// CredentialRef is a credential reference of a request with the JSON path
// of its field.
type CredentialRef struct {
	Path string
	Ref  string
}

// CredentialRefs returns the credential references that the request sets,
// in document order.
func (r *Request) CredentialRefs() []CredentialRef {
	fields := []CredentialRef{
		{"$.snowflake.private_key_ref", r.Snowflake.PrivateKeyRef},
		{"$.snowflake.private_key_passphrase_ref", r.Snowflake.PrivateKeyPassphraseRef},
		{"$.snowflake.password_ref", r.Snowflake.PasswordRef},
		{"$.repository.auth.password_ref", r.Repository.Auth.PasswordRef},
		{"$.repository.auth.token_ref", r.Repository.Auth.TokenRef},
	}
	var refs []CredentialRef
	for _, f := range fields {
		if f.Ref != "" {
			refs = append(refs, f)
		}
	}
	return refs
}
