package request

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// privateLinkPort is the only port that the private-link routes build for:
// the load balancer's listener, its health check, the proxy and, with proxy
// none, the load balancer's target all use 443.
const privateLinkPort = 443

// parsePort parses a port written as decimal digits from 1 to 65535,
// without leading zeros. It returns a description of the problem when the
// text is not such a port. strconv.Atoi reads "00443" as 443, but the
// index URL goes into the Snowflake objects as written, such as in
// API_ALLOWED_PREFIXES, so one port would be written two ways.
func parsePort(text string) (int, string) {
	n, err := strconv.Atoi(text)
	switch {
	case err != nil || strings.Trim(text, "0123456789") != "" || n < 1 || n > 65535:
		return 0, fmt.Sprintf("has the invalid port %q; use a number from 1 to 65535", text)
	case text[0] == '0':
		return 0, fmt.Sprintf("has the port %q with leading zeros; write it as %d", text, n)
	}
	return n, ""
}

// PortProblem describes why text is not a port from 1 to 65535 written as
// decimal digits without leading zeros, as a phrase that follows the name
// of the value, such as `has the port "080" with leading zeros; write it
// as 80`. It returns "" for a valid port.
func PortProblem(text string) string {
	_, problem := parsePort(text)
	return problem
}

// urlPort returns the port of u: the parsed explicit port, or 443 when u
// has none. explicit reports whether u names a port, and problem describes
// an invalid one. url.Parse accepts any digits as a port, and an empty
// port after ':'.
func urlPort(u *url.URL) (port int, explicit bool, problem string) {
	text := u.Port()
	if text == "" && !strings.HasSuffix(u.Host, ":") {
		return 443, false, ""
	}
	port, problem = parsePort(text)
	return port, true, problem
}

// routePorts checks the ports that must agree with the route. On the
// private-link routes the index and every extra prefix, whose hosts the
// same proxy serves, must use port 443. On the egress-ip route, egress.port
// is the port that Snowflake reaches the index on, so it must be the index
// URL's port.
func (v *validator) routePorts(r *Request) {
	switch r.Route {
	case RouteAWSPrivateLink, RouteAzurePrivateLink, RouteGCPPrivateLink:
		v.privateLinkPort("$.repository.index_url", r.Route, r.Repository.IndexURL)
		for i, prefix := range r.Repository.ExtraAllowedPrefixes {
			v.privateLinkPort(fmt.Sprintf("$.repository.extra_allowed_prefixes[%d]", i), r.Route, prefix)
		}
	case RouteEgressIP:
		if r.Egress == nil || r.Egress.Port < 1 || r.Egress.Port > 65535 {
			return
		}
		port, ok := indexPort(r.Repository.IndexURL)
		if ok && port != r.Egress.Port {
			v.add("$.egress.port", fmt.Sprintf("is %d, but $.repository.index_url uses port %d, which Snowflake connects to, so the firewall would open the wrong port; "+
				"set $.egress.port to %d or remove it, or change the port of $.repository.index_url", r.Egress.Port, port, port))
		}
	}
}

// privateLinkPort rejects a URL whose explicit port is not 443. A URL
// whose port is invalid is reported by the URL's own check.
func (v *validator) privateLinkPort(path string, route Route, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	port, explicit, problem := urlPort(u)
	if !explicit || problem != "" || port == privateLinkPort {
		return
	}
	v.add(path, fmt.Sprintf("uses port %d, but the %s route builds its load balancer listener and proxy for port %d only, so Snowflake could not reach the index; "+
		"serve the index on port 443 and remove the port from the URL, or use the egress-ip or public route", port, route, privateLinkPort))
}

// DefaultEgressPortFor returns the egress.port of a request that leaves it
// out: the port of indexURL, or DefaultEgressPort when the URL names none
// or is invalid.
func DefaultEgressPortFor(indexURL string) int {
	if port, ok := indexPort(indexURL); ok {
		return port
	}
	return DefaultEgressPort
}

// indexPort returns the port of a valid index URL, 443 when it names none.
func indexPort(raw string) (int, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, false
	}
	port, _, problem := urlPort(u)
	return port, problem == ""
}
