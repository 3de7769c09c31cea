// Package noredirect builds HTTP clients that return a redirect response
// instead of following it. A client that sends a signed body or a bearer
// token uses one, so that neither reaches a host other than the one
// requested. It imports only the standard library, so a Lambda bootstrap
// can use it without new dependencies.
package noredirect

import (
	"net/http"
	"time"
)

// Check is an http.Client CheckRedirect function that stops at the first
// redirect. The client's Do then returns the 3xx response with its body
// unread and a nil error.
func Check(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}

// Client returns a copy of base whose CheckRedirect is Check. When base is
// nil, it returns a new client with the given timeout. base itself is not
// changed, so a caller's shared client keeps following redirects.
func Client(base *http.Client, timeout time.Duration) *http.Client {
	client := &http.Client{Timeout: timeout}
	if base != nil {
		copied := *base
		client = &copied
	}
	client.CheckRedirect = Check
	return client
}
