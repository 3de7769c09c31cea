package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// checkListenHost checks the host of the --listen address listen. A host
// of only digits and dots must be an IPv4 address of four decimal parts,
// because net.Listen looks any other form up in DNS: 127.1 would fail with
// a lookup error rather than mean 127.0.0.1, as inet_aton reads it.
func checkListenHost(listen, host, port string) error {
	if host == "" || strings.Trim(host, "0123456789.") != "" {
		return nil
	}
	if addr, err := netip.ParseAddr(host); err == nil && addr.Is4() {
		return nil
	}
	problem := fmt.Sprintf("--listen %q: host %s is not an IPv4 address of four decimal parts, "+
		"and up does not look numeric hosts up in DNS", listen, host)
	if full, ok := expandShortIPv4(host); ok {
		return usagef("%s; write %s", problem, net.JoinHostPort(full, port))
	}
	return usagef("%s; write four parts from 0 to 255, such as %s", problem, defaultListen)
}

// expandShortIPv4 returns the dotted-quad form of a decimal IPv4 address
// of one to three parts, which inet_aton accepts: the last part fills the
// remaining bytes, so 127.1 is 127.0.0.1. It reports false for any other
// host, including parts with a leading zero, which inet_aton reads as
// octal.
func expandShortIPv4(host string) (string, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 3 {
		return "", false
	}
	var values []uint64
	for _, part := range parts {
		if part == "" || (len(part) > 1 && part[0] == '0') {
			return "", false
		}
		value, err := strconv.ParseUint(part, 10, 32)
		if err != nil {
			return "", false
		}
		values = append(values, value)
	}

	var addr [4]byte
	for i, value := range values[:len(values)-1] {
		if value > 255 {
			return "", false
		}
		addr[i] = byte(value)
	}
	lastBytes := 5 - len(values)
	last := values[len(values)-1]
	if last >= 1<<(8*lastBytes) {
		return "", false
	}
	for i := 3; i >= 4-lastBytes; i-- {
		addr[i] = byte(last)
		last >>= 8
	}
	return netip.AddrFrom4(addr).String(), true
}

// listenError returns the usage error for a failed net.Listen on the
// --listen address listen, with the advice that fits the cause.
func listenError(listen string, err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return usagef("listen on %s: %v; the host name was not resolved, so give an IP address, "+
			"such as 127.0.0.1, or a host name that resolves on this machine", listen, err)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return usagef("listen on %s: %v; the host is not an address of this machine, so give one that is, "+
			"such as 127.0.0.1 for this machine only or 0.0.0.0 for every interface", listen, err)
	case errors.Is(err, syscall.EACCES):
		return usagef("listen on %s: %v; the port needs privileges, as ports below 1024 do on most systems, "+
			"so choose a port from 1024 up", listen, err)
	case errors.Is(err, syscall.EADDRINUSE):
		return usagef("listen on %s: %v; choose another --listen port, or stop what serves it", listen, err)
	}
	// NOTE: Windows reports these causes as WSA error codes, which the
	// syscall values above do not match, so there every cause gets this
	// general advice.
	return usagef("listen on %s: %v; choose another --listen address, or stop what serves it", listen, err)
}
