package proxycheck

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer answers A queries on a loopback UDP port, standing in for the
// VPC resolver so that nginx resolves a host name upstream the way it does
// on the VM.
type dnsServer struct {
	conn    net.PacketConn
	records map[string][4]byte // by lower-case FQDN with the trailing dot
	queries atomic.Int64
	done    chan struct{}
}

// startDNS serves records, a map from host name to IPv4 address, on a free
// 127.0.0.1 port until Close. Every other name gets NXDOMAIN.
func startDNS(records map[string]string) (*dnsServer, error) {
	s := &dnsServer{records: map[string][4]byte{}, done: make(chan struct{})}
	for name, addr := range records {
		ip := net.ParseIP(addr).To4()
		if ip == nil {
			return nil, fmt.Errorf("dns record %s: %q is not an IPv4 address", name, addr)
		}
		s.records[strings.ToLower(strings.TrimSuffix(name, "."))+"."] = [4]byte(ip)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for dns: %w", err)
	}
	s.conn = conn
	go s.serve()
	return s, nil
}

// Addr returns the 127.0.0.1:<port> address, as nginx's resolver takes it.
func (s *dnsServer) Addr() string { return s.conn.LocalAddr().String() }

// Queries returns how many queries the server has answered.
func (s *dnsServer) Queries() int64 { return s.queries.Load() }

// Close stops the server and waits for its loop to end.
func (s *dnsServer) Close() error {
	err := s.conn.Close()
	<-s.done
	return err
}

func (s *dnsServer) serve() {
	defer close(s.done)
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		reply, err := s.answer(buf[:n])
		if err != nil {
			continue
		}
		s.queries.Add(1)
		s.conn.WriteTo(reply, from)
	}
}

// answer builds the response to one query message.
func (s *dnsServer) answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	header, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	question, err := p.Question()
	if err != nil {
		return nil, err
	}

	ip, known := s.records[strings.ToLower(question.Name.String())]
	rcode := dnsmessage.RCodeSuccess
	if !known {
		rcode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{
		ID: header.ID, Response: true, Authoritative: true,
		RecursionDesired: header.RecursionDesired, RCode: rcode,
	})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(question); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if known && question.Type == dnsmessage.TypeA {
		rh := dnsmessage.ResourceHeader{Name: question.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 30}
		if err := b.AResource(rh, dnsmessage.AResource{A: ip}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}
