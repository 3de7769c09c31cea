package publicaddr

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestMachineProblemRejects(t *testing.T) {
	for _, addr := range []string{
		"127.0.0.1", "127.9.9.9", "::1", "0.0.0.0", "::", "0.1.2.3",
		"169.254.169.254", "169.254.170.2", "fe80::1", "fd00:ec2::254",
		"224.0.0.1", "ff02::1", "255.255.255.255",
		"::ffff:169.254.169.254", "::ffff:127.0.0.1",
		// NAT64, 6to4 and IPv4-compatible forms.
		"64:ff9b::a9fe:a9fe", "64:ff9b::127.0.0.1", "2002:7f00:1::1",
		"2002:a9fe:a9fe::", "::169.254.169.254", "::127.0.0.2",
		// The local-use NAT64 prefix, whatever IPv4 address it may hold.
		"64:ff9b:1::a9fe:a9fe", "64:ff9b:1::127.0.0.1", "64:ff9b:1:a9fe:a9:fe00::", "64:ff9b:1::10.0.0.1",
	} {
		if MachineProblem(netip.MustParseAddr(addr)) == "" {
			t.Errorf("MachineProblem(%s) = \"\", want a kind", addr)
		}
	}
}

func TestMachineProblemAcceptsPrivateAndPublic(t *testing.T) {
	for _, addr := range []string{
		"10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "fd12:3456::1",
		"64:ff9b::10.0.0.1", "93.184.216.34", "2606:4700::1111",
	} {
		if kind := MachineProblem(netip.MustParseAddr(addr)); kind != "" {
			t.Errorf("MachineProblem(%s) = %q, want \"\"", addr, kind)
		}
	}
}

func TestMachineHostProblem(t *testing.T) {
	for host, rejected := range map[string]bool{
		"localhost": true, "pypi.localhost": true, "LOCALHOST.": true,
		"metadata.google.internal": true, "Metadata.Google.Internal.": true,
		"instance-data.ec2.internal": true, "kubernetes.default.svc": true,
		"[fd00:ec2::254]": true, "169.254.169.254": true, "[::1]": true,
		"pypi.corp.example.com": false, "10.0.1.25": false, "[fd12::1]": false,
	} {
		if got := MachineHostProblem(host) != ""; got != rejected {
			t.Errorf("MachineHostProblem(%q) rejects = %v, want %v", host, got, rejected)
		}
	}
}

// The Control function only inspects the address string, so no test here
// connects to a metadata address.
func TestMachineControlRejects(t *testing.T) {
	for _, address := range []string{
		"127.0.0.1:443", "169.254.169.254:80", "[fd00:ec2::254]:80",
		"[::1]:443", "[64:ff9b::a9fe:a9fe]:80", "0.0.0.0:443", "[64:ff9b:1::a9fe:a9fe]:443",
	} {
		err := MachineControl("tcp", address, nil)
		if err == nil {
			t.Errorf("MachineControl(%s) = nil, want an error", address)
			continue
		}
		if !strings.Contains(err.Error(), "rejected") {
			t.Errorf("MachineControl(%s) = %v, want it to say rejected", address, err)
		}
	}
}

func TestMachineControlAcceptsPrivate(t *testing.T) {
	for _, address := range []string{"10.0.1.25:443", "172.16.4.4:8443", "192.168.1.10:443", "[fd12::1]:443"} {
		if err := MachineControl("tcp", address, nil); err != nil {
			t.Errorf("MachineControl(%s) = %v, want nil", address, err)
		}
	}
}

func TestGuardDialContextRejectsNames(t *testing.T) {
	dial := GuardDialContext(&net.Dialer{})
	for _, address := range []string{"metadata.google.internal:80", "kubernetes.default.svc:443"} {
		conn, err := dial(context.Background(), "tcp", address)
		if err == nil {
			conn.Close()
			t.Errorf("dial %s succeeded, want it rejected", address)
			continue
		}
		if !strings.Contains(err.Error(), "rejected") {
			t.Errorf("dial %s = %v, want it rejected by name", address, err)
		}
	}
}

func TestGuardDialContextRejectsLoopbackListener(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer listener.Close()

	conn, err := GuardDialContext(&net.Dialer{})(context.Background(), "tcp", listener.Addr().String())
	if err == nil {
		conn.Close()
		t.Fatal("dial to a loopback listener succeeded, want it rejected")
	}
	if !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error = %v, want it to name the loopback address", err)
	}
}
