package poller

import (
	"context"
	"errors"
	"time"

	"github.com/repolink/repolink/functions/secret"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// RenewShare is the divisor of a credential's lifetime below which the
// time left makes the poller renew it, or warn when repolink cannot get a
// new one. With a third, a 12-hour CodeArtifact token is renewed 4 hours
// before it expires, and a failed renewal is retried on every later poll.
const RenewShare = 3

// checkCredentials renews the CodeArtifact tokens in SECRETs that are near
// expiry and then warns once about other short-lived credentials that are.
// A record whose secret is gone, or whose credential repolink cannot renew
// and has expired, is dropped. The warnings run after the renewals, so a
// slow notify.url cannot use up the time of a renewal.
func (p *Poller) checkCredentials(ctx context.Context, report *Report) {
	if p.Env.Credentials == nil {
		return
	}
	log := p.logger()
	list, err := p.Env.Credentials.List(ctx)
	if err != nil {
		report.Errors++
		log.Warn("list credential expiries failed", "error", err)
		return
	}
	now := p.Env.Now()
	var expiring []expiringCredential
	for i, c := range list {
		if ctx.Err() != nil {
			report.Errors++
			log.Warn("credential check time limit reached; the rest is checked on the next poll",
				"checked", i, "records", len(list), "error", ctx.Err())
			return
		}
		lifetime := c.ExpiresAt.Sub(c.IssuedAt)
		left := c.ExpiresAt.Sub(now)
		if left > lifetime/RenewShare {
			continue
		}
		if c.Renewable {
			p.renew(ctx, c, left, report)
			continue
		}
		expiring = append(expiring, expiringCredential{record: c, left: left})
	}
	p.warnAll(ctx, expiring, report)
}

// renew replaces a CodeArtifact token through secret.Renew.
func (p *Poller) renew(ctx context.Context, c workflow.CredentialExpiry, left time.Duration, report *Report) {
	log := p.logger()
	renewed, err := secret.Renew(ctx, p.Env, c)
	switch {
	case errors.Is(err, secret.ErrSecretGone):
		log.Info("secret gone; credential no longer renewed", "secret", c.Secret, "execution", c.Execution)
		p.dropExpiry(ctx, c, report)
	case errors.Is(err, secret.ErrRenewing):
		log.Info("another poller is renewing the CodeArtifact token", "secret", c.Secret, "execution", c.Execution)
	case errors.Is(err, secret.ErrRecordChanged):
		log.Info("credential expiry record changed after it was listed, so the next poll checks it again", "secret", c.Secret, "execution", c.Execution)
	case errors.Is(err, secret.ErrNotRenewable):
		log.Info("credential replaced by a later run; token no longer renewed", "secret", c.Secret, "execution", c.Execution)
	case err != nil:
		report.Errors++
		log.Warn("renew CodeArtifact token failed; retrying on the next poll", "secret", c.Secret, "execution", c.Execution,
			"expires_at", c.ExpiresAt.UTC().Format(time.RFC3339), "left", left.Round(time.Second).String(), "error", err)
	default:
		report.Renewed++
		log.Info("CodeArtifact token renewed", "secret", c.Secret, "execution", c.Execution,
			"expires_at", renewed.ExpiresAt.UTC().Format(time.RFC3339))
	}
}

// CredentialNotifier sends the notification that the index credential of
// an expiry record expires soon, once per record and expiry time however
// often it is called. It returns false when the record's request has no
// notify.url.
type CredentialNotifier interface {
	NotifyCredentialExpiry(ctx context.Context, c workflow.CredentialExpiry) (bool, error)
}

// warnExpiry logs once that a credential that repolink cannot renew expires
// soon, sends the notification of it through Notices, and drops the record
// once the credential has expired. WarnedAt in the record keeps later polls,
// and a restarted poller, from warning again. A notification that could not
// be stored leaves WarnedAt unset, so the next poll tries it again.
//
// repolink up, the Lambda poller given REPOLINK_NOTIFIER_FUNCTION, and the
// Cloud Functions poller given REPOLINK_WEBHOOK_SECRET set Notices.
//
// NOTE: two polls that list the record before either sets WarnedAt both
// log the warning. The Cloud Functions poller claims the checks so that one
// poll runs them, and Notices claims the notification, so it is sent once.
func (p *Poller) warnExpiry(ctx context.Context, c workflow.CredentialExpiry, left time.Duration, report *Report) {
	log := p.logger()
	if c.WarnedAt.IsZero() {
		report.ExpiryWarnings++
		log.Warn("index credential expires soon",
			"secret", c.Secret, "execution", c.Execution, "request", c.Request.ID,
			"expires_at", c.ExpiresAt.UTC().Format(time.RFC3339), "left", max(left, 0).Round(time.Second).String(),
			"next", p.nextAction(c.Request))
		if !p.notifyExpiry(ctx, c, report) {
			return
		}
		if left > 0 {
			warned := c
			warned.WarnedAt = p.Env.Now()
			if err := p.replaceListed(ctx, c, &warned); err != nil {
				report.Errors++
				log.Warn("record credential expiry warning failed", "secret", c.Secret, "error", err)
			}
			return
		}
	}
	if left <= 0 {
		p.dropExpiry(ctx, c, report)
	}
}

// defaultNextAction is the advice of the warning of a poller without
// NextAction.
const defaultNextAction = "store a new credential where $.repository.auth references it, then run the request again"

// nextAction returns how to replace the short-lived credential that req
// stored, through NextAction when it is set.
func (p *Poller) nextAction(req request.Request) string {
	if p.NextAction != nil {
		return p.NextAction(req)
	}
	return defaultNextAction
}

// notifyExpiry stores the notification that c expires soon, when the
// poller has Notices, and reports false when storing it failed.
func (p *Poller) notifyExpiry(ctx context.Context, c workflow.CredentialExpiry, report *Report) bool {
	if p.Notices == nil {
		return true
	}
	sent, err := p.Notices.NotifyCredentialExpiry(ctx, c)
	if err != nil {
		report.Errors++
		p.logger().Warn("record credential expiry notification failed; retrying on the next poll",
			"secret", c.Secret, "execution", c.Execution, "error", err)
		return false
	}
	if sent {
		report.ExpiryNotifications++
	}
	return true
}

// dropExpiry deletes the record c unless a run replaced it after the poll
// listed it.
func (p *Poller) dropExpiry(ctx context.Context, c workflow.CredentialExpiry, report *Report) {
	if err := p.replaceListed(ctx, c, nil); err != nil {
		report.Errors++
		p.logger().Warn("delete credential expiry failed", "secret", c.Secret, "error", err)
	}
}

// errListedChanged ends the Update of replaceListed without a write.
var errListedChanged = errors.New("the record changed after it was listed")

// replaceListed stores next in place of the record c as this poll listed
// it, or deletes the record when next is nil. A run that replaced or
// deleted the record since, such as one that switched the request to a
// token that repolink renews, keeps its record: the poller's write would
// otherwise undo it, and the next poll reads it again.
func (p *Poller) replaceListed(ctx context.Context, c workflow.CredentialExpiry, next *workflow.CredentialExpiry) error {
	err := p.Env.Credentials.Update(ctx, c.Key(), func(stored *workflow.CredentialExpiry) (*workflow.CredentialExpiry, error) {
		if stored == nil || !secret.SameRenewal(*stored, c) {
			return nil, errListedChanged
		}
		return next, nil
	})
	if errors.Is(err, errListedChanged) {
		return nil
	}
	return err
}
