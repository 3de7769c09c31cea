package publicaddr

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestProblemRejectsInternalAddresses(t *testing.T) {
	for _, addr := range []string{
		"127.0.0.1", "127.9.9.9", "::1", "0.0.0.0", "::", "0.1.2.3",
		"169.254.169.254", "fe80::1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
		"100.64.0.1", "192.0.0.192", "fd00:ec2::254", "224.0.0.1", "255.255.255.255",
		"::ffff:169.254.169.254", "::ffff:127.0.0.1",
		// NAT64, 6to4 and IPv4-compatible forms of internal IPv4 addresses.
		"64:ff9b::a9fe:a9fe", "64:ff9b::127.0.0.1", "64:ff9b::10.0.0.1", "64:ff9b:1::1",
		"2002:7f00:1::1", "2002:a9fe:a9fe::", "::169.254.169.254", "::10.1.2.3",
	} {
		if Problem(netip.MustParseAddr(addr)) == "" {
			t.Errorf("Problem(%s) = \"\", want a kind", addr)
		}
	}
}

func TestProblemAcceptsPublicAddresses(t *testing.T) {
	for _, addr := range []string{
		"93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1",
		"64:ff9b::8.8.8.8", "2002:5db8:d822::1", "::8.8.8.8",
	} {
		if kind := Problem(netip.MustParseAddr(addr)); kind != "" {
			t.Errorf("Problem(%s) = %q, want \"\"", addr, kind)
		}
	}
}

func TestHostProblem(t *testing.T) {
	for host, rejected := range map[string]bool{
		"localhost": true, "api.localhost": true, "LOCALHOST.": true,
		"metadata.google.internal": true, "Metadata.Google.Internal.": true, "metadata.goog": true,
		"instance-data": true, "169.254.169.254": true, "[::1]": true, "[fd00:ec2::254]": true,
		"hooks.example.com": false, "93.184.216.34": false,
	} {
		if got := HostProblem(host) != ""; got != rejected {
			t.Errorf("HostProblem(%q) rejects = %v, want %v", host, got, rejected)
		}
	}
}

func TestControlAcceptsPublicAddress(t *testing.T) {
	// Control only inspects the address; nothing is dialed here.
	if err := Control("tcp4", "93.184.216.34:443", nil); err != nil {
		t.Errorf("Control(public address) = %v, want nil", err)
	}
}

func TestDialerWithControlRejectsLoopback(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer listener.Close()

	dialer := &net.Dialer{Control: Control}
	conn, err := dialer.Dial("tcp", listener.Addr().String())
	if err == nil {
		conn.Close()
		t.Fatal("dial to a loopback listener succeeded, want it rejected")
	}
	if !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error = %v, want it to name the loopback address", err)
	}
}

func TestTransportRejectsNameResolvingToLoopback(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("request reached the loopback server")
	}))
	defer server.Close()

	// localhost is a name, so the check happens on the resolved address.
	_, port, _ := net.SplitHostPort(server.Listener.Addr().String())
	client := &http.Client{Transport: Transport()}
	resp, err := client.Get("http://localhost:" + port + "/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("request to localhost succeeded, want it rejected")
	}
}
