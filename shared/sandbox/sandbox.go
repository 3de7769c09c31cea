// Package sandbox starts repolink's local cloud on loopback: a Snowflake that
// speaks the driver's REST protocol, EC2, ELBv2, Secrets Manager and
// CodeArtifact front ends, an HTTPS package index with its own CA, and proxy VMs that run the
// rendered nginx configuration. The real clients reach it through endpoint
// overrides, and its world persists in a directory so that a second run sees
// what the first one built.
package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/repoindex"
	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/sandbox/azuresim"
	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/sandbox/pyindex"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
	"github.com/repolink/repolink/shared/sandbox/vm"
	"github.com/repolink/repolink/shared/storehealth"
)

// Static credentials for the AWS clients. The sandbox checks that requests
// are signed but accepts any key, so these are not secrets.
const (
	AccessKey = "AKIASANDBOXEXAMPLE01"
	SecretKey = "sandbox-secret-access-key-not-a-secret"
)

// Delays are how long the sandbox's clouds take for things that take time
// in the real ones.
type Delays struct {
	InstanceRunning     time.Duration
	LoadBalancerActive  time.Duration
	TargetHealthy       time.Duration
	ConnectionAvailable time.Duration
	EndpointCreated     time.Duration
}

// DefaultDelays are short enough for an interactive run and long enough that
// every wait of the workflow is exercised.
var DefaultDelays = Delays{
	InstanceRunning:     time.Second,
	LoadBalancerActive:  time.Second,
	TargetHealthy:       500 * time.Millisecond,
	ConnectionAvailable: time.Second,
	EndpointCreated:     time.Second,
}

// Options configures Start.
type Options struct {
	// Dir holds the sandbox world.
	Dir string
	// Hosts are repository host names that the index certificate covers.
	Hosts []string
	// Delays default to DefaultDelays; set ZeroDelays for none at all.
	Delays     *Delays
	Clock      func() time.Time
	Logger     *slog.Logger
	ForceGoVMs bool
	// StoreHealth, when set, records the outcome of every save of a cloud
	// world, so that a full or read-only state directory is one condition
	// with that of the SQLite stores in it.
	StoreHealth *storehealth.Monitor
}

// ZeroDelays makes every cloud operation complete at once.
var ZeroDelays = &Delays{}

// RealisticDelays are estimates of how long AWS and Snowflake take, for
// benchmarks that run the sandbox on a ScaledClock. They are rough typical
// values, not measurements. An EC2 instance runs after about half a minute
// and a Network Load Balancer is active after about three minutes. A new
// target passes its health checks after about a minute and a half, and an
// accepted endpoint connection is available after about a minute. Snowflake
// reports the private endpoint CREATED a few minutes after that. That delay
// starts at a poll of the endpoint and ends half a minute off the one-minute
// poll interval. A poll then finds the endpoint CREATED half an interval
// late, the average against Snowflake. A whole number of minutes would make
// it either at once or a whole interval late.
var RealisticDelays = &Delays{
	InstanceRunning:     30 * time.Second,
	LoadBalancerActive:  3 * time.Minute,
	TargetHealthy:       90 * time.Second,
	ConnectionAvailable: time.Minute,
	EndpointCreated:     5*time.Minute + 30*time.Second,
}

// ScaledClock runs a fixed factor faster than the wall clock from the
// moment it was made, so that a benchmark can pass hours of cloud delays in
// seconds. Pass its Now as Options.Clock.
type ScaledClock struct {
	start  time.Time
	factor float64
}

// NewScaledClock returns a clock that starts at the current time and runs
// factor times faster than the wall clock. A factor below 1 counts as 1.
func NewScaledClock(factor float64) *ScaledClock {
	return NewScaledClockFrom(time.Now(), factor)
}

// NewScaledClockFrom returns a clock that read start at start on the wall
// clock and runs factor times faster than the wall clock since then. Two
// processes that use the same start and factor read the same time, so the
// later one treats the times that the earlier one recorded as past.
// NOTE: Now overflows about 292 years after start on the clock, which is
// about 18 days of wall time at a factor of 6000.
func NewScaledClockFrom(start time.Time, factor float64) *ScaledClock {
	return &ScaledClock{start: start, factor: max(factor, 1)}
}

// Start returns the wall-clock time at which the clock began to run fast.
func (c *ScaledClock) Start() time.Time { return c.start }

// Now returns the current time on the clock.
func (c *ScaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.factor))
}

// Factor returns how many times faster than the wall clock the clock runs.
func (c *ScaledClock) Factor() float64 { return c.factor }

// Wall returns how long d on the clock lasts on the wall clock.
func (c *ScaledClock) Wall(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.factor)
}

// Sandbox is a running sandbox.
type Sandbox struct {
	dir       string
	logger    *slog.Logger
	Index     *pyindex.Index
	AWS       *awssim.Server
	Azure     *azuresim.Server
	GCP       *gcpsim.Server
	Snowflake *sfsim.Server
	VMs       *vm.Launcher
	// roots trusts the sandbox CA, which signs the HTTPS front ends.
	roots *x509.CertPool
}

// Start starts every part of the sandbox on free 127.0.0.1 ports. When the
// FaultsEnv variable names a fault file, its rules are installed on the
// clouds' fault hooks. The parts serve until Close, also after ctx ends.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	// Callers such as repolink up close their Snowflake sessions after
	// ctx has ended. Parts that stopped with ctx would leave each logout
	// retrying against a closed port for seconds.
	ctx = context.WithoutCancel(ctx)
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	delays := DefaultDelays
	if opts.Delays != nil {
		delays = *opts.Delays
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	for _, part := range []string{"", "ca", "index", "aws", "snowflake", "vms"} {
		if err := os.MkdirAll(filepath.Join(opts.Dir, part), 0o700); err != nil {
			return nil, fmt.Errorf("create sandbox directory: %w", err)
		}
	}
	sb := &Sandbox{dir: opts.Dir, logger: logger}

	ca, err := pyindex.LoadOrCreateCA(filepath.Join(opts.Dir, "ca"))
	if err != nil {
		return nil, err
	}
	sb.Index, err = pyindex.Start(ctx, pyindex.Options{Hosts: opts.Hosts, CA: ca, Dir: filepath.Join(opts.Dir, "index"),
		Logger: logger.With("sandbox", "index")})
	if err != nil {
		return nil, err
	}
	sb.VMs, err = vm.NewLauncher(vm.Options{
		Dir:         filepath.Join(opts.Dir, "vms"),
		Resolve:     sb.resolveUpstream,
		PreferNginx: !opts.ForceGoVMs,
		Logger:      logger.With("sandbox", "vm"),
	})
	if err != nil {
		sb.Close()
		return nil, err
	}
	sb.AWS, err = awssim.Start(ctx, awssim.Options{
		Dir:   filepath.Join(opts.Dir, "aws"),
		Clock: clock,
		Delays: awssim.Delays{
			InstanceRunning:     delays.InstanceRunning,
			LoadBalancerActive:  delays.LoadBalancerActive,
			TargetHealthy:       delays.TargetHealthy,
			ConnectionAvailable: delays.ConnectionAvailable,
		},
		Launcher:    sb.VMs,
		ResolveIP:   sb.resolveTargetIP,
		TokenIssued: (&codeArtifactTokens{sb: sb, count: map[string]int{}}).issued,
		Logger:      logger.With("sandbox", "aws"),
		StoreHealth: opts.StoreHealth,
	})
	if err != nil {
		sb.Close()
		return nil, err
	}
	sb.roots = ca.Pool()
	sb.Azure, err = azuresim.Start(ctx, azuresim.Options{
		Dir:   filepath.Join(opts.Dir, "azure"),
		CA:    ca,
		Clock: clock,
		Delays: azuresim.Delays{
			VMRunning:         delays.InstanceRunning,
			LoadBalancerReady: delays.LoadBalancerActive,
		},
		Launcher:    sb.VMs,
		Backend:     sb.resolveBackendIP,
		Logger:      logger.With("sandbox", "azure"),
		StoreHealth: opts.StoreHealth,
	})
	if err != nil {
		sb.Close()
		return nil, err
	}
	sb.GCP, err = gcpsim.Start(ctx, gcpsim.Options{
		Dir:   filepath.Join(opts.Dir, "gcp"),
		Clock: clock,
		Delays: gcpsim.Delays{
			Operation:          delays.LoadBalancerActive / 4,
			InstanceRunning:    delays.InstanceRunning,
			BackendHealthy:     delays.TargetHealthy,
			ConnectionAccepted: delays.ConnectionAvailable,
		},
		Launcher:        sb.VMs,
		ResolveTarget:   sb.resolveBackendIP,
		ConsumerProject: sfsim.GCPProject,
		Logger:          logger.With("sandbox", "gcp"),
		StoreHealth:     opts.StoreHealth,
	})
	if err != nil {
		sb.Close()
		return nil, err
	}
	sb.Snowflake, err = sfsim.Start(ctx, sfsim.Options{
		Dir:           filepath.Join(opts.Dir, "snowflake"),
		Clock:         clock,
		Link:          linkMux{AWS: sb.AWS, Azure: sb.Azure, GCP: sb.GCP},
		Installer:     installer{roots: ca.Pool()},
		PublicAddress: sb.publicAddress,
		EndpointDelay: delays.EndpointCreated,
		Logger:        logger.With("sandbox", "snowflake"),
		StoreHealth:   opts.StoreHealth,
	})
	if err != nil {
		sb.Close()
		return nil, err
	}
	if err := sb.applyFaultsFromEnv(); err != nil {
		sb.Close()
		return nil, err
	}
	return sb, nil
}

// Dir returns the directory that holds the sandbox world.
func (sb *Sandbox) Dir() string { return sb.dir }

// AWSURL returns the base endpoint of the AWS front ends.
func (sb *Sandbox) AWSURL() string { return sb.AWS.URL() }

// AzureURL returns the base URL of the Azure Resource Manager front end,
// which serves HTTPS with a certificate of the sandbox CA.
func (sb *Sandbox) AzureURL() string { return sb.Azure.URL() }

// GCPURL returns the endpoint of the Compute Engine front end, for
// option.WithEndpoint.
func (sb *Sandbox) GCPURL() string { return sb.GCP.URL() }

// Roots returns a pool that trusts the sandbox CA.
func (sb *Sandbox) Roots() *x509.CertPool { return sb.roots }

// SnowflakeHost returns the host of the Snowflake front end.
func (sb *Sandbox) SnowflakeHost() string { return sb.Snowflake.Host() }

// SnowflakePort returns the port of the Snowflake front end.
func (sb *Sandbox) SnowflakePort() int { return sb.Snowflake.Port() }

// resolveUpstream stands in for DNS inside the sandbox's network: every
// upstream that a proxy VM names is the sandbox index.
func (sb *Sandbox) resolveUpstream(string) (string, error) {
	return sb.Index.Addr(), nil
}

// resolveTargetIP resolves the targets of target groups of type ip: every
// private address is the sandbox index, which plays a repository that runs
// inside the VPC.
func (sb *Sandbox) resolveTargetIP(string, int) (string, error) {
	return sb.Index.Addr(), nil
}

// resolveBackendIP resolves Azure and Google Cloud backends without a
// sandbox VM: every private address is the sandbox index, which plays a
// repository VM inside the virtual network.
func (sb *Sandbox) resolveBackendIP(string) (string, error) {
	return sb.Index.Addr(), nil
}

// publicAddress resolves hosts on the internet for the public and egress-ip
// routes: a repository host that the index certificate covers is the
// sandbox index, and any other host has no public address.
func (sb *Sandbox) publicAddress(host string) (string, error) {
	for _, h := range sb.Index.Hosts() {
		if strings.EqualFold(h, host) {
			return sb.Index.Addr(), nil
		}
	}
	return "", fmt.Errorf("host %s has no public address in the sandbox; only the request's repository hosts do", host)
}

// ServeHosts makes the index serve the repository hosts too, over a
// certificate that covers them, and gives them a public address in the
// sandbox. The names are added to those of Options.Hosts.
func (sb *Sandbox) ServeHosts(hosts ...string) error {
	return sb.Index.AddHosts(hosts...)
}

// RunningVMs returns the number of proxy VMs that run.
func (sb *Sandbox) RunningVMs() int {
	if sb.VMs == nil {
		return 0
	}
	return sb.VMs.Running()
}

// Close stops every proxy VM, all at the same time, and then every part.
// The cloud front ends then find their VMs stopped.
func (sb *Sandbox) Close() error {
	var errs []error
	if sb.VMs != nil {
		errs = append(errs, sb.VMs.Close())
	}
	if sb.Snowflake != nil {
		errs = append(errs, sb.Snowflake.Close())
	}
	if sb.AWS != nil {
		errs = append(errs, sb.AWS.Close())
	}
	if sb.Azure != nil {
		errs = append(errs, sb.Azure.Close())
	}
	if sb.GCP != nil {
		errs = append(errs, sb.GCP.Close())
	}
	if sb.Index != nil {
		errs = append(errs, sb.Index.Close())
	}
	return errors.Join(errs...)
}

// Reset removes the sandbox world in dir.
func Reset(dir string) error {
	if err := vm.StopAll(filepath.Join(dir, "vms")); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove sandbox world %s: %w", dir, err)
	}
	return nil
}

// installer installs packages the way Snowflake's installer does: over the
// address that the private endpoint leads to, with the repository host as
// TLS server name, trusting the sandbox CA.
type installer struct {
	roots *x509.CertPool
}

func (in installer) Install(ctx context.Context, addr, indexURL, user, pass string, requirements []string) ([]string, error) {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: in.roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
	}
	defer transport.CloseIdleConnections()
	client := repoindex.Client{
		HTTP:     &http.Client{Transport: transport, Timeout: time.Minute},
		IndexURL: indexURL,
		Username: user,
		Password: pass,
	}
	installed, err := client.Install(ctx, requirements)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(installed))
	for i, pkg := range installed {
		out[i] = pkg.Name + "==" + pkg.Version
	}
	return out, nil
}
