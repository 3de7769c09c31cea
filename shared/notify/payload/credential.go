package payload

import "time"

// EventCredentialExpiresSoon is sent once per expiry when the index
// credential in a request's SECRET, which repolink cannot renew, nears its
// expiry, so that an operator replaces it before installs fail.
const EventCredentialExpiresSoon = "credential_expires_soon"

// CredentialNotice is the JSON body posted to notify.url before a stored
// index credential expires. It names the SECRET and never holds the
// credential.
type CredentialNotice struct {
	Event string `json:"event"`
	// Execution is the run whose secret step stored the credential.
	Execution string `json:"execution"`
	RequestID string `json:"request_id"`
	// SnowflakeAccount and Secret name the SECRET that holds the
	// credential: the account and the fully qualified name.
	SnowflakeAccount string `json:"snowflake_account"`
	Secret           string `json:"secret"`
	// ExpiresAt is an estimate from the longest lifetime that the index
	// product gives such a token, counted from when the run stored it.
	ExpiresAt time.Time `json:"expires_at"`
	// Next is the operator's next action.
	Next string `json:"next"`
}

// Credential is a stored index credential near expiry, as a
// CredentialNotice describes it.
type Credential struct {
	Execution        string
	RequestID        string
	SnowflakeAccount string
	Secret           string
	ExpiresAt        time.Time
	Next             string
}

// BuildCredentialNotice returns the notification that credential c
// expires soon.
func BuildCredentialNotice(c Credential) CredentialNotice {
	return CredentialNotice{
		Event:            EventCredentialExpiresSoon,
		Execution:        c.Execution,
		RequestID:        c.RequestID,
		SnowflakeAccount: c.SnowflakeAccount,
		Secret:           c.Secret,
		ExpiresAt:        c.ExpiresAt.UTC(),
		Next:             c.Next,
	}
}
