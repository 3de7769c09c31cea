package gcf

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/shared/noredirect"
	"github.com/repolink/repolink/shared/notify/payload"
	"github.com/repolink/repolink/shared/notify/signedpost"
	"github.com/repolink/repolink/shared/publicaddr"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// envSigningSecret names the environment variable with the Secret Manager
// reference of the HMAC key that signs notifications.
const envSigningSecret = "REPOLINK_WEBHOOK_SECRET"

// noticeTimeout bounds one notification POST. A claim lasts twice as long,
// so that a second poller does not send while the first still can.
const (
	noticeTimeout   = 10 * time.Second
	noticeClaimTime = 2 * noticeTimeout
)

// noticeClaims keeps a credential expiry notification from being sent by
// two pollers. *gcpadapter.CredentialExpiries implements it in Firestore.
type noticeClaims interface {
	ClaimNotice(ctx context.Context, c workflow.CredentialExpiry, now, until time.Time) (bool, error)
	MarkNoticeSent(ctx context.Context, c workflow.CredentialExpiry) error
	ReleaseNotice(ctx context.Context, c workflow.CredentialExpiry, until time.Time) error
}

// loadSigningSecretRef reads the reference of the signing key from the
// environment. It returns "" when none is set, and logs and returns "" for
// one that is not a gcp-secretmanager: reference.
func loadSigningSecretRef(getenv func(string) string, logger *slog.Logger) string {
	ref := strings.TrimSpace(getenv(envSigningSecret))
	if ref == "" {
		return ""
	}
	if !strings.HasPrefix(ref, "gcp-secretmanager:") {
		logger.Error("signing key reference invalid, so no credential_expires_soon notification is sent; "+
			"use gcp-secretmanager:projects/P/secrets/S/versions/V", "setting", envSigningSecret)
		return ""
	}
	return ref
}

// credentialNotices posts the poller's credential_expires_soon
// notifications to notify.url, signed with the key that signingKey reads,
// and claims each one in Firestore so that one poller sends it once per
// SECRET and expiry time.
type credentialNotices struct {
	claims     noticeClaims
	signingKey func(ctx context.Context) ([]byte, error)
	// client sends the POST. Nil means a client with noticeTimeout.
	client *http.Client
	now    func() time.Time
	logger *slog.Logger
	// allowLoopback also accepts http URLs on a loopback address, for
	// tests.
	allowLoopback bool
}

var _ poller.CredentialNotifier = (*credentialNotices)(nil)

// NotifyCredentialExpiry sends the notification of c unless another poller
// sent it or is sending it. A failure that a later poll can fix, such as
// HTTP 503 or a network error, releases the claim and is returned, so the
// poller tries again on its next poll. A receiver that rejects the
// notification with another status is logged, and the notification counts
// as sent. It returns false for a request without notify.url.
func (n *credentialNotices) NotifyCredentialExpiry(ctx context.Context, c workflow.CredentialExpiry) (bool, error) {
	if c.Request.Notify == nil || c.Request.Notify.URL == "" {
		return false, nil
	}
	log := n.logger.With("secret", c.Secret, "execution", c.Execution, "request_id", c.Request.ID)
	target, err := n.checkURL(c.Request.Notify.URL)
	if err != nil {
		log.Error("credential notification skipped", "error", err)
		return true, nil
	}

	now := n.now()
	until := now.Add(noticeClaimTime)
	claimed, err := n.claims.ClaimNotice(ctx, c, now, until)
	if err != nil {
		return true, err
	}
	if !claimed {
		log.Info("credential notification skipped; it was sent or is being sent")
		return true, nil
	}

	status, err := n.post(ctx, target, c)
	// The claim is updated also when the poll's time limit has passed.
	cleanup := context.WithoutCancel(ctx)
	if err != nil {
		if releaseErr := n.claims.ReleaseNotice(cleanup, c, until); releaseErr != nil {
			log.Warn("release credential notification claim failed; it lapses on its own", "error", releaseErr)
		}
		return true, err
	}
	if err := n.claims.MarkNoticeSent(cleanup, c); err != nil {
		// The claim lapses, so a later poll may send it again.
		log.Warn("record credential notification as sent failed", "error", err)
	}
	if status < 200 || status > 299 {
		log.Error("credential notification rejected by receiver", "http_status", status)
		return true, nil
	}
	log.Info("credential notification delivered", "http_status", status)
	return true, nil
}

// checkURL parses notify.url and accepts only https to a host that
// publicaddr.HostProblem accepts, or https and http on a loopback address
// when allowLoopback is set. Errors name the host only, because a
// notify URL may carry a token in its query.
func (n *credentialNotices) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, workflow.Invalid("the request's $.notify.url is not an absolute URL")
	}
	loopback := n.allowLoopback && isLoopbackIP(u.Hostname())
	if u.Scheme == "https" && !loopback {
		if problem := publicaddr.HostProblem(u.Hostname()); problem != "" {
			return nil, workflow.Invalid("the request's $.notify.url host %s is %s, which the notifier does not call", u.Hostname(), problem)
		}
	}
	if u.Scheme == "https" {
		return u, nil
	}
	if loopback && u.Scheme == "http" {
		return u, nil
	}
	return nil, workflow.Invalid("the request's $.notify.url on %s must be an https:// URL", u.Host)
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// post sends the signed notification of c to target and returns the HTTP
// status. HTTP 429 is Throttled, and 408, 425, 5xx and network failures are
// Transient.
func (n *credentialNotices) post(ctx context.Context, target *url.URL, c workflow.CredentialExpiry) (int, error) {
	key, err := n.signingKey(ctx)
	if err != nil {
		return 0, fmt.Errorf("read the signing key that %s names: %w", envSigningSecret, err)
	}
	if len(key) == 0 {
		return 0, workflow.Invalid("the signing key is empty; store a value in the secret version that %s names", envSigningSecret)
	}
	body, err := json.Marshal(payload.BuildCredentialNotice(payload.Credential{
		Execution:        c.Execution,
		RequestID:        c.Request.ID,
		SnowflakeAccount: c.Request.Snowflake.Account,
		Secret:           c.Secret,
		ExpiresAt:        c.ExpiresAt,
		Next:             nextAction(c.Request),
	}))
	if err != nil {
		return 0, fmt.Errorf("encode the credential notification of secret %s: %w", c.Secret, err)
	}
	status, err := signedpost.Post(ctx, n.httpClient(), target.String(), key, n.now(), body)
	if err != nil {
		return status, fmt.Errorf("credential notification of secret %s: %w", c.Secret, err)
	}
	return status, nil
}

// httpClient returns the client with redirects turned off, so that a
// signed body goes only to the URL in the request. Without a client set, it
// connects only to public addresses (see publicaddr.Transport), unless
// allowLoopback is set.
func (n *credentialNotices) httpClient() *http.Client {
	if n.client == nil && !n.allowLoopback {
		return noredirect.Client(&http.Client{Timeout: noticeTimeout, Transport: publicaddr.Transport()}, noticeTimeout)
	}
	return noredirect.Client(n.client, noticeTimeout)
}

// nextAction returns how to replace the short-lived credential that req
// stored, for this deployment. It has no webhook and cannot get CodeArtifact
// tokens, so it does not give the advice of payload.CredentialNextAction.
// The secret step records the expiry only of a CodeArtifact token and of an
// Artifact Registry access token, so any other index is Artifact Registry.
func nextAction(req request.Request) string {
	const rerun = "then start a new execution of the provision workflow with the request, so that the secret step sets the credential in the SECRET"
	if _, err := request.ParseCodeArtifactURL(req.Repository.IndexURL); err == nil {
		return "store a new token from aws codeartifact get-authorization-token where $.repository.auth references it, " +
			"because the Cloud Functions deployment cannot get CodeArtifact tokens; " + rerun
	}
	return "use the user _json_key_base64 with a base64-encoded service-account key, which does not expire, " +
		"or store a new access token where $.repository.auth references it; " + rerun
}
