// Package signedpost sends a notification body to a notify URL, signed
// with repolink's webhook signature, and classifies the response by the
// ASL error names of the workflow. The AWS notifier Lambda and the Cloud
// Functions poller share it. It imports only the standard library and the
// webhook and workflow packages, which the Lambda bootstrap links anyway.
package signedpost

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// maxDrain is the maximum number of response body bytes that Post reads
// and discards before it closes the body, so that the connection of a
// short response can be reused.
const maxDrain = 64 << 10

// Post sends body as JSON to target in a POST signed with secret at now,
// and returns the HTTP status. HTTP 429 is Throttled, and 408, 425, 5xx
// and network failures are Transient. Any other status, 3xx included,
// returns with a nil error. Errors name the host of target only, because
// a notify URL may carry a token in its query. client should not follow
// redirects (see package noredirect), so that the signed body goes only to
// target.
func Post(ctx context.Context, client *http.Client, target string, secret []byte, now time.Time, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, workflow.Invalid("the request's $.notify.url is invalid: %v; fix $.notify.url in the request", redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "repolink-notify")
	webhook.SetSignature(req.Header, secret, now, body)

	host := req.URL.Host
	resp, err := client.Do(req)
	if err != nil {
		return 0, workflow.Errorf(workflow.ErrTransient, "post to %s: %v", host, redact(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))

	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		return code, workflow.Errorf(workflow.ErrThrottled, "post to %s: HTTP %d", host, code)
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code >= 500:
		return code, workflow.Errorf(workflow.ErrTransient, "post to %s: HTTP %d", host, code)
	default:
		return code, nil
	}
}

// redact returns err without the URL that *url.Error repeats.
func redact(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}
