package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/repolink/repolink/shared/notify/payload"
	"github.com/repolink/repolink/shared/workflow"
)

// EventCredentialExpiresSoon is the event of a CredentialNotice.
const EventCredentialExpiresSoon = payload.EventCredentialExpiresSoon

// CredentialNotice is the JSON body posted to notify.url before a stored
// index credential expires.
type CredentialNotice = payload.CredentialNotice

// credentialRecordPrefix starts the execution column of the record of a
// CredentialNotice. No execution name contains '/', so the key of such a
// record never equals that of a run's notification.
const credentialRecordPrefix = "credential/"

// CredentialRecordKey returns the key under which the store keeps the
// CredentialNotice of expiry record c, with redrive count 0. It contains
// the expiry time, so a credential that a later run stores gets a
// notification of its own.
func CredentialRecordKey(c workflow.CredentialExpiry) string {
	return credentialRecordPrefix + c.Key() + "@" + c.ExpiresAt.UTC().Format(time.RFC3339Nano)
}

// NotifyCredentialExpiry stores the CredentialNotice of expiry record c,
// once per SECRET and expiry time however often it is called, and makes
// Run deliver it at once with the retries of run notifications. It reports
// false, and stores nothing, when c's request has no notify.url.
func (n *Notifier) NotifyCredentialExpiry(ctx context.Context, c workflow.CredentialExpiry) (bool, error) {
	if c.Request.Notify == nil || c.Request.Notify.URL == "" {
		return false, nil
	}
	body, err := json.Marshal(BuildCredentialNotice(c, n.cfg.CommandFlags))
	if err != nil {
		return true, fmt.Errorf("encode credential expiry notification of secret %s: %w", c.Secret, err)
	}
	now := n.cfg.Now()
	rec := Record{Execution: CredentialRecordKey(c), URL: c.Request.Notify.URL, Body: body, State: StatePending, NextAt: now}
	if reason := n.skipReason(rec.URL); reason != "" {
		rec.State, rec.LastError = StateSkipped, reason
	}
	added, err := n.cfg.Store.add(ctx, rec, now)
	if err != nil {
		return true, err
	}
	switch {
	case added && rec.State == StateSkipped:
		n.log.Info("notification skipped", "secret", c.Secret, "execution", c.Execution, "reason", rec.LastError)
	case added:
		n.Wake()
	}
	return true, nil
}

// BuildCredentialNotice returns the notification that the credential in
// the SECRET of expiry record c expires soon. flags are the command flags
// of the state directory, as in Config.CommandFlags.
func BuildCredentialNotice(c workflow.CredentialExpiry, flags string) CredentialNotice {
	return payload.BuildCredentialNotice(payload.Credential{
		Execution:        c.Execution,
		RequestID:        c.Request.ID,
		SnowflakeAccount: c.Request.Snowflake.Account,
		Secret:           c.Secret,
		ExpiresAt:        c.ExpiresAt,
		Next:             payload.CredentialNextAction(c.Request, flags),
	})
}
