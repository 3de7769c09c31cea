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
	var refs []CredentialRef
	for _, f := range r.credentialFields() {
		if f.Ref != "" {
			refs = append(refs, f)
		}
	}
	return refs
}

// IsCredentialRefPath reports whether path, such as
// $.repository.auth.password_ref, is the path of a credential reference
// field.
func IsCredentialRefPath(path string) bool {
	for _, f := range (&Request{}).credentialFields() {
		if f.Path == path {
			return true
		}
	}
	return false
}

// credentialFields returns every credential reference field of the
// request, set or not, in document order.
func (r *Request) credentialFields() []CredentialRef {
	return []CredentialRef{
		{"$.snowflake.private_key_ref", r.Snowflake.PrivateKeyRef},
		{"$.snowflake.private_key_passphrase_ref", r.Snowflake.PrivateKeyPassphraseRef},
		{"$.snowflake.password_ref", r.Snowflake.PasswordRef},
		{"$.repository.auth.password_ref", r.Repository.Auth.PasswordRef},
		{"$.repository.auth.token_ref", r.Repository.Auth.TokenRef},
	}
}
