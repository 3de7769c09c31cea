package payload

import (
	"fmt"
	"time"

	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

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
	// product gives such a token, counted from when the run stored it. It
	// is written in UTC with milliseconds, like the times of Notification.
	ExpiresAt execview.Time `json:"expires_at"`
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
		ExpiresAt:        execview.At(c.ExpiresAt),
		Next:             c.Next,
	}
}

// CredentialNextAction returns how to replace the short-lived credential
// that req stored. flags are the command flags of repolink's state
// directory, or "" on a deployment without one. repolink records the
// expiry only of a CodeArtifact token and of an Artifact Registry access
// token, so any index that is not CodeArtifact is Artifact Registry.
func CredentialNextAction(req request.Request, flags string) string {
	rerun := fmt.Sprintf("then %s, or run 'repolink run%s REQUEST' with the request file, so that the secret step sets the credential in the SECRET",
		workflow.RerunByWebhook, flags)
	if _, err := request.ParseCodeArtifactURL(req.Repository.IndexURL); err == nil {
		return "set $.repository.auth.type to codeartifact, so that repolink gets the token and renews it before it expires, " +
			"or store a new token from aws codeartifact get-authorization-token where $.repository.auth references it; " + rerun
	}
	return "use the user _json_key_base64 with a base64-encoded service-account key, which does not expire, " +
		"or store a new access token where $.repository.auth references it; " + rerun
}
