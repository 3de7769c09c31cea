package preflight

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// allowedPrefixes returns the API_ALLOWED_PREFIXES that repolink creates
// for a request: the origin of the index URL, then the extra prefixes
// without a trailing slash. It must match the integration step.
func allowedPrefixes(index *url.URL, extra []string) []string {
	prefixes := []string{"https://" + strings.ToLower(index.Host)}
	for _, p := range extra {
		p = strings.TrimRight(p, "/")
		if !slices.ContainsFunc(prefixes, func(q string) bool { return strings.EqualFold(p, q) }) {
			prefixes = append(prefixes, p)
		}
	}
	return prefixes
}

// underPrefix reports whether u starts with prefix: the same scheme and
// port, the same host, and a path that starts with the prefix path. A
// leading "*." in the prefix host matches exactly one label.
//
// NOTE: Snowflake documents a "*" in the leftmost label of a prefix but
// not whether it matches more than one label. One label is the narrower
// reading, so preflight never passes a host that Snowflake rejects.
func underPrefix(u *url.URL, prefix string) bool {
	wildcard := strings.Contains(prefix, "://*.")
	p, err := url.Parse(strings.Replace(prefix, "://*.", "://", 1))
	if err != nil || !strings.EqualFold(p.Scheme, u.Scheme) || portOf(p) != portOf(u) {
		return false
	}
	host, prefixHost := strings.ToLower(u.Hostname()), strings.ToLower(p.Hostname())
	if wildcard {
		label, parent, ok := strings.Cut(host, ".")
		if !ok || label == "" || parent != prefixHost {
			return false
		}
	} else if host != prefixHost {
		return false
	}
	return strings.HasPrefix(u.EscapedPath(), p.EscapedPath())
}

func underAny(u *url.URL, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return underPrefix(u, p) })
}

// origin returns scheme://host[:port] of u, as a prefix would name it.
func origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + hostOf(u)
}

// checkLinks adds file_links: every file link on the project pages must
// be https, because Snowflake does not fetch over plain HTTP.
func (r *run) checkLinks() {
	var insecure []string
	for _, link := range r.links {
		r.addHost(link)
		if link.Scheme != "https" {
			insecure = appendOnce(insecure, redact(link).String())
		}
	}
	if len(insecure) > 0 {
		r.add("file_links", Failed,
			fmt.Sprintf("%d file links are not https, such as %s", len(insecure), strings.Join(first(insecure, 3), ", ")),
			"set the index's external base URL to https://"+hostOf(r.index)+"; behind a reverse proxy, forward X-Forwarded-Proto: https and the original Host")
		return
	}
	r.add("file_links", Passed, fmt.Sprintf("all %d file links on the project pages are https", len(r.links)), "")
}

// checkHops adds redirects, allowed_prefixes, private_path and
// credential_forwarding from the requests that preflight sent and the file
// links it read.
func (r *run) checkHops() {
	hops := r.rec.recorded()
	var insecure []string
	redirects := 0
	for _, h := range hops {
		r.addHost(h.URL)
		if h.URL.Scheme != "https" {
			insecure = appendOnce(insecure, h.URL.String())
		}
		if h.Status >= 300 && h.Status < 400 {
			redirects++
		}
	}
	if len(insecure) > 0 {
		r.add("redirects", Failed, "requests went to plain HTTP: "+strings.Join(first(insecure, 3), ", "),
			"configure the index to redirect only to https:// URLs, such as by setting its base URL")
	} else {
		r.add("redirects", Passed, fmt.Sprintf("%d requests with %d redirects went to %s", len(hops), redirects, strings.Join(r.report.Hosts, ", ")), "")
	}

	r.checkPrefixes(hops)
	r.checkPrivatePath()
	r.checkForwarding(hops)
}

// checkPrefixes adds allowed_prefixes: every https URL that preflight
// requested or read as a file link must be under API_ALLOWED_PREFIXES.
func (r *run) checkPrefixes(hops []hop) {
	prefixes := allowedPrefixes(r.index, r.opts.Request.Repository.ExtraAllowedPrefixes)
	urls := slices.Clone(r.links)
	for _, h := range hops {
		urls = append(urls, h.URL)
	}
	var outside []string
	for _, u := range urls {
		if u.Scheme == "https" && !underAny(u, prefixes) {
			outside = appendOnce(outside, origin(u))
		}
	}
	if len(outside) > 0 {
		r.add("allowed_prefixes", Failed,
			fmt.Sprintf("%s is outside API_ALLOWED_PREFIXES (%s), so Snowflake would reject fetches from it", strings.Join(outside, ", "), strings.Join(prefixes, ", ")),
			"add "+strings.Join(outside, " and ")+" to $.repository.extra_allowed_prefixes")
		return
	}
	r.add("allowed_prefixes", Passed, "every request and file link is under API_ALLOWED_PREFIXES ("+strings.Join(prefixes, ", ")+")", "")
}

// checkPrivatePath warns, on a private link route, about hosts besides
// the index host: the proxy passes every allowed server name to the one
// upstream, so another host is reachable only if that upstream serves it.
func (r *run) checkPrivatePath() {
	aws := r.opts.Request.AWS
	if aws == nil {
		return
	}
	var others []string
	for _, h := range r.report.Hosts {
		if h != hostOf(r.index) {
			others = append(others, h)
		}
	}
	if len(others) == 0 {
		r.add("private_path", Passed, "the index and its files are on "+hostOf(r.index)+", which the private endpoint serves", "")
		return
	}
	route := fmt.Sprintf("the proxy sends every allowed server name to $.aws.upstream (%s), so those hosts work only if that upstream serves them", aws.Upstream)
	if aws.Proxy == "none" {
		route = fmt.Sprintf("the load balancer sends every connection to $.aws.target_address (%s), so those hosts work only if that address serves them", aws.TargetAddress)
	}
	r.add("private_path", Warned,
		fmt.Sprintf("files also come from %s; over the private endpoint %s", strings.Join(others, ", "), route),
		"configure the index to serve files from "+hostOf(r.index)+" instead of redirecting to object storage or a CDN")
}

// checkForwarding adds credential_forwarding: the credential must reach
// the index origin only.
func (r *run) checkForwarding(hops []hop) {
	var leaked, inURL, others []string
	for _, h := range hops {
		if h.UserInURL {
			inURL = appendOnce(inURL, h.URL.String())
		}
		if sameOrigin(h.URL, r.index) {
			continue
		}
		others = appendOnce(others, hostOf(h.URL))
		if h.Authorization {
			leaked = appendOnce(leaked, hostOf(h.URL))
		}
	}
	switch {
	case len(leaked) > 0:
		r.add("credential_forwarding", Failed, "the credential was sent to "+strings.Join(leaked, ", ")+", not only to the index origin", "report this as a repolink bug")
	case len(inURL) > 0:
		r.add("credential_forwarding", Failed, "the index redirected to URLs with user information, such as "+inURL[0],
			"configure the index not to put credentials into redirect URLs; Snowflake keeps credentials out of URLs")
	case len(others) > 0:
		r.add("credential_forwarding", Passed, fmt.Sprintf("the credential went only to %s; requests to %s carried none", origin(r.index), strings.Join(others, ", ")), "")
	default:
		r.add("credential_forwarding", Passed, "the credential went only to "+origin(r.index)+", and no request left it", "")
	}
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func first(list []string, n int) []string {
	if len(list) > n {
		return list[:n]
	}
	return list
}
