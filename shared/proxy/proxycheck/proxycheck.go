// Package proxycheck checks the data path of the proxy VM on this machine.
// For each way repolink ships the proxy configuration, it renders the
// nginx.conf and runs `nginx -t` on it. It then starts nginx on loopback in
// front of a sandbox package index, downloads a wheel through it, and
// checks that connections with an unlisted server name (SNI) are closed.
package proxycheck

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/repoindex"
	"github.com/repolink/repolink/shared/sandbox/pyindex"
)

// Names that the check uses. ".test" is reserved, so none of them resolves
// outside the check.
const (
	// allowedName is the server name the proxy lets through. Clients
	// connect to localhost, so pip sends it as SNI and the index
	// certificate covers it.
	allowedName = "localhost"
	// rejectedName is a server name the proxy must close.
	rejectedName = "other.proxycheck.test"
	// upstreamName is the index host name that the loopback DNS server
	// resolves, for targets that name the upstream by host name.
	upstreamName = "pypi.proxycheck.test"
	// requirement is what the downloads fetch.
	requirement = "requests==2.32.3"
)

// Target is one way that repolink ships the proxy configuration to a VM.
type Target struct {
	Name string
	// HostnameUpstream names the upstream by a host name that a loopback
	// DNS server resolves, as on a VM that reaches the index through the
	// VPC resolver. Otherwise the upstream is the index's IP address.
	HostnameUpstream bool
	// NginxConf returns the nginx.conf that the target's VM runs for c.
	NginxConf func(c proxy.Config) (string, error)
}

// Targets lists the shipped forms. A new cloud adds its boot script here.
var Targets = []Target{
	{Name: "aws-al2023-user-data", HostnameUpstream: true, NginxConf: nginxConfFromAL2023},
	{Name: "nginx-render", NginxConf: proxy.RenderNginx},
}

// Options configures Check.
type Options struct {
	Nginx proxy.Binary
	// Pip is the command that runs pip, such as ["python3", "-m", "pip"].
	// When empty, the pip step is left out.
	Pip []string
	// Dir is the working directory. Each target gets a directory in it.
	Dir    string
	Logger *slog.Logger
}

// Result is the outcome of one step of one target.
type Result struct {
	Target string
	Step   string
	// Err is nil when the step passed.
	Err error
}

// checker runs the steps of one target and collects their results.
type checker struct {
	target  Target
	opts    Options
	dir     string
	results []Result
}

// step runs fn and records its result. It returns whether fn passed.
func (c *checker) step(name string, fn func() error) bool {
	err := fn()
	c.results = append(c.results, Result{Target: c.target.Name, Step: name, Err: err})
	if err != nil {
		c.opts.Logger.Debug("proxy check step failed", "target", c.target.Name, "step", name, "error", err)
	}
	return err == nil
}

// setup runs fn and records a result only when it fails, so the summary
// counts the checks and not their preparation.
func (c *checker) setup(name string, fn func() error) bool {
	if err := fn(); err != nil {
		return c.step(name, func() error { return err })
	}
	return true
}

// Check runs every step for one target. A step that later steps depend on
// (render, nginx -t, start) ends the target when it fails.
func Check(ctx context.Context, target Target, opts Options) []Result {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &checker{target: target, opts: opts, dir: filepath.Join(opts.Dir, target.Name)}
	if !c.setup("prepare", func() error { return os.MkdirAll(c.dir, 0o700) }) {
		return c.results
	}
	c.run(ctx)
	return c.results
}

func (c *checker) run(ctx context.Context) {
	var idx *pyindex.Index
	user, password, err := credentials()
	if !c.setup("start index", func() error {
		if err != nil {
			return err
		}
		idx, err = pyindex.Start(ctx, pyindex.Options{Username: user, Password: password,
			Logger: c.opts.Logger.With("target", c.target.Name)})
		return err
	}) {
		return
	}
	defer idx.Close()

	cfg, dns, err := c.config(idx)
	if !c.setup("configure", func() error { return err }) {
		return
	}
	if dns != nil {
		defer dns.Close()
	}

	var conf string
	if !c.step("render", func() error {
		conf, err = c.target.NginxConf(cfg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(c.dir, "nginx.conf"), []byte(c.opts.Nginx.LoadStream+conf), 0o644)
	}) {
		return
	}
	if !c.step("nginx -t", func() error { return testConfig(ctx, c.opts.Nginx, c.dir) }) {
		return
	}

	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Listen))
	health := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.HealthPort))
	var nginx *nginxProcess
	if !c.step("start nginx", func() error {
		nginx, err = startNginx(ctx, c.opts.Nginx, c.dir, listen, health)
		return err
	}) {
		return
	}
	stopped := false
	defer func() {
		if !stopped {
			nginx.Stop()
		}
	}()

	c.dataPath(ctx, idx, listen, health, user, password)

	if dns != nil {
		c.step("resolver used", func() error {
			if dns.Queries() == 0 {
				return fmt.Errorf("nginx sent no query to the resolver %s", cfg.Resolver)
			}
			return nil
		})
	}
	stopped = true
	c.setup("stop nginx", nginx.Stop)
	c.step("access log", func() error { return checkAccessLog(filepath.Join(c.dir, "access.log")) })
}

// config returns the proxy configuration for the target on free loopback
// ports, and the DNS server that resolves its upstream name, if any.
func (c *checker) config(idx *pyindex.Index) (proxy.Config, *dnsServer, error) {
	// NOTE: the ports are free when picked but not held, so another
	// process may take one before nginx binds it, and the start then fails.
	ports, err := freePorts(3)
	if err != nil {
		return proxy.Config{}, nil, err
	}

	cfg := proxy.Config{
		Listen:          ports[0],
		BindAddress:     "127.0.0.1",
		Hosts:           []string{allowedName},
		Upstream:        idx.Addr(),
		HealthPort:      ports[1],
		RejectPort:      ports[2],
		ConnectTimeout:  5 * time.Second,
		WorkerProcesses: 1,
	}
	if !c.target.HostnameUpstream {
		return cfg, nil, nil
	}

	_, port, err := net.SplitHostPort(idx.Addr())
	if err != nil {
		return proxy.Config{}, nil, err
	}
	dns, err := startDNS(map[string]string{upstreamName: "127.0.0.1"})
	if err != nil {
		return proxy.Config{}, nil, err
	}
	cfg.Upstream = net.JoinHostPort(upstreamName, port)
	cfg.Resolver = dns.Addr()
	return cfg, dns, nil
}

// dataPath runs the steps against the running proxy.
func (c *checker) dataPath(ctx context.Context, idx *pyindex.Index, listen, health, user, password string) {
	c.step("health /", func() error { return checkHealth(ctx, "http://"+health+"/", true) })
	c.step("health /upstream", func() error { return checkHealth(ctx, "http://"+health+"/upstream", false) })

	roots := idx.CA().Pool()
	c.step("tls "+allowedName+" passes", func() error {
		state, err := handshake(ctx, listen, allowedName, roots)
		if err != nil {
			return fmt.Errorf("TLS handshake through the proxy with server name %s: %w", allowedName, err)
		}
		return state.PeerCertificates[0].VerifyHostname(allowedName)
	})

	want := wheelDigest(idx, requirement)
	c.step("go download", func() error { return goDownload(ctx, listen, roots, user, password, want) })
	if len(c.opts.Pip) > 0 {
		c.step("pip download", func() error {
			caFile := filepath.Join(c.dir, "ca.pem")
			if err := os.WriteFile(caFile, idx.CA().CertPEM(), 0o644); err != nil {
				return err
			}
			_, port, _ := net.SplitHostPort(listen)
			path, err := pipDownload{
				Command:     c.opts.Pip,
				IndexURL:    "https://" + allowedName + ":" + port + "/simple/",
				CAFile:      caFile,
				Username:    user,
				Password:    password,
				Requirement: requirement,
				Dir:         filepath.Join(c.dir, "pip"),
			}.run(ctx)
			if err != nil {
				return err
			}
			return checkDigest(path, want)
		})
	}

	// An IP address as server name makes crypto/tls send no SNI at all.
	for _, name := range []string{rejectedName, "127.0.0.1"} {
		label := "tls " + name + " rejected"
		if net.ParseIP(name) != nil {
			label = "tls without SNI rejected"
		}
		c.step(label, func() error {
			if _, err := handshake(ctx, listen, name, nil); err == nil {
				return fmt.Errorf("TLS handshake with server name %q succeeded through the proxy, want the connection closed", name)
			}
			return nil
		})
	}
}

func checkHealth(ctx context.Context, url string, wantOK bool) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	switch {
	case wantOK && resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: status %d, want 200", url, resp.StatusCode)
	case resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout:
		return fmt.Errorf("GET %s: status %d, so nginx did not reach the index", url, resp.StatusCode)
	}
	return nil
}

// credentials returns a user name and a password with the characters that
// break credentials embedded in a URL, so the check proves none is.
func credentials() (string, string, error) {
	buf := make([]byte, 12)
	if _, err := rand.Read(buf); err != nil {
		return "", "", fmt.Errorf("generate index password: %w", err)
	}
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return "svc@proxycheck.test", string(buf[:6]) + "@#%/^:" + string(buf[6:]), nil
}

// wheelDigest returns the sha256 the index serves for the wheel of a
// "name==version" requirement.
func wheelDigest(idx *pyindex.Index, req string) string {
	name, version, _ := strings.Cut(req, "==")
	for _, f := range idx.Files() {
		if repoindex.NormalizeName(f.Project) == repoindex.NormalizeName(name) && f.Version == version {
			return f.SHA256
		}
	}
	return ""
}

func checkDigest(path, want string) error {
	got, err := fileSHA256(path)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s has sha256 %s, the index serves %s", filepath.Base(path), got, want)
	}
	return nil
}

// checkAccessLog checks that nginx logged the allowed and the rejected
// server names with their verdicts.
func checkAccessLog(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read access log: %w", err)
	}
	for _, want := range []string{
		`sni="` + allowedName + `" allowed=1`,
		`sni="` + rejectedName + `" allowed=0`,
		`sni="" allowed=0`,
	} {
		if !strings.Contains(string(data), want) {
			return fmt.Errorf("access log lacks %s", want)
		}
	}
	return nil
}

// freePorts returns n distinct loopback ports that were free when checked.
func freePorts(n int) ([]int, error) {
	var listeners []net.Listener
	defer func() {
		for _, ln := range listeners {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
