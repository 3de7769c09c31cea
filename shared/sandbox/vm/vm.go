// Package vm runs the sandbox's proxy VMs on loopback. Each VM reads the
// proxy configuration embedded in its boot script and runs it. Where nginx
// is installed, the VM is a real nginx process with the rendered
// nginx.conf. Elsewhere it is a small SNI passthrough in Go that enforces
// the same allow-list.
package vm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/repolink/repolink/shared/proxy"
)

// Kinds of proxy a Launcher runs.
const (
	KindNginx = "nginx"
	KindGo    = "go"
)

// Options configures NewLauncher.
type Options struct {
	// Dir contains one working directory per instance, holding the nginx
	// config, pid file, temp directories and logs.
	Dir string
	// Resolve maps the upstream host:port from the boot script to the
	// address the sandbox serves it on, such as the package index at
	// 127.0.0.1:<port>. When nil, the upstream is used as written.
	Resolve func(hostport string) (string, error)
	// PreferNginx runs instances as nginx processes when a usable nginx
	// is installed. When false, or without nginx, the Go passthrough runs.
	PreferNginx bool
	Logger      *slog.Logger
}

// Instance is a running proxy VM.
type Instance struct {
	ID string
	// Addr is the loopback address that stands for the VM's listen port.
	Addr string
	// HealthAddr serves plain HTTP: "/" returns 200 while the proxy runs,
	// "/upstream" returns 502 or 504 when the upstream is unreachable.
	HealthAddr string
	Kind       string
	// Config is the proxy configuration as run, with loopback ports and
	// the resolved upstream.
	Config proxy.Config
}

// Launcher starts and stops proxy VMs. It is safe for concurrent use.
type Launcher struct {
	dir     string
	resolve func(string) (string, error)
	logger  *slog.Logger
	nginx   *proxy.Binary // nil when the Go passthrough runs

	mu        sync.Mutex
	instances map[string]*running
	closed    bool
}

// running is one started instance and the function that stops it.
type running struct {
	info Instance
	stop func() error
}

// NewLauncher creates opts.Dir and picks the proxy kind. With PreferNginx
// set and no usable nginx, it logs the reason and runs the Go passthrough.
func NewLauncher(opts Options) (*Launcher, error) {
	if opts.Dir == "" {
		return nil, errors.New("vm: Options.Dir is required")
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("vm: create %s: %w", opts.Dir, err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	l := &Launcher{dir: opts.Dir, resolve: opts.Resolve, logger: logger, instances: map[string]*running{}}
	if opts.PreferNginx && !nginxSupported {
		logger.Warn("nginx instances need a Unix system, proxy VMs run the Go passthrough")
	}
	if opts.PreferNginx && nginxSupported {
		bin, err := proxy.LookNginx(context.Background())
		if err != nil {
			logger.Warn("nginx unavailable, proxy VMs run the Go passthrough", "error", err)
		} else {
			l.nginx = &bin
		}
	}
	logger.Info("proxy VM launcher ready", "kind", l.Kind(), "dir", opts.Dir)
	return l, nil
}

// Kind returns "nginx" when instances run as nginx processes, else "go".
func (l *Launcher) Kind() string {
	if l.nginx != nil {
		return KindNginx
	}
	return KindGo
}

// Launch starts the proxy described by userData, a boot script made by
// proxy.UserDataAL2023, and returns its 127.0.0.1:<port> address. The
// listen ports move to free loopback ports and the upstream goes through
// Resolve. Launching a running instance ID again returns its address and
// ignores userData.
func (l *Launcher) Launch(ctx context.Context, instanceID, userData string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return "", errors.New("vm: launcher is closed")
	}
	if r, ok := l.instances[instanceID]; ok {
		return r.info.Addr, nil
	}

	cfg, err := l.sandboxConfig(userData)
	if err != nil {
		return "", fmt.Errorf("vm: launch %s: %w", instanceID, err)
	}

	var r *running
	if l.nginx != nil {
		r, err = l.startNginx(ctx, instanceID, cfg)
	} else {
		r, err = l.startPassthrough(instanceID, cfg)
	}
	if err != nil {
		return "", fmt.Errorf("vm: launch %s: %w", instanceID, err)
	}
	l.instances[instanceID] = r
	l.logger.Info("proxy VM started", "instance_id", instanceID, "kind", r.info.Kind,
		"addr", r.info.Addr, "hosts", cfg.Hosts, "upstream", cfg.Upstream)
	return r.info.Addr, nil
}

// sandboxConfig parses the boot script and moves the proxy onto loopback.
func (l *Launcher) sandboxConfig(userData string) (proxy.Config, error) {
	cfg, err := proxy.ParseUserData(userData)
	if err != nil {
		return proxy.Config{}, err
	}
	if l.resolve != nil {
		upstream, err := l.resolve(cfg.Upstream)
		if err != nil {
			return proxy.Config{}, fmt.Errorf("resolve upstream %s: %w", cfg.Upstream, err)
		}
		cfg.Upstream = upstream
	}
	// The sandbox proxies only to servers on loopback, and with a loopback
	// IP upstream no resolver line is rendered, so nginx sends no DNS query.
	host, _, err := net.SplitHostPort(cfg.Upstream)
	if err != nil {
		return proxy.Config{}, fmt.Errorf("upstream %q is not host:port: %w", cfg.Upstream, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return proxy.Config{}, fmt.Errorf("upstream %s is not a loopback address: "+
			"Options.Resolve must map it to the sandbox server", cfg.Upstream)
	}
	cfg.Resolver = ""
	cfg.BindAddress = "127.0.0.1"
	cfg.WorkerProcesses = 1
	return cfg, nil
}

// Instance returns the running instance with the ID.
func (l *Launcher) Instance(instanceID string) (Instance, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.instances[instanceID]
	if !ok {
		return Instance{}, false
	}
	return r.info, true
}

// Stop stops the instance and waits for its processes or goroutines to
// end. Stopping an unknown or stopped instance is a no-op.
func (l *Launcher) Stop(instanceID string) error {
	l.mu.Lock()
	r, ok := l.instances[instanceID]
	delete(l.instances, instanceID)
	l.mu.Unlock()
	if !ok {
		return nil
	}

	err := r.stop()
	if err != nil {
		l.logger.Error("proxy VM stop failed", "instance_id", instanceID, "error", err)
		return fmt.Errorf("vm: stop %s: %w", instanceID, err)
	}
	l.logger.Info("proxy VM stopped", "instance_id", instanceID)
	return nil
}

// Remove stops the instance, if it runs, and deletes its working
// directory with the config, logs and temp directories. A sandbox cloud
// calls it when it deletes the VM, also one that an earlier process
// launched. Stop, in contrast, keeps the directory for the VM that still
// exists. Removing an unknown instance deletes its directory, if any.
func (l *Launcher) Remove(instanceID string) error {
	if err := l.Stop(instanceID); err != nil {
		return err
	}
	dir := l.instanceDir(instanceID)
	if err := os.RemoveAll(dir); err != nil {
		l.logger.Error("proxy VM directory not removed", "instance_id", instanceID, "dir", dir, "error", err)
		return fmt.Errorf("vm: remove %s: %w", instanceID, err)
	}
	l.logger.Info("proxy VM removed", "instance_id", instanceID, "dir", dir)
	return nil
}

// Running returns the number of instances that run.
func (l *Launcher) Running() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.instances)
}

// Close stops every instance and rejects further launches. It stops the
// instances at the same time, because an nginx process that does not exit
// on SIGTERM takes up to nginxproc.StopTimeout to kill.
func (l *Launcher) Close() error {
	l.mu.Lock()
	l.closed = true
	ids := make([]string, 0, len(l.instances))
	for id := range l.instances {
		ids = append(ids, id)
	}
	l.mu.Unlock()

	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { errs[i] = l.Stop(id) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

var unsafeDirChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// instanceDir returns the working directory of an instance, with
// characters outside [A-Za-z0-9._-] in the ID replaced.
func (l *Launcher) instanceDir(instanceID string) string {
	name := unsafeDirChars.ReplaceAllString(instanceID, "_")
	if name == "" || name == "." || name == ".." {
		name = "_" + name
	}
	return filepath.Join(l.dir, name)
}
