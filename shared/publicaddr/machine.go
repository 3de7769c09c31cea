package publicaddr

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// The functions in this file reject a narrower set than Problem and
// HostProblem: the machine itself and the cloud metadata services, but not
// private networks. A company package index usually sits in a private
// range, reached through a VPC, VNet or VPN, so a client of the index must
// reach private addresses and no address of the machine it runs on.

// metadataHosts are the host names of the cloud metadata services:
// metadata.google.internal, metadata.goog and the short name metadata on
// Google Cloud, and instance-data on Amazon EC2.
var metadataHosts = map[string]bool{
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"metadata":                   true,
	"instance-data":              true,
	"instance-data.ec2.internal": true,
}

// clusterAPIHosts are the names under which a Kubernetes pod reaches the
// API server of its own cluster, with the default cluster domain.
var clusterAPIHosts = map[string]bool{
	"kubernetes":                           true,
	"kubernetes.default":                   true,
	"kubernetes.default.svc":               true,
	"kubernetes.default.svc.cluster.local": true,
}

var broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// ec2MetadataIPv6 is the IPv6 address of the Amazon EC2 instance metadata
// service. It lies in the unique local range fc00::/7, so the private
// ranges would let it through.
var ec2MetadataIPv6 = netip.MustParseAddr("fd00:ec2::254")

// machineKind returns what kind of address ip, already unmapped, is when it
// is an address of this machine or of a metadata service, or not an
// address a host can be reached at. Embedded IPv4 forms are left to the
// caller.
func machineKind(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "not a valid address"
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address, such as the cloud metadata service's"
	case ip == ec2MetadataIPv6:
		return "the IPv6 address of the Amazon EC2 metadata service"
	case ip.IsMulticast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	case ip == broadcast:
		return "the broadcast address"
	case ip.Is4() && ip.As4()[0] == 0:
		// 0.0.0.0/8 means this network (RFC 1122), and Linux connects
		// 0.x.x.x addresses to the machine itself.
		return "an address in 0.0.0.0/8, which means this host"
	}
	return ""
}

// MachineProblem returns what kind of address ip is when it belongs to this
// machine or a cloud metadata service, or is a multicast, broadcast or
// unspecified address, such as "a loopback address". It returns "" for
// private and public unicast addresses. NAT64 (64:ff9b::/96), 6to4 and
// IPv4-compatible forms are judged by the IPv4 address they contain. Every
// address of the local-use NAT64 prefix 64:ff9b:1::/48 is rejected,
// because where it holds the IPv4 address depends on the prefix length
// that the operator's translator uses (RFC 6052 allows /32 to /96), so
// 64:ff9b:1::a9fe:a9fe may reach 169.254.169.254.
//
// NOTE: this also rejects an index host whose name a DNS64 resolver maps
// into the local-use prefix. Such a host is reachable by its IPv4 address.
func MachineProblem(ip netip.Addr) string {
	ip = ip.Unmap()
	if kind := machineKind(ip); kind != "" {
		return kind
	}
	if nat64LocalPrefix.Contains(ip) {
		return fmt.Sprintf("an address of the local-use NAT64 prefix %s, whose embedded IPv4 address depends on the translator and cannot be checked", nat64LocalPrefix)
	}
	if v4, ok := embeddedIPv4(ip); ok {
		if kind := MachineProblem(v4); kind != "" {
			return fmt.Sprintf("an IPv6 form of %s, which is %s", v4, kind)
		}
	}
	return ""
}

// machineHostName returns why the host name names this machine, a metadata
// service or the cluster's API server, or "".
func machineHostName(host string) string {
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	switch {
	case lower == "localhost" || strings.HasSuffix(lower, ".localhost"):
		// Resolvers return a loopback address for localhost and every
		// name under .localhost (RFC 6761).
		return "localhost, which is this machine"
	case metadataHosts[lower]:
		return "a cloud metadata service"
	case clusterAPIHosts[lower]:
		return "the Kubernetes API server of the cluster this runs in"
	}
	return ""
}

// MachineHostProblem returns why host, an IP address or a host name without
// a port, names this machine, a cloud metadata service or the Kubernetes
// API server, or "" when it does not. Private addresses pass. It does not
// resolve names, so a name that resolves to a loopback or link-local
// address passes here, and MachineControl rejects it when dialed.
func MachineHostProblem(host string) string {
	return hostProblem(host, MachineProblem)
}

// MachineControl is a net.Dialer Control function that rejects a connection
// to an address for which MachineProblem returns a kind. It runs after name
// resolution, so it also rejects a host name that resolves to such an
// address.
func MachineControl(network, address string, _ syscall.RawConn) error {
	return controlAddress(network, address, MachineProblem, "and repolink does not connect to this machine or a metadata service")
}

// GuardDialContext dials like a net.Dialer with MachineControl, after it
// rejects a host name for which MachineHostProblem returns a kind. The name
// check catches the cluster's API server, whose address is private.
func GuardDialContext(dialer *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	guarded := *dialer
	guarded.Control = MachineControl
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", address, err)
		}
		if kind := MachineHostProblem(host); kind != "" {
			return nil, fmt.Errorf("dial %s %s rejected: %s is %s; repolink does not connect to this machine or a metadata service", network, address, host, kind)
		}
		return guarded.DialContext(ctx, network, address)
	}
}

// PrivateTransport returns an HTTP transport, with the timeouts of
// http.DefaultTransport, that connects to private and public addresses
// but to no address or host name for which MachineProblem or
// MachineHostProblem returns a kind. It uses no proxy, because a proxy would
// connect to the rejected addresses on the transport's behalf.
func PrivateTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = GuardDialContext(dialer)
	return transport
}
