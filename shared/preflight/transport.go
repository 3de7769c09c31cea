package preflight

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/repolink/repolink/shared/publicaddr"
)

// maxRedirects bounds the redirects that one probe follows.
const maxRedirects = 10

// hop is one HTTP request that preflight sent, a redirect included.
type hop struct {
	// URL has no user information, query or fragment, because they may
	// carry credentials or a signature.
	URL *url.URL
	// Status is 0 when no response came.
	Status int
	// Authorization is true when the request carried the credential.
	Authorization bool
	// UserInURL is true when the URL carried user information.
	UserInURL bool
}

// recorder is the transport of every preflight request. It sends the
// credential only to the index origin, exactly as Snowflake will send it,
// and records each request. It removes every other Authorization header,
// including the one that http.Client builds from user information in a
// redirect URL.
type recorder struct {
	base          http.RoundTripper
	origin        *url.URL
	authorization string
	// rejectMachineHosts makes RoundTrip reject a request, the redirects
	// and file downloads included, whose host names this machine or a
	// metadata service. The transport's dialer still has to reject host
	// names that resolve to such an address.
	rejectMachineHosts bool

	mu   sync.Mutex
	hops []hop
}

func newRecorder(base http.RoundTripper, origin *url.URL, authorization string) *recorder {
	if base == nil {
		base = http.DefaultTransport
	}
	return &recorder{base: base, origin: origin, authorization: authorization}
}

// anonymousKey marks a request context whose requests carry no credential.
type anonymousKey struct{}

func anonymous(ctx context.Context) context.Context {
	return context.WithValue(ctx, anonymousKey{}, true)
}

func (rec *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if rec.rejectMachineHosts {
		if kind := publicaddr.MachineHostProblem(req.URL.Hostname()); kind != "" {
			rec.record(hop{URL: redact(req.URL), UserInURL: req.URL.User != nil})
			return nil, fmt.Errorf("request to %s rejected: host %s is %s; preflight does not connect to this machine or a metadata service",
				redact(req.URL), req.URL.Hostname(), kind)
		}
	}
	out := req.Clone(req.Context())
	out.Header.Del("Authorization")
	withAuth := rec.authorization != "" && sameOrigin(req.URL, rec.origin) &&
		req.Context().Value(anonymousKey{}) == nil
	if withAuth {
		out.Header.Set("Authorization", rec.authorization)
	}

	resp, err := rec.base.RoundTrip(out)
	h := hop{
		URL:           redact(req.URL),
		Authorization: withAuth,
		UserInURL:     req.URL.User != nil,
	}
	if err == nil {
		h.Status = resp.StatusCode
	}
	rec.record(h)
	return resp, err
}

func (rec *recorder) record(h hop) {
	rec.mu.Lock()
	rec.hops = append(rec.hops, h)
	rec.mu.Unlock()
}

// recorded returns a copy of the requests sent so far.
func (rec *recorder) recorded() []hop {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]hop(nil), rec.hops...)
}

// client returns a copy of base that sends through rec and follows at most
// maxRedirects redirects, none from https to http.
func (rec *recorder) client(base *http.Client) *http.Client {
	c := *base
	c.Transport = rec
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects at %s", maxRedirects, redact(req.URL))
		}
		if prev := via[len(via)-1].URL; prev.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect from %s to insecure %s", redact(prev), redact(req.URL))
		}
		return nil
	}
	return &c
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

// portOf returns the port of u, or the default port of its scheme.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// hostOf returns the lower-case host of u, with the port only when it is
// not the scheme's default.
func hostOf(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && p != portOf(&url.URL{Scheme: u.Scheme}) {
		return host + ":" + p
	}
	return host
}

// redact returns a copy of u without user information, query and fragment.
func redact(u *url.URL) *url.URL {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	c.Fragment = ""
	c.RawFragment = ""
	return &c
}
