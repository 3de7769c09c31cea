package request

import "net"

// IsDNSHostname reports whether host is a DNS host name, the form that the
// host of repository.index_url must have: labels of letters, digits and
// hyphens, each at most 63 characters, separated by dots, and not an IP
// address.
func IsDNSHostname(host string) bool {
	return hostnamePattern.MatchString(host) && net.ParseIP(host) == nil
}
