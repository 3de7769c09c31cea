package preflight

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/publicaddr"
)

// expiryWarning is the time before a certificate's expiry from which
// tls_chain warns.
const expiryWarning = 30 * 24 * time.Hour

// checkTLS connects to the index host and checks the certificate that it
// presents: the chain must lead to a trusted CA, and its names must cover
// the host, which is also the host name of the private endpoint. It
// returns false when either fails, because every later request would fail
// the same way.
func (r *run) checkTLS(ctx context.Context) bool {
	roots, trust, err := r.roots()
	if err != nil {
		r.add("tls_chain", Failed, err.Error(), "give preflight an HTTP client whose TLS config trusts the sandbox CA")
		return false
	}

	addr := net.JoinHostPort(r.host, portOf(r.index))
	certs, err := r.peerCertificates(ctx, addr)
	if err != nil {
		r.add("tls_chain", Failed, fmt.Sprintf("TLS handshake with %s failed: %v", addr, err),
			"check that the index host resolves and accepts TLS on that port from where repolink runs")
		return false
	}

	leaf := certs[0]
	if !r.checkChain(certs, roots, trust) {
		return false
	}
	return r.checkNames(leaf)
}

// roots returns the CA pool that stands for the CAs Snowflake trusts and
// its description.
func (r *run) roots() (*x509.CertPool, string, error) {
	var custom *x509.CertPool
	if t, ok := r.opts.HTTP.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
		custom = t.TLSClientConfig.RootCAs
	}
	switch {
	case custom != nil && r.opts.Sandbox:
		return custom, "the sandbox CA", nil
	case custom != nil:
		return custom, "the HTTP client's CA pool", nil
	case r.opts.Sandbox:
		return nil, "", errors.New("sandbox mode needs an HTTP client whose TLS config trusts the sandbox CA, and this one uses the system pool")
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil, "", fmt.Errorf("load the system CA pool: %w", err)
	}
	return pool, "the system CA pool", nil
}

// peerCertificates completes a TLS handshake with addr, using the index
// host as server name as Snowflake does, and returns the certificates the
// server sent. It verifies nothing, so that checkChain can report why a chain
// is not trusted. The connection goes through the client's DialContext
// when its transport is an *http.Transport that has one. Otherwise,
// outside sandbox mode, it dials no address of this machine or of a
// metadata service.
//
// NOTE: a proxy from HTTPS_PROXY and a RoundTripper other than
// *http.Transport are bypassed here, so the handshake may reach the host by
// another path than the HTTP requests.
func (r *run) peerCertificates(ctx context.Context, addr string) ([]*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	dial := (&net.Dialer{}).DialContext
	if !r.opts.Sandbox {
		dial = publicaddr.GuardDialContext(&net.Dialer{})
	}
	if t, ok := r.opts.HTTP.Transport.(*http.Transport); ok && t.DialContext != nil {
		dial = t.DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	tc := tls.Client(conn, &tls.Config{
		ServerName: r.host,
		MinVersion: tls.VersionTLS12,
		// Verification happens in checkChain and checkNames, which
		// report the reason; this connection sends no request.
		InsecureSkipVerify: true,
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, errors.New("the server sent no certificate")
	}
	return certs, nil
}

// checkChain verifies the chain from the leaf to roots and adds tls_chain.
func (r *run) checkChain(certs []*x509.Certificate, roots *x509.CertPool, trust string) bool {
	leaf := certs[0]
	intermediates := x509.NewCertPool()
	for _, c := range certs[1:] {
		intermediates.AddCert(c)
	}
	now := r.opts.Now()
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		detail, fix := chainProblem(leaf, err, trust)
		r.add("tls_chain", Failed, detail, fix)
		return false
	}

	root := chains[0][len(chains[0])-1]
	detail := fmt.Sprintf("certificate for %s chains to %q, trusted by %s; valid until %s",
		subjectName(leaf), subjectName(root), trust, leaf.NotAfter.UTC().Format(time.DateOnly))
	switch {
	case leaf.NotAfter.Sub(now) < expiryWarning:
		r.add("tls_chain", Warned, detail+fmt.Sprintf(", which is in %d days", int(leaf.NotAfter.Sub(now).Hours()/24)),
			"renew the index certificate before it expires")
	case !r.opts.Sandbox && trust != "the system CA pool":
		r.add("tls_chain", Warned, detail+"; Snowflake trusts only public CAs, which this check did not use",
			"check that the certificate comes from a public CA")
	default:
		r.add("tls_chain", Passed, detail, "")
	}
	return true
}

// chainProblem explains a failed chain verification.
func chainProblem(leaf *x509.Certificate, err error, trust string) (detail, fix string) {
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		return fmt.Sprintf("certificate for %s is outside its validity period (%s to %s)", subjectName(leaf),
				leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly)),
			"renew the index certificate"
	}
	if selfSigned(leaf) {
		return fmt.Sprintf("certificate for %s is self-signed, and Snowflake does not accept self-signed certificates", subjectName(leaf)),
			"install a certificate from a public CA that names the index host"
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return fmt.Sprintf("certificate for %s, issued by %q, does not chain to %s", subjectName(leaf), issuerName(leaf), trust),
			"serve the full chain with its intermediate certificates, issued by a public CA"
	}
	return fmt.Sprintf("certificate for %s is not valid: %v", subjectName(leaf), err),
		"install a certificate from a public CA for server authentication that names the index host"
}

func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// checkNames checks that the leaf certificate covers the index host and
// adds tls_names.
func (r *run) checkNames(leaf *x509.Certificate) bool {
	if name, ok := coversHost(leaf.DNSNames, r.host); ok {
		r.add("tls_names", Passed, fmt.Sprintf("certificate name %s covers %s", name, r.host), "")
		return true
	}

	names := strings.Join(leaf.DNSNames, ", ")
	if names == "" {
		names = "no DNS names (TLS clients no longer read the common name " + leaf.Subject.CommonName + ")"
	}
	r.add("tls_names", Failed,
		fmt.Sprintf("certificate names %s do not cover %s; Snowflake connects with the host of index_url as server name, and the proxy passes TLS through unchanged", names, r.host),
		"use a host name that the certificate names in $.repository.index_url and $.aws.upstream, or reissue the certificate for "+r.host)
	return false
}

// coversHost returns the certificate name that matches host. A wildcard
// matches exactly one whole leftmost label: *.example.com matches
// a.example.com, but neither example.com nor a.b.example.com, and partial
// wildcards such as f*.example.com match nothing.
func coversHost(names []string, host string) (string, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, name := range names {
		n := strings.ToLower(strings.TrimSuffix(name, "."))
		if n == host && !strings.Contains(n, "*") {
			return name, true
		}
		rest, ok := strings.CutPrefix(n, "*.")
		if !ok || strings.Contains(rest, "*") || !strings.Contains(rest, ".") {
			continue
		}
		label, parent, ok := strings.Cut(host, ".")
		if ok && label != "" && parent == rest {
			return name, true
		}
	}
	return "", false
}

func subjectName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return c.Subject.String()
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}
