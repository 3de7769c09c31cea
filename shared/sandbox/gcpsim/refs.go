package gcpsim

import (
	"net"
	"strings"
)

// canonical turns a resource reference as clients send it (a full URL, a
// path from projects/, or a path relative to the project such as
// global/networks/default) into a path from projects/.
func canonical(project, ref string) string {
	ref = strings.TrimSpace(ref)
	if i := strings.Index(ref, "/compute/v1/"); i >= 0 && strings.Contains(ref[:i], "://") {
		ref = ref[i+len("/compute/v1/"):]
	}
	ref = strings.TrimPrefix(ref, "/")
	if ref == "" || strings.HasPrefix(ref, "projects/") {
		return ref
	}
	return "projects/" + project + "/" + ref
}

// segment returns the value after key in a resource path, such as the
// region of projects/p/regions/r/subnetworks/s for key "regions".
func segment(path, key string) string {
	parts := strings.Split(path, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == key {
			return parts[i+1]
		}
	}
	return ""
}

// regionOfZone returns the region of a zone such as us-central1-a.
func regionOfZone(zone string) string {
	i := strings.LastIndex(zone, "-")
	if i < 0 {
		return zone
	}
	return zone[:i]
}

// link returns the self link of a resource path.
func link(path string) string {
	if path == "" {
		return ""
	}
	return linkBase + path
}

func links(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = link(p)
	}
	return out
}

// cidrContains reports whether the block outer contains the block inner.
func cidrContains(outer, inner string) bool {
	_, o, err := net.ParseCIDR(outer)
	if err != nil {
		return false
	}
	_, in, err := net.ParseCIDR(inner)
	if err != nil {
		return false
	}
	outerOnes, _ := o.Mask.Size()
	innerOnes, _ := in.Mask.Size()
	return o.Contains(in.IP) && outerOnes <= innerOnes
}

// cidrOverlaps reports whether two blocks share an address.
func cidrOverlaps(a, b string) bool {
	return cidrContains(a, b) || cidrContains(b, a)
}

// usableHosts returns the addresses of a subnet that can be allocated.
// Compute Engine reserves the first two and the last two addresses.
func usableHosts(cidr string) []string {
	ip, block, err := net.ParseCIDR(cidr)
	if err != nil || ip.To4() == nil {
		return nil
	}
	ones, bits := block.Mask.Size()
	size := 1 << (bits - ones)
	if size > 1<<16 {
		size = 1 << 16
	}
	base := block.IP.To4()
	var out []string
	for i := 2; i < size-2; i++ {
		n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
		n += uint32(i)
		out = append(out, net.IPv4(byte(n>>24), byte(n>>16), byte(n>>8), byte(n)).String())
	}
	return out
}
