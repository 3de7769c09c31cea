package main

import (
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestUpRejectsShortNumericListenHost checks that parseUpFlags, which
// binds and resolves nothing, rejects a numeric host that net.Listen would
// look up in DNS, and names the full address where there is one.
func TestUpRejectsShortNumericListenHost(t *testing.T) {
	tests := []struct {
		name   string
		listen string
		want   string
	}{
		{"two parts", "127.1:18089", "write 127.0.0.1:18089"},
		{"three parts", "10.1.2:8080", "write 10.1.0.2:8080"},
		{"one part", "2130706433:8080", "write 127.0.0.1:8080"},
		{"leading zero", "127.0.0.01:8080", "write four parts from 0 to 255"},
		{"part above 255", "256.1.1.1:8080", "write four parts from 0 to 255"},
		{"last part too large", "127.16777216:8080", "write four parts from 0 to 255"},
		{"empty part", "127..1:8080", "write four parts from 0 to 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseUpFlagsError(t, "--sandbox", "--listen", tt.listen)
			if !strings.Contains(got, "is not an IPv4 address of four decimal parts") {
				t.Errorf("error %q does not say that the host is not a full IPv4 address", got)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("error %q does not contain %q", got, tt.want)
			}
		})
	}
}

func TestListenErrorAdvice(t *testing.T) {
	inUse, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inUse.Close()
	_, inUseErr := net.Listen("tcp", inUse.Addr().String())
	if inUseErr == nil {
		t.Fatal("second listen on a bound port succeeded")
	}
	notLocal := &net.OpError{Op: "listen", Net: "tcp",
		Err: os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)}
	unresolved := &net.OpError{Op: "listen", Net: "tcp",
		Err: &net.DNSError{Err: "no such host", Name: "ci.corp.invalid", IsNotFound: true}}

	tests := []struct {
		name    string
		err     error
		want    string
		wantNot string
	}{
		{"in use", inUseErr, "choose another --listen port, or stop what serves it", ""},
		{"not an address here", notLocal, "the host is not an address of this machine", "stop what serves it"},
		{"host not resolved", unresolved, "the host name was not resolved", "stop what serves it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := listenError("host:8080", tt.err)
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Fatalf("listenError = %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if tt.wantNot != "" && strings.Contains(err.Error(), tt.wantNot) {
				t.Errorf("error %q contains %q, which does not fit the cause", err, tt.wantNot)
			}
		})
	}
}
