// Package proxy renders the configuration of the proxy VM that carries
// Snowflake's private connection to the package index. The VM runs an
// nginx stream server that reads the TLS server name (SNI) from the
// ClientHello. It passes connections for the allowed names through to the
// index unchanged and rejects the rest, so nginx never terminates TLS and
// holds no certificate.
package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults applied to zero fields of Config.
const (
	DefaultListen         = 443
	DefaultHealthPort     = 8080
	DefaultRejectPort     = 9443
	DefaultResolverValid  = 30 * time.Second
	DefaultConnectTimeout = 5 * time.Second
	DefaultTimeout        = 10 * time.Minute
	// DefaultImage is the nginx container image; the ECR Public mirror of
	// the official image avoids Docker Hub pull limits.
	DefaultImage = "public.ecr.aws/nginx/nginx:1.27"
)

// Bounds of ResolverValid. A short time re-resolves often, a long one
// follows an IP change of the index late.
const (
	minResolverValid = time.Second
	maxResolverValid = time.Hour
)

// Config is the proxy VM's configuration.
type Config struct {
	// Listen is the port for Snowflake's connections, 443 by default.
	Listen int
	// BindAddress restricts the listeners to one address, such as
	// 127.0.0.1 in the sandbox. Empty means all addresses.
	BindAddress string
	// Hosts are the TLS server names that are passed through. They must be
	// names on the index certificate, because the proxy does not change
	// the name the client sends.
	Hosts []string
	// Upstream is host:port of the index as the VM reaches it.
	//
	// NOTE: the request check rejects an upstream that names the VM
	// itself or a metadata service, but not a DNS name that resolves to
	// such an address, such as 169.254.169.254.nip.io, because it does not
	// resolve names. nginx connects to whatever address the name resolves
	// to on the VM.
	Upstream string
	// Resolver is the DNS server that resolves the upstream for nginx,
	// such as 169.254.169.253 inside an AWS VPC. It is required when
	// Upstream is a host name and not rendered when it is an IP address.
	Resolver string
	// ResolverValid is how long a resolved address is cached, 30s by
	// default and between 1s and 1h.
	ResolverValid time.Duration
	// HealthPort serves plain HTTP health checks, 8080 by default.
	HealthPort int
	// RejectPort is the loopback port of the stream server that closes
	// connections with a server name not in Hosts, 9443 by default.
	RejectPort int
	// ConnectTimeout bounds the connection to the upstream, 5s by default.
	ConnectTimeout time.Duration
	// Timeout closes a connection idle in both directions for this long,
	// 10m by default.
	Timeout time.Duration
	// WorkerProcesses is the nginx worker count. Zero means "auto".
	WorkerProcesses int
	// Image is the nginx container image the boot script runs.
	Image string
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Listen == 0 {
		c.Listen = DefaultListen
	}
	if c.HealthPort == 0 {
		c.HealthPort = DefaultHealthPort
	}
	if c.RejectPort == 0 {
		c.RejectPort = DefaultRejectPort
	}
	if c.ResolverValid == 0 {
		c.ResolverValid = DefaultResolverValid
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Image == "" {
		c.Image = DefaultImage
	}
	return c
}

// hostnamePattern is a DNS name of letters, digits and hyphens in dotted
// labels. It keeps every character that nginx or bash would interpret out
// of the rendered files.
var hostnamePattern = regexp.MustCompile(
	`^(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$`)

// imagePattern is a container image reference without shell or nginx
// metacharacters.
var imagePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._/:@-]*$`)

// Validate reports the first invalid field of c after defaults.
func (c Config) Validate() error {
	c = c.WithDefaults()

	for _, p := range []struct {
		field string
		port  int
	}{{"Listen", c.Listen}, {"HealthPort", c.HealthPort}, {"RejectPort", c.RejectPort}} {
		if p.port < 1 || p.port > 65535 {
			return fmt.Errorf("proxy config: %s %d is not a port between 1 and 65535", p.field, p.port)
		}
	}
	if c.Listen == c.HealthPort || c.Listen == c.RejectPort || c.HealthPort == c.RejectPort {
		return fmt.Errorf("proxy config: Listen %d, HealthPort %d and RejectPort %d must differ",
			c.Listen, c.HealthPort, c.RejectPort)
	}
	if c.BindAddress != "" && net.ParseIP(c.BindAddress) == nil {
		return fmt.Errorf("proxy config: BindAddress %q is not an IP address", c.BindAddress)
	}

	if len(c.Hosts) == 0 {
		return errors.New("proxy config: Hosts is empty, so list the index host names to pass through")
	}
	seen := map[string]bool{}
	for _, h := range c.Hosts {
		if !validHostname(h) {
			return fmt.Errorf("proxy config: host %q is not a DNS name", h)
		}
		if seen[strings.ToLower(h)] {
			return fmt.Errorf("proxy config: host %q is listed twice", h)
		}
		seen[strings.ToLower(h)] = true
	}

	host, _, err := splitUpstream(c.Upstream)
	if err != nil {
		return err
	}
	if err := validateResolver(c.Resolver); err != nil {
		return err
	}
	if net.ParseIP(host) == nil && c.Resolver == "" {
		return fmt.Errorf("proxy config: Upstream %q is a host name, so Resolver is required "+
			"for nginx to follow its address changes", c.Upstream)
	}
	if c.ResolverValid < minResolverValid || c.ResolverValid > maxResolverValid {
		return fmt.Errorf("proxy config: ResolverValid %s is outside %s to %s",
			c.ResolverValid, minResolverValid, maxResolverValid)
	}

	if c.ConnectTimeout < time.Millisecond || c.Timeout < time.Millisecond {
		return fmt.Errorf("proxy config: ConnectTimeout %s and Timeout %s must be at least 1ms",
			c.ConnectTimeout, c.Timeout)
	}
	if c.WorkerProcesses < 0 {
		return fmt.Errorf("proxy config: WorkerProcesses %d is negative", c.WorkerProcesses)
	}
	if !imagePattern.MatchString(c.Image) {
		return fmt.Errorf("proxy config: Image %q is not a container image reference", c.Image)
	}
	return nil
}

func validHostname(h string) bool {
	return len(h) <= 253 && hostnamePattern.MatchString(h) && net.ParseIP(h) == nil
}

// splitUpstream splits host:port and checks both parts.
func splitUpstream(upstream string) (host string, port int, err error) {
	host, portText, err := net.SplitHostPort(upstream)
	if err != nil {
		return "", 0, fmt.Errorf("proxy config: Upstream %q is not host:port: %w", upstream, err)
	}
	port, err = strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("proxy config: Upstream %q has an invalid port", upstream)
	}
	if net.ParseIP(host) == nil && !validHostname(host) {
		return "", 0, fmt.Errorf("proxy config: Upstream host %q is neither an IP address nor a DNS name", host)
	}
	return host, port, nil
}

// validateResolver accepts space-separated IP addresses, each optionally
// with a port.
func validateResolver(resolver string) error {
	for _, addr := range strings.Fields(resolver) {
		host := addr
		if h, p, err := net.SplitHostPort(addr); err == nil {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("proxy config: Resolver %q has an invalid port", addr)
			}
			host = h
		}
		if net.ParseIP(host) == nil {
			return fmt.Errorf("proxy config: Resolver %q is not an IP address", addr)
		}
	}
	return nil
}

// upstreamIsIP reports whether the upstream host is an IP address, so that
// nginx needs no resolver. It assumes a validated Config.
func (c Config) upstreamIsIP() bool {
	host, _, _ := net.SplitHostPort(c.Upstream)
	return net.ParseIP(host) != nil
}

// configJSON is the wire form of Config in the boot script, with durations
// as Go duration strings.
type configJSON struct {
	Listen          int      `json:"listen"`
	BindAddress     string   `json:"bind_address,omitempty"`
	Hosts           []string `json:"hosts"`
	Upstream        string   `json:"upstream"`
	Resolver        string   `json:"resolver,omitempty"`
	ResolverValid   string   `json:"resolver_valid"`
	HealthPort      int      `json:"health_port"`
	RejectPort      int      `json:"reject_port"`
	ConnectTimeout  string   `json:"connect_timeout"`
	Timeout         string   `json:"timeout"`
	WorkerProcesses int      `json:"worker_processes,omitempty"`
	Image           string   `json:"image"`
}

func (c Config) marshalJSON() ([]byte, error) {
	return json.Marshal(configJSON{
		Listen: c.Listen, BindAddress: c.BindAddress, Hosts: c.Hosts, Upstream: c.Upstream,
		Resolver: c.Resolver, ResolverValid: c.ResolverValid.String(), HealthPort: c.HealthPort,
		RejectPort: c.RejectPort, ConnectTimeout: c.ConnectTimeout.String(),
		Timeout: c.Timeout.String(), WorkerProcesses: c.WorkerProcesses, Image: c.Image,
	})
}

func unmarshalConfig(data []byte) (Config, error) {
	var j configJSON
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Config{}, fmt.Errorf("decode proxy config: %w", err)
	}
	c := Config{
		Listen: j.Listen, BindAddress: j.BindAddress, Hosts: j.Hosts, Upstream: j.Upstream,
		Resolver: j.Resolver, HealthPort: j.HealthPort, RejectPort: j.RejectPort,
		WorkerProcesses: j.WorkerProcesses, Image: j.Image,
	}
	for _, d := range []struct {
		field string
		text  string
		dst   *time.Duration
	}{
		{"resolver_valid", j.ResolverValid, &c.ResolverValid},
		{"connect_timeout", j.ConnectTimeout, &c.ConnectTimeout},
		{"timeout", j.Timeout, &c.Timeout},
	} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil {
			return Config{}, fmt.Errorf("decode proxy config: %s: %w", d.field, err)
		}
		*d.dst = v
	}
	return c, nil
}
