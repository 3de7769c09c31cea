// Package publicaddr rejects the addresses and host names of the machine
// itself, of private networks and of cloud metadata services, so that a URL
// from a request cannot make the service call into its own network. It
// imports only the standard library, so a Lambda bootstrap can use it.
package publicaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// nonPublicRanges are the unicast ranges that are not reachable from the
// internet: RFC 1918, RFC 6598 shared address space, the IETF protocol
// assignments block 192.0.0.0/24 and IPv6 unique local addresses (RFC 4193).
var nonPublicRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("fc00::/7"),
}

// IPv6 prefixes whose addresses contain an IPv4 address that a translator
// or relay connects to. NAT64's well-known prefix (RFC 6052) puts it in the
// last 32 bits and 6to4 (RFC 3056) in bits 16 to 47. The local-use NAT64
// prefix (RFC 8215) reaches only the operator's own translator, so it
// counts as private.
var (
	nat64Prefix      = netip.MustParsePrefix("64:ff9b::/96")
	nat64LocalPrefix = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFourPrefix  = netip.MustParsePrefix("2002::/16")
	compatiblePrefix = netip.MustParsePrefix("::/96")
)

// embeddedIPv4 returns the IPv4 address inside ip when ip is a NAT64
// (well-known prefix), 6to4 or IPv4-compatible (::a.b.c.d) address.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	octets := ip.As16()
	switch {
	case nat64Prefix.Contains(ip), compatiblePrefix.Contains(ip) && !ip.IsUnspecified() && !ip.IsLoopback():
		return netip.AddrFrom4([4]byte(octets[12:16])), true
	case sixToFourPrefix.Contains(ip):
		return netip.AddrFrom4([4]byte(octets[2:6])), true
	}
	return netip.Addr{}, false
}

// Problem returns what kind of address ip is when it is not a public
// unicast address, such as "a loopback address", or "".
func Problem(ip netip.Addr) string {
	ip = ip.Unmap()
	if kind := machineKind(ip); kind != "" {
		return kind
	}
	for _, r := range nonPublicRanges {
		if r.Contains(ip) {
			return fmt.Sprintf("a private address, in %s", r)
		}
	}
	if nat64LocalPrefix.Contains(ip) {
		return fmt.Sprintf("an address of a local NAT64 translator, in %s", nat64LocalPrefix)
	}
	if v4, ok := embeddedIPv4(ip); ok {
		if kind := Problem(v4); kind != "" {
			return fmt.Sprintf("an IPv6 form of %s, which is %s", v4, kind)
		}
	}
	return ""
}

// HostProblem returns why host, an IP address or a host name without a
// port, names the machine itself, a private network or a metadata service,
// or "" when it does not. It does not resolve names, so a name that
// resolves to such an address passes here; Control rejects it when dialed.
func HostProblem(host string) string {
	return hostProblem(host, Problem)
}

// hostProblem returns why host, an IP address or a host name without a
// port, is a name of machineHostName or an address that classify rejects,
// or "".
func hostProblem(host string, classify func(netip.Addr) string) string {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if kind := machineHostName(host); kind != "" {
		return kind
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return classify(ip)
	}
	return ""
}

// Control is a net.Dialer Control function that rejects a connection to an
// address for which Problem returns a kind. It runs after name resolution,
// so it also rejects a host name that resolves to such an address.
func Control(network, address string, _ syscall.RawConn) error {
	return controlAddress(network, address, Problem, "which a notification may not reach")
}

// controlAddress rejects a dial of network and address, an IP address and
// port, when classify returns a kind for the address, and adds reason to
// the error.
func controlAddress(network, address string, classify func(netip.Addr) string, reason string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: not an IP address: %w", address, err)
	}
	if kind := classify(ip); kind != "" {
		return fmt.Errorf("dial %s %s rejected: %s is %s, %s", network, address, ip.Unmap(), kind, reason)
	}
	return nil
}

// Transport returns an HTTP transport that dials only public addresses,
// with the timeouts of http.DefaultTransport. It uses no proxy, because a
// proxy would connect to the rejected addresses on the transport's behalf.
func Transport() *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: Control}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = dialer.DialContext
	return transport
}
