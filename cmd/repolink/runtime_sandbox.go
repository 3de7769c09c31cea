package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/repolink/repolink/functions/registry"
	"github.com/repolink/repolink/shared/privatefile"
	"github.com/repolink/repolink/shared/sandbox"
	"github.com/repolink/repolink/shared/sandbox/worldfile"
	"github.com/repolink/repolink/shared/workflow"
)

// sandboxAddressFile is the file in the state directory where the process
// that runs the sandbox publishes where it serves, while it holds the
// sandbox lock. Read-only commands of other processes, such as plan, use
// that sandbox instead of starting a second one on the same world.
const sandboxAddressFile = "sandbox.json"

// publishedSandbox is the content of the sandbox address file.
type publishedSandbox struct {
	// Holder is the content of the sandbox lock file of the publishing
	// process, such as "pid 1234".
	Holder    string            `json:"holder"`
	Addresses sandbox.Addresses `json:"addresses"`
}

// openSandbox gives the runtime a sandbox and returns the endpoints of its
// clouds. It starts a sandbox on the world in the state directory, or, for
// a read-only runtime while another process runs that sandbox, uses the
// sandbox of that process.
func (rt *runtime) openSandbox(ctx context.Context, opts runtimeOptions) (endpoints, error) {
	lock, holder, err := tryLockSandbox(opts.dir)
	if err != nil {
		return endpoints{}, err
	}
	if lock == nil && opts.readOnly {
		return rt.attachSandbox(opts.dir, holder)
	}
	if lock == nil {
		return endpoints{}, sandboxBusy(opts.dir, holder)
	}
	rt.sandboxLock = lock

	sbOpts := sandbox.Options{
		Dir:         filepath.Join(opts.dir, "sandbox"),
		Hosts:       opts.hosts,
		Logger:      opts.logger,
		StoreHealth: rt.health,
	}
	if opts.instant {
		sbOpts.Delays = sandbox.ZeroDelays
	}
	if opts.delays != nil {
		sbOpts.Delays = opts.delays
	}
	if opts.clock != nil {
		sbOpts.Clock = opts.clock.Now
	}
	sb, err := sandbox.Start(ctx, sbOpts)
	if err != nil {
		return endpoints{}, fmt.Errorf("start sandbox: %w", err)
	}
	rt.sandbox = sb
	rt.indexClient = sandboxIndexClient(sb.Index.Addr(), sb.Index.CA().Pool())

	if err := rt.publishSandbox(); err != nil {
		return endpoints{}, err
	}
	return endpoints{
		AWS:               sb.AWSURL(),
		SnowflakeHost:     sb.SnowflakeHost(),
		SnowflakePort:     sb.SnowflakePort(),
		SnowflakeProtocol: "http",
		AWSAccessKey:      sandbox.AccessKey,
		AWSSecretKey:      sandbox.SecretKey,
		Azure:             sandboxAzureEndpoint(sb),
		GCP:               sb.GCPURL(),
	}, nil
}

// publishSandbox writes the addresses of the runtime's sandbox, with the
// hosts that its index serves, to the state directory, where other
// repolink processes on that directory read them.
func (rt *runtime) publishSandbox() error {
	published := publishedSandbox{Holder: sandboxHolder(), Addresses: rt.sandbox.Addresses()}
	if err := worldfile.Save(filepath.Join(rt.dir, sandboxAddressFile), published); err != nil {
		return fmt.Errorf("publish sandbox addresses: %w", err)
	}
	return nil
}

// sandboxBusy returns the usage error for a sandbox lock that the process
// holder has.
func sandboxBusy(dir, holder string) error {
	if holder == "" {
		return usagef("another repolink process is starting the sandbox in %s; wait for it to finish, stop it, or use another --state-dir", dir)
	}
	return usagef("another repolink process (%s) runs the sandbox in %s; wait for it to finish, stop it, or use another --state-dir", holder, dir)
}

// otherProcess names the process that holds the sandbox lock. The holder
// is empty between the moment that process takes the lock and the moment
// it writes its pid into the lock file.
func otherProcess(holder string) string {
	if holder == "" {
		return "another repolink process"
	}
	return "another repolink process (" + holder + ")"
}

// attachSandbox returns the endpoints of the sandbox that the process
// holder runs on the state directory.
func (rt *runtime) attachSandbox(dir, holder string) (endpoints, error) {
	var published publishedSandbox
	data, err := privatefile.ReadFile(filepath.Join(dir, sandboxAddressFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return endpoints{}, fmt.Errorf("read sandbox addresses: %w", err)
	}
	if err == nil {
		if err := json.Unmarshal(data, &published); err != nil {
			return endpoints{}, fmt.Errorf("read sandbox addresses %s: %w", filepath.Join(dir, sandboxAddressFile), err)
		}
	}
	// A file left by an earlier holder names another process.
	if err != nil || published.Holder != holder {
		return endpoints{}, usagef("%s is starting or stopping the sandbox in %s; try again in a moment", otherProcess(holder), dir)
	}

	addrs := published.Addresses
	roots, err := addrs.Roots()
	if err != nil {
		return endpoints{}, fmt.Errorf("read sandbox addresses: %w", err)
	}
	rt.indexClient = sandboxIndexClient(addrs.Index, roots)
	return endpoints{
		AWS:               addrs.AWS,
		SnowflakeHost:     addrs.SnowflakeHost,
		SnowflakePort:     addrs.SnowflakePort,
		SnowflakeProtocol: "http",
		AWSAccessKey:      sandbox.AccessKey,
		AWSSecretKey:      sandbox.SecretKey,
		Azure:             azureEndpoint{URL: addrs.Azure, Roots: roots, VaultURL: addrs.KeyVaultURL},
		GCP:               addrs.GCP,
	}, nil
}

// removeSandboxAddresses removes the address file before the sandbox lock
// is released.
func removeSandboxAddresses(dir string) {
	_ = os.Remove(filepath.Join(dir, sandboxAddressFile))
}

// sandboxIndexClient returns a client that sends every connection to the
// sandbox index at addr, whatever host the URL names, and trusts only the
// sandbox CA. TLS still uses the URL's host as server name, as Snowflake
// does.
func sandboxIndexClient(addr string, roots *x509.CertPool) *http.Client {
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{Transport: transport, Timeout: preflightTimeout}
}

// seedBefore returns a handler that prepares the sandbox for the request in
// the task input and then runs the step's handler. An input that is not a
// valid request goes to the handler unchanged, which reports it. A failed
// preparation fails the step with the error's name, or InvalidRequest when
// it has none, such as for a reference that the service may not read.
func (rt *runtime) seedBefore(step string, handler registry.Handler) registry.Handler {
	return func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		var doc workflow.Document
		if json.Unmarshal(input, &doc) == nil && doc.Request.Validate() == nil {
			if err := rt.seed(ctx, doc.Request); err != nil {
				if workflow.NameOf(err) == "" {
					err = workflow.Invalid("%v", err)
				}
				return nil, fmt.Errorf("%s: prepare the sandbox for this request: %w", step, err)
			}
		}
		return handler(ctx, input)
	}
}

// prepareOpenExecutions prepares the sandbox for the request of every open
// execution in the store, because the engine of this process resumes them
// along with its own. The index certificate then covers their repository
// hosts, and Seed runs for them. A request that cannot be prepared is logged, and
// its execution then fails at the step that needs what is missing. When
// there are open executions, the addresses are published again with the
// hosts added.
func (rt *runtime) prepareOpenExecutions(ctx context.Context) error {
	open, err := rt.engine.Running(ctx)
	if err != nil {
		return fmt.Errorf("list open executions: %w", err)
	}
	if len(open) == 0 {
		return nil
	}
	for _, x := range open {
		var doc workflow.Document
		if json.Unmarshal(x.Input, &doc) != nil || doc.Request.Validate() != nil {
			continue
		}
		seed := rt.seed
		if x.Machine == teardownMachine {
			// A teardown never reads the repository credential.
			seed = rt.seedForTeardown
		}
		err := rt.sandbox.ServeHosts(requestHosts(doc.Request)...)
		if err == nil {
			err = seed(ctx, doc.Request)
		}
		if err != nil && rt.logger != nil {
			rt.logger.Error("prepare the sandbox for an open execution", "execution", x.Name,
				"request_id", doc.Request.ID, "error", err)
		}
	}
	return rt.publishSandbox()
}
