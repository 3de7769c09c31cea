package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/repolink/repolink/shared/notify"
)

// requireLoopbackHost wraps next so that it rejects with 403 every request
// whose Host header is not localhost or a loopback IP address, with any
// port. Webhook deliveries are exempt, because their signature or
// credentials authenticate them. repolink up applies it when it serves
// without an API token on a loopback address. Otherwise a web page whose
// DNS name rebinds to 127.0.0.1 could drive the unauthenticated APIs from
// a browser, which still sends the page's own host name.
func requireLoopbackHost(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if notify.IsLoopback(r.Host) || webhookDelivery(r) {
			next.ServeHTTP(w, r)
			return
		}
		logger.Warn("request rejected", "path", r.URL.Path, "host", r.Host, "status", http.StatusForbidden,
			"reason", "Host header is not a loopback name and no API token is set")
		writeAPI(w, http.StatusForbidden, apiError{Error: fmt.Sprintf("Host header %q is not localhost, 127.0.0.1 or [::1]. "+
			"Without %s, repolink up serves only requests addressed to a loopback name, so that web pages cannot "+
			"reach it through DNS rebinding. Send the request to http://127.0.0.1:PORT, or restart repolink up with %s set",
			r.Host, envAPIToken, envAPIToken)})
	})
}

// webhookDelivery reports whether r is for a webhook route, which
// authenticates each delivery itself.
func webhookDelivery(r *http.Request) bool {
	return r.Method == http.MethodPost &&
		(r.URL.Path == "/v1/requests" || strings.HasPrefix(r.URL.Path, "/v1/hooks/"))
}
