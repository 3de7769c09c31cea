package proxycheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/repoindex"
)

// heredocEnd ends the here-document that writes nginx.conf in the AL2023
// boot script.
const heredocEnd = "REPOLINK_NGINX_CONF_END"

// nginxConfFromAL2023 renders the AL2023 boot script for c and returns the
// nginx.conf that its here-document writes on the VM, so the check runs
// the file as shipped.
func nginxConfFromAL2023(c proxy.Config) (string, error) {
	script, err := proxy.UserDataAL2023(c)
	if err != nil {
		return "", err
	}
	start := "<<'" + heredocEnd + "'\n"
	i := strings.Index(script, start)
	if i < 0 {
		return "", fmt.Errorf("boot script has no here-document ending in %s", heredocEnd)
	}
	body := script[i+len(start):]
	j := strings.Index(body, "\n"+heredocEnd+"\n")
	if j < 0 {
		return "", fmt.Errorf("boot script here-document does not end with %s", heredocEnd)
	}
	return body[:j+1], nil
}

// handshake dials addr and completes a TLS handshake with serverName. It
// verifies the certificate against roots, or not at all when roots is nil,
// so that only a closed connection fails the handshake.
func handshake(ctx context.Context, addr, serverName string, roots *x509.CertPool) (tls.ConnectionState, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cfg := &tls.Config{ServerName: serverName, RootCAs: roots, MinVersion: tls.VersionTLS12}
	if roots == nil {
		// The rejection steps test the proxy, not the certificate: a
		// proxy that passes the name through must not count as closing it
		// because the index certificate does not cover the name.
		cfg.InsecureSkipVerify = true
	}
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState(), nil
}

// goDownload installs the requirement with repoindex through the proxy:
// every connection goes to addr, and TLS uses the host of the index URL as
// server name. Install checks the download against the link's sha256; the
// result must also match want, the digest the index serves.
func goDownload(ctx context.Context, addr string, roots *x509.CertPool, user, password, want string) error {
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	defer transport.CloseIdleConnections()
	client := &repoindex.Client{
		HTTP:     &http.Client{Transport: transport, Timeout: 30 * time.Second},
		IndexURL: "https://" + allowedName + "/simple/",
		Username: user,
		Password: password,
	}
	installed, err := client.Install(ctx, []string{requirement})
	if err != nil {
		return err
	}
	if len(installed) != 1 || installed[0].SHA256 != want {
		return fmt.Errorf("downloaded %+v, want one wheel with sha256 %s", installed, want)
	}
	return nil
}
