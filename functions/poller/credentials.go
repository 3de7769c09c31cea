package poller

import (
	"context"
	"errors"
	"time"

	"github.com/repolink/repolink/functions/secret"
	"github.com/repolink/repolink/shared/workflow"
)

// RenewShare is the divisor of a credential's lifetime below which the
// time left makes the poller renew it, or warn when repolink cannot get a
// new one. With a third, a 12-hour CodeArtifact token is renewed 4 hours
// before it expires, and a failed renewal is retried on every later poll.
const RenewShare = 3

// checkCredentials renews the CodeArtifact tokens in SECRETs that are near
// expiry and warns once about other short-lived credentials that are. A
// record whose secret is gone, or whose credential repolink cannot renew
// and has expired, is dropped.
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
	for _, c := range list {
		lifetime := c.ExpiresAt.Sub(c.IssuedAt)
		left := c.ExpiresAt.Sub(now)
		if left > lifetime/RenewShare {
			continue
		}
		if c.Renewable {
			p.renew(ctx, c, left, report)
			continue
		}
		p.warnExpiry(ctx, c, left, report)
	}
}

// renew replaces a CodeArtifact token through secret.Renew.
func (p *Poller) renew(ctx context.Context, c workflow.CredentialExpiry, left time.Duration, report *Report) {
	log := p.logger()
	renewed, err := secret.Renew(ctx, p.Env, c)
	switch {
	case errors.Is(err, secret.ErrSecretGone):
		log.Info("secret gone; credential no longer renewed", "secret", c.Secret, "execution", c.Execution)
		p.dropExpiry(ctx, c, report)
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

// warnExpiry logs once that a credential that repolink cannot renew expires
// soon, and drops its record once it has expired.
//
// NOTE: the warning is a log record only. Notifications describe closed
// executions, and none is sent for a credential near expiry.
func (p *Poller) warnExpiry(ctx context.Context, c workflow.CredentialExpiry, left time.Duration, report *Report) {
	log := p.logger()
	if c.WarnedAt.IsZero() {
		report.ExpiryWarnings++
		log.Warn("index credential expires soon; store a new one and redrive the run, or use auth type codeartifact",
			"secret", c.Secret, "execution", c.Execution, "request", c.Request.ID,
			"expires_at", c.ExpiresAt.UTC().Format(time.RFC3339), "left", max(left, 0).Round(time.Second).String())
		c.WarnedAt = p.Env.Now()
		if left > 0 {
			if err := p.Env.Credentials.Put(ctx, c); err != nil {
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

func (p *Poller) dropExpiry(ctx context.Context, c workflow.CredentialExpiry, report *Report) {
	if err := p.Env.Credentials.Delete(ctx, c.Key()); err != nil {
		report.Errors++
		p.logger().Warn("delete credential expiry failed", "secret", c.Secret, "error", err)
	}
}
