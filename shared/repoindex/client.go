// Package repoindex is a client for Python package indexes that speak the
// simple repository API: PEP 503 HTML and PEP 691 JSON. It reads project
// pages and downloads and checks wheels the way an installer would, so that
// repolink can verify an index before Snowflake depends on it.
package repoindex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/repolink/repolink/shared/publicaddr"
)

// acceptHeader prefers PEP 691 JSON but takes either HTML form, because
// many index products serve only HTML.
const acceptHeader = "application/vnd.pypi.simple.v1+json, " +
	"application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

// maxRedirects bounds the redirects followed for one request.
const maxRedirects = 10

// maxPageSize bounds the size of one project page.
const maxPageSize = 32 << 20

// Client reads one package index.
//
// Credentials go only to the origin (scheme, host and port) of IndexURL as
// HTTP basic auth. They are never put into a URL, and a redirect to any
// other origin, such as object storage serving the files, is sent without
// them.
type Client struct {
	// HTTP sends the requests. When nil, a client is used whose transport
	// connects to private and public addresses but to no address or host
	// name of this machine or of a cloud metadata service, redirects
	// included (publicaddr.PrivateTransport). Its CheckRedirect is
	// replaced by the client's own redirect policy.
	HTTP *http.Client
	// IndexURL is the simple index URL, such as
	// https://repo.example.com/artifactory/api/pypi/pypi/simple/. It must
	// not contain credentials.
	IndexURL string
	Username string
	Password string
}

// HTTPError is a response with a status other than 200.
type HTTPError struct {
	// URL is the requested URL without user information, query or
	// fragment, because those may carry credentials or a signature.
	URL    string
	Status int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Errors that Install wraps with details.
var (
	// ErrHashMismatch reports a download whose sha256 differs from the
	// digest in the link.
	ErrHashMismatch = errors.New("sha256 mismatch")
	// ErrNoVersion reports a requirement that no version on the project
	// page satisfies, whatever kind of file carries the version.
	ErrNoVersion = errors.New("no matching version")
	// ErrNoMatch reports a requirement that a listed version satisfies
	// when no such version has a pure-Python 3 wheel.
	ErrNoMatch = errors.New("no matching wheel")
	// ErrMetadataMismatch reports a wheel whose METADATA names another
	// project or version than its filename.
	ErrMetadataMismatch = errors.New("wheel metadata does not match its filename")
)

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// defaultHTTP is the client of a Client without HTTP.
var defaultHTTP = &http.Client{Transport: publicaddr.PrivateTransport()}

// NormalizeName returns the PEP 503 normalised form of a project name:
// lower case, with every run of "-", "_" and "." replaced by one "-".
func NormalizeName(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

// indexURL returns the parsed IndexURL with a trailing slash.
func (c *Client) indexURL() (*url.URL, error) {
	u, err := url.Parse(c.IndexURL)
	if err != nil {
		return nil, fmt.Errorf("parse index URL: %w", err)
	}
	if u.User != nil {
		return nil, errors.New("index URL contains credentials: " +
			"remove them from the URL and set Username and Password")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("index URL %s: scheme %q is not supported, use https", redact(u), u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("index URL %s: missing host", redact(u))
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	return u, nil
}

// httpClient returns a copy of c.HTTP whose transport adds the credentials
// to requests for the index origin only.
func (c *Client) httpClient(index *url.URL) *http.Client {
	base := defaultHTTP
	if c.HTTP != nil {
		base = c.HTTP
	}
	hc := *base
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = &authTransport{base: rt, origin: index, username: c.Username, password: c.Password}
	hc.CheckRedirect = checkRedirect
	return &hc
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects at %s", maxRedirects, redact(req.URL))
	}
	prev := via[len(via)-1].URL
	if prev.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect from %s to insecure %s", redact(prev), redact(req.URL))
	}
	return nil
}

// authTransport adds basic auth to requests for one origin and removes any
// Authorization header from requests for every other origin. Go's client
// alone would forward the header to another port of the same host.
type authTransport struct {
	base     http.RoundTripper
	origin   *url.URL
	username string
	password string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case sameOrigin(req.URL, t.origin) && (t.username != "" || t.password != ""):
		req = req.Clone(req.Context())
		req.SetBasicAuth(t.username, t.password)
	case !sameOrigin(req.URL, t.origin) && req.Header.Get("Authorization") != "":
		req = req.Clone(req.Context())
		req.Header.Del("Authorization")
	}
	return t.base.RoundTrip(req)
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// redact returns u without user information, query and fragment.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	c.Fragment = ""
	c.RawFragment = ""
	return c.String()
}

// get sends a GET request and returns the response when its status is 200,
// else an *HTTPError. The caller closes the body.
func get(ctx context.Context, hc *http.Client, target *url.URL, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", redact(target), err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}

	resp, err := hc.Do(req)
	if err != nil {
		// The *url.Error from the client repeats the URL with its query,
		// so keep only the cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("GET %s: %w", redact(target), err)
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, &HTTPError{URL: redact(resp.Request.URL), Status: resp.StatusCode}
	}
	return resp, nil
}
