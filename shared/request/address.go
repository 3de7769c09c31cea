package request

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/repolink/repolink/shared/publicaddr"
)

// privateRanges are the IPv4 ranges that a load balancer target of the
// private-link routes may use: RFC 1918 and the RFC 6598 shared address
// space. They are the ranges outside a VPC's own subnets that a Network
// Load Balancer accepts for an IP target, according to the Elastic Load
// Balancing documentation of target groups, which rejects publicly
// routable addresses.
//
// NOTE: a VPC may also use other ranges, such as a publicly routable CIDR
// block. A repository in such a range cannot be targeted with proxy none
// on AWS.
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

const privateRangesText = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10"

var broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// specialAddress returns what kind of address ip is when no repository can
// be reached at it, such as the loopback or a link-local address, or "".
func specialAddress(ip netip.Addr) string {
	switch {
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address, such as the cloud metadata service's"
	case ip.IsMulticast() || ip.IsLinkLocalMulticast():
		return "a multicast address"
	case ip == broadcast:
		return "the broadcast address"
	}
	return ""
}

func isPrivate(ip netip.Addr) bool {
	for _, r := range privateRanges {
		if r.Contains(ip) {
			return true
		}
	}
	return false
}

// targetAddress checks the target_address of proxy none: the IPv4 address
// of the repository that the load balancer sends traffic to. A Network
// Load Balancer rejects publicly routable IP targets, so on AWS the address
// must be private. Azure virtual networks and Google Cloud VPC networks may
// use public ranges privately, so there only the addresses where no
// repository can run are rejected.
func (v *validator) targetAddress(path, value string, privateOnly bool) {
	const fix = "with proxy none set the repository's private IPv4 address"
	ip, err := netip.ParseAddr(value)
	if err != nil || !ip.Is4() {
		v.add(path, "missing or invalid; "+fix+", such as 10.0.1.25")
		return
	}
	if kind := specialAddress(ip); kind != "" {
		v.add(path, fmt.Sprintf("%s is %s; %s, such as 10.0.1.25", value, kind, fix))
		return
	}
	if privateOnly && !isPrivate(ip) {
		v.add(path, fmt.Sprintf("%s is a public address, which a load balancer does not target; %s, in %s", value, fix, privateRangesText))
	}
}

// machineHostFix is the fix for an upstream host that names the proxy VM
// itself or a cloud metadata service.
const machineHostFix = "use the index's own host name or address as the proxy reaches it; " +
	"a private address, such as one in 10.0.0.0/8, is accepted, because the index usually runs in a private network"

// upstreamHost rejects an upstream host that names the proxy VM itself, a
// cloud metadata service or the Kubernetes API server, by name or by
// address, or that is an address where no index runs. Private and public
// addresses are accepted, because the proxy reaches the index at its
// internal address or on the internet.
func (v *validator) upstreamHost(path, host string) {
	_, err := netip.ParseAddr(host)
	if kind := publicaddr.MachineHostProblem(host); kind != "" {
		// The message reads "is a loopback address" for an address and
		// "names localhost" for a name.
		verb := "is"
		if err != nil {
			verb = "names"
		}
		v.add(path, fmt.Sprintf("host %s %s %s; the proxy VM must not connect to itself or a metadata service, so %s", host, verb, kind, machineHostFix))
		return
	}
	if problem := numericHostProblem(host); problem != "" {
		v.add(path, problem+"; write the address as four decimal numbers, such as 10.0.1.25, or use the index's host name")
	}
}

// specialRanges are the IPv4 ranges of the addresses that specialAddress
// names. A subnet must not overlap them.
var specialRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

// pscSubnetCIDR checks the range of the Private Service Connect subnet,
// which the workflow creates when it is absent. Google Cloud subnets may
// use private ranges and also public ranges used privately, so only blocks
// that overlap the unspecified, loopback, link-local, multicast or
// broadcast addresses are rejected.
func (v *validator) pscSubnetCIDR(value string) {
	const path = "$.gcp.psc_subnet_cidr"
	prefix, err := netip.ParsePrefix(value)
	if err != nil || !prefix.Addr().Is4() {
		v.add(path, "must be an IPv4 CIDR block such as "+DefaultPSCSubnetCIDR)
		return
	}
	if masked := prefix.Masked(); masked != prefix {
		v.add(path, fmt.Sprintf("%s has host bits set; use the network address of the block, %s", value, masked))
		return
	}
	for _, r := range specialRanges {
		if r.Overlaps(prefix) {
			v.add(path, fmt.Sprintf("%s overlaps %s, which holds %s; use a private range such as %s",
				value, r, specialAddress(r.Addr()), DefaultPSCSubnetCIDR))
			return
		}
	}
}

// numericHostProblem returns why host, a host name or address without a
// port, is an IPv4 address in a short or numeric form, such as 2130706433,
// 0x7f000001 or 127.1, or "" when it is not. Every host field that accepts
// a host name checks it, because a name check such as MachineHostProblem
// does not read these forms as addresses. Callers append their fix.
func numericHostProblem(host string) string {
	host = strings.TrimSuffix(host, ".")
	if _, err := netip.ParseAddr(host); err == nil || !numericHost(host) {
		return ""
	}
	return fmt.Sprintf("host %s is an address in a short or numeric form, which resolvers read differently, such as 2130706433 for 127.0.0.1", host)
}

// numericHost reports whether host, which is not a dotted-quad address,
// ends in a decimal or hexadecimal number label. No top-level domain is a
// number, and C resolvers read such a name as an IPv4 address, so that 0
// is 0.0.0.0 and 127.1 is 127.0.0.1.
func numericHost(host string) bool {
	label := host[strings.LastIndexByte(host, '.')+1:]
	if hex, ok := strings.CutPrefix(strings.ToLower(label), "0x"); ok {
		label = hex
		if label == "" {
			return true
		}
		return strings.Trim(label, "0123456789abcdef") == ""
	}
	return label != "" && strings.Trim(label, "0123456789") == ""
}

// proxiesIndex reports whether the request's route puts a proxy VM in
// front of the index, which a private-link route does unless its proxy is
// none.
func (r *Request) proxiesIndex() bool {
	switch {
	case r.Route == RouteAWSPrivateLink && r.AWS != nil:
		return r.AWS.Proxy != "none"
	case r.Route == RouteAzurePrivateLink && r.Azure != nil:
		return r.Azure.Proxy != "none"
	case r.Route == RouteGCPPrivateLink && r.GCP != nil:
		return r.GCP.Proxy != "none"
	}
	return false
}
