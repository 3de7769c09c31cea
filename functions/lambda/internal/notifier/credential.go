package notifier

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/repolink/repolink/functions/internal/jsonerror"
	"github.com/repolink/repolink/shared/cloud/aws/dynamo"
	"github.com/repolink/repolink/shared/notify/payload"
	"github.com/repolink/repolink/shared/workflow"
)

// CredentialEventType is the detail-type of the event that the poller
// sends to the notifier, with Invoke, for an index credential that expires
// soon and that repolink cannot renew. Its detail is the
// workflow.CredentialExpiry record.
const CredentialEventType = "Repolink Credential Expires Soon"

// CredentialEvent is the event that the poller sends the notifier for an
// index credential that expires soon.
type CredentialEvent struct {
	DetailType string                    `json:"detail-type"`
	Detail     workflow.CredentialExpiry `json:"detail"`
}

// NoticeClaims keeps a credential expiry notification from being sent
// twice when two polls, or a retried invocation, ask for it.
// *dynamo.CredentialStore implements it.
type NoticeClaims interface {
	ClaimNotice(ctx context.Context, id string, now, until, retainUntil time.Time) (bool, error)
	MarkNoticeSent(ctx context.Context, id string, retainUntil time.Time) error
	ReleaseNotice(ctx context.Context, id string) error
}

var _ NoticeClaims = (*dynamo.CredentialStore)(nil)

// Timing of a credential notice claim. A claim lasts longer than one send
// with its timeout, so that a second invocation does not send while the
// first still can. A sent notice is remembered past the credential's
// expiry, after which the poller drops the record.
const (
	noticeClaimTime = 2 * DefaultTimeout
	noticeRetention = dynamo.DefaultCredentialRetention
)

// CredentialNoticeID returns the ID of the notification that the
// credential of c expires soon. It contains the expiry time, so that a
// credential that a later run stores gets a notification of its own.
func CredentialNoticeID(c workflow.CredentialExpiry) string {
	return c.Key() + "@" + c.ExpiresAt.UTC().Format(time.RFC3339Nano)
}

// handleCredential posts the credential_expires_soon notification of the
// record in eventJSON once per SECRET and expiry time. A failure that
// another attempt can fix releases the claim and is returned, so that
// Lambda retries the invocation.
func (n *Notifier) handleCredential(ctx context.Context, eventJSON json.RawMessage) (json.RawMessage, error) {
	var event CredentialEvent
	if err := json.Unmarshal(eventJSON, &event); err != nil {
		return nil, workflow.Invalid("notifier: decode credential event: the event %s; send the event that the poller sends, "+
			"a JSON object with detail-type and detail", jsonerror.Describe(err))
	}
	c := event.Detail
	if c.Request.Notify == nil || c.Request.Notify.URL == "" {
		return json.Marshal(Result{Skipped: "the request has no notify URL"})
	}
	log := n.logger().With("secret", c.Secret, "execution", c.Execution, "request_id", c.Request.ID)

	id := CredentialNoticeID(c)
	retainUntil := c.ExpiresAt.Add(noticeRetention)
	if n.Notices != nil {
		now := n.now()
		claimed, err := n.Notices.ClaimNotice(ctx, id, now, now.Add(noticeClaimTime), retainUntil)
		if err != nil {
			return nil, err
		}
		if !claimed {
			log.Info("credential notification skipped; it was sent or is being sent")
			return json.Marshal(Result{Skipped: "the notification was sent or is being sent"})
		}
	}

	note := payload.BuildCredentialNotice(payload.Credential{
		Execution:        c.Execution,
		RequestID:        c.Request.ID,
		SnowflakeAccount: c.Request.Snowflake.Account,
		Secret:           c.Secret,
		ExpiresAt:        c.ExpiresAt,
		Next:             payload.CredentialNextAction(c.Request, ""),
	})
	result, err := n.send(ctx, c.Request.Notify.URL, note)
	if err != nil {
		n.releaseNotice(ctx, id, log)
		return nil, err
	}
	if n.Notices != nil {
		if err := n.Notices.MarkNoticeSent(ctx, id, retainUntil); err != nil {
			// The claim lapses, so a later poll may send it again.
			log.Warn("record credential notification as sent failed", "error", err)
		}
	}
	log = log.With("http_status", result.StatusCode)
	if !result.Delivered {
		log.Error("credential notification rejected by receiver")
		return json.Marshal(result)
	}
	log.Info("credential notification delivered")
	return json.Marshal(result)
}

func (n *Notifier) releaseNotice(ctx context.Context, id string, log *slog.Logger) {
	if n.Notices == nil {
		return
	}
	if err := n.Notices.ReleaseNotice(ctx, id); err != nil {
		log.Warn("release credential notification claim failed; it lapses on its own", "error", err)
	}
}
