// Package sfsim is the sandbox Snowflake: an HTTP server on 127.0.0.1 that
// serves the REST protocol of gosnowflake v1.19.1 (login with a password or
// a key-pair JWT, query-request, telemetry, session close). It runs the SQL
// that shared/snowflake renders against an in-memory model, saved to a JSON
// state file and a journal of the accounts that changed since.
//
// The sandbox does not run Python. A function or procedure installs its
// packages through the Installer when it is created, the way Snowflake
// resolves packages at creation, and calling it returns the recorded
// "name==version,..." list.
package sfsim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/sandbox/worldfile"
	"github.com/repolink/repolink/shared/storehealth"
)

// PrivateLink is the cloud side of the sandbox as Snowflake sees it.
type PrivateLink interface {
	// Connect requests a connection from principal to the endpoint service serviceName,
	// as provisioning does. Fails when the service does not exist or the principal is not
	// allowed on it. Idempotent: returns the existing endpoint ID when already connected.
	Connect(serviceName, principal string) (endpointID string, err error)
	// ConnectionState returns the provider-side state of the connection:
	// pendingAcceptance, pending, available, rejected, failed, expired, deleting, deleted.
	ConnectionState(serviceName, endpointID string) (string, error)
	// Address returns the loopback host:port that serves the service's port 443
	// (the proxy behind the load balancer), or an error when nothing serves it.
	Address(serviceName string) (string, error)
	Disconnect(serviceName, endpointID string) error
}

// Installer installs packages from an index the way Snowflake's installer would:
// it dials addr, uses serverName as the TLS SNI and host, basic auth with user/pass,
// and returns "name==version" per requirement, after hash-checking each wheel.
type Installer interface {
	Install(ctx context.Context, addr, indexURL, user, pass string, requirements []string) ([]string, error)
}

// AccountPrincipal is the AWS principal that SYSTEM$GET_PRIVATELINK_CONFIG
// returns for a sandbox account on AWS and that provisioning connects as.
const AccountPrincipal = "arn:aws:iam::210987654321:root"

// Options configures Start.
type Options struct {
	// Dir is the directory of the state file; empty keeps state in memory.
	Dir string
	// Clock returns the current time (time.Now when nil). It drives the
	// endpoint delay and object timestamps.
	Clock func() time.Time
	// Link is the cloud side of private endpoints; provisioning fails
	// without it.
	Link PrivateLink
	// Installer installs packages when a function or procedure is created.
	Installer Installer
	// PublicAddress returns the loopback address that stands for a public
	// host, for integrations without a private endpoint. When nil, such
	// installs fail because the sandbox has no public network path.
	PublicAddress func(host string) (string, error)
	// EndpointDelay is how long an endpoint stays PENDING_CREATION after
	// the provider side is first seen available.
	EndpointDelay time.Duration
	// InstallTimeout bounds one package install (2 minutes when zero).
	InstallTimeout time.Duration
	// Logger receives request logs (discarded when nil).
	Logger *slog.Logger
	// StoreHealth, when set, records the outcome of every save of the
	// world, so that a full or read-only state directory is reported with
	// the stores in it. Nil records nothing.
	StoreHealth *storehealth.Monitor
}

// Server is a running sandbox Snowflake.
type Server struct {
	opts     Options
	log      *slog.Logger
	listener net.Listener
	http     *http.Server
	// stopOnDone stops the ctx watch that Start set up.
	stopOnDone func() bool

	// sealer seals the values of SECRET objects.
	sealer *worldfile.Sealer

	mu       sync.Mutex
	world    *World
	sessions map[string]*session
	nextID   int64
	fault    func(sql string) error
	// unsaved is set while the state file and journal lack a change,
	// because its save failed.
	unsaved bool
	// journal is the open journal file, nil when Dir is empty or after
	// Close. journalSize and stateSize are the sizes in bytes of the
	// journal and of the state file at its last write.
	journal     *os.File
	journalSize int64
	stateSize   int64
	// provisioning maps, per account, the provider service of each
	// endpoint being provisioned to its host name. Such an endpoint is
	// checked but not yet recorded, because the cloud side is called
	// without the lock.
	provisioning map[string]map[string]string
}

// session is one login. Temporary functions live here and vanish with it.
type session struct {
	id        int64
	account   string
	user      string
	role      string
	database  string
	schema    string
	warehouse string
	// missingWarehouse is the warehouse named at login when the account
	// has no such warehouse. The session then has none, and Python
	// functions and procedures fail in it until USE WAREHOUSE succeeds.
	missingWarehouse string
	functions        map[string]*function
}

// function is a temporary function or procedure and the package list its
// install recorded.
type function struct {
	kind     string // FUNCTION or PROCEDURE
	name     ObjectName
	packages []string
	result   string
}

// Start loads the state from opts.Dir and serves on 127.0.0.1 on a free port
// until Close or until ctx ends.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.InstallTimeout <= 0 {
		opts.InstallTimeout = 2 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	world, journalSize, err := loadWorld(opts.Dir)
	if err != nil {
		return nil, err
	}
	sealer, err := worldfile.LoadSealer(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("load sandbox snowflake seal key: %w", err)
	}
	moved, err := world.sealClearSecrets(sealer)
	if err != nil {
		return nil, err
	}
	if moved {
		if err := saveWorld(opts.Dir, world); err != nil {
			return nil, err
		}
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for sandbox snowflake: %w", err)
	}

	s := &Server{
		opts:     opts,
		log:      log,
		listener: listener,
		world:    world,
		sealer:   sealer,
		sessions: map[string]*session{},

		provisioning: map[string]map[string]string{},
	}
	if err := s.openJournal(journalSize); err != nil {
		listener.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session/v1/login-request", s.handleLogin)
	mux.HandleFunc("POST /queries/v1/query-request", s.handleQuery)
	mux.HandleFunc("POST /telemetry/send", s.handleTelemetry)
	mux.HandleFunc("POST /session/heartbeat", s.handleHeartbeat)
	mux.HandleFunc("POST /session", s.handleSessionDelete)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	go func() {
		if err := s.http.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("sandbox snowflake stopped", "error", err)
		}
	}()
	s.stopOnDone = context.AfterFunc(ctx, func() { _ = s.http.Close() })
	log.Info("sandbox snowflake started", "address", listener.Addr().String())
	return s, nil
}

// Host returns the listening IP address, for snowflake.Config.Host.
func (s *Server) Host() string {
	return s.listener.Addr().(*net.TCPAddr).IP.String()
}

// Port returns the listening port.
func (s *Server) Port() int {
	return s.listener.Addr().(*net.TCPAddr).Port
}

// Close stops the server and folds the journal into the state file. Every
// change is on disk before Close, which only makes the state file whole.
func (s *Server) Close() error {
	s.stopOnDone()
	err := s.http.Close()
	return errors.Join(err, s.closeJournal())
}

// SetFault installs a hook that runs before each query. A returned
// *HTTPError makes the reply that HTTP status; any other error fails the
// query as a SQL error (an *SQLError keeps its code). nil removes the hook.
func (s *Server) SetFault(fault func(sql string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fault
}

// EnsureAccount creates the account with its system roles when missing.
func (s *Server) EnsureAccount(account string) error {
	return s.change(account, func() bool {
		_, created := s.ensureAccount(account)
		return created
	})
}

// ensureAccount returns the account, and whether it created it.
func (s *Server) ensureAccount(account string) (*Account, bool) {
	key := accountKey(account)
	a := s.world.Accounts[key]
	if a != nil {
		return a, false
	}
	a = newAccount(key)
	s.world.Accounts[key] = a
	return a, true
}

// EnsureUser creates or updates a user. A nil publicKey or an empty password
// leaves that login method unset.
func (s *Server) EnsureUser(account, user string, publicKey *rsa.PublicKey, password string) error {
	var encoded string
	if publicKey != nil {
		der, err := x509.MarshalPKIXPublicKey(publicKey)
		if err != nil {
			return fmt.Errorf("encode public key of user %s: %w", user, err)
		}
		encoded = base64.StdEncoding.EncodeToString(der)
	}
	var digest string
	if password != "" {
		digest = s.sealer.Digest(password)
	}
	return s.change(account, func() bool {
		a, changed := s.ensureAccount(account)
		name := strings.ToUpper(user)
		u := a.Users[name]
		if u == nil {
			u = &User{Name: name, DefaultRole: "ACCOUNTADMIN"}
			a.Users[name] = u
			changed = true
		}
		if u.PublicKey != encoded || u.PasswordDigest != digest || u.PasswordSHA256 != "" {
			u.PublicKey = encoded
			u.PasswordDigest, u.PasswordSHA256 = digest, ""
			changed = true
		}
		return changed
	})
}

// SetDefaultWarehouse sets the DEFAULT_WAREHOUSE of an existing user, as
// ALTER USER ... SET DEFAULT_WAREHOUSE does. The warehouse need not exist,
// and a login without a warehouse gets it only while it does.
func (s *Server) SetDefaultWarehouse(account, user, warehouse string) error {
	var missing bool
	err := s.change(account, func() bool {
		a, changed := s.ensureAccount(account)
		u := a.Users[strings.ToUpper(user)]
		if u == nil {
			missing = true
			return changed
		}
		if u.DefaultWarehouse == warehouse {
			return changed
		}
		u.DefaultWarehouse = warehouse
		return true
	})
	if err == nil && missing {
		return fmt.Errorf("set default warehouse of user %s: user not found in account %s", user, account)
	}
	return err
}

// EnsureRole creates a role, stored under the exact name given.
func (s *Server) EnsureRole(account, role string) error {
	return s.change(account, func() bool {
		a, changed := s.ensureAccount(account)
		if a.Roles[role] == nil {
			a.Roles[role] = &Role{Name: role, CreatedOn: s.opts.Clock()}
			changed = true
		}
		return changed
	})
}

// EnsureWarehouse creates a warehouse, stored under the exact name given.
func (s *Server) EnsureWarehouse(account, warehouse string) error {
	return s.change(account, func() bool {
		a, changed := s.ensureAccount(account)
		if a.Warehouses == nil {
			// Worlds saved by earlier versions have no warehouses.
			a.Warehouses = map[string]*Warehouse{}
		}
		if a.Warehouses[warehouse] == nil {
			a.Warehouses[warehouse] = &Warehouse{Name: warehouse, CreatedOn: s.opts.Clock()}
			changed = true
		}
		return changed
	})
}

// EnsureDatabase creates a database, with a PUBLIC schema, under the exact
// name given.
func (s *Server) EnsureDatabase(account, db string) error {
	return s.change(account, func() bool {
		a, changed := s.ensureAccount(account)
		if a.Databases[db] == nil {
			a.Databases[db] = newDatabase(db, s.opts.Clock())
			changed = true
		}
		return changed
	})
}

// EnsureSchema creates a database and schema under the exact names given.
func (s *Server) EnsureSchema(account, db, schema string) error {
	return s.change(account, func() bool {
		a, changed := s.ensureAccount(account)
		d := a.Databases[db]
		if d == nil {
			d = newDatabase(db, s.opts.Clock())
			a.Databases[db] = d
			changed = true
		}
		if d.Schemas[schema] == nil {
			d.Schemas[schema] = newSchema(schema, s.opts.Clock())
			changed = true
		}
		return changed
	})
}

// Snapshot returns a deep copy of the account, for tests to inspect.
func (s *Server) Snapshot(account string) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.world.Accounts[accountKey(account)]
	if a == nil {
		return Account{}, fmt.Errorf("account %s not found", account)
	}
	return a.clone()
}

// change runs fn, which may change only the account named account, under
// the lock. It saves that account when fn reports a change, or when an
// earlier save failed, so an Ensure call that finds everything in place
// writes nothing.
func (s *Server) change(account string, fn func() bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !fn() && !s.unsaved {
		return nil
	}
	return s.save(accountKey(account))
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
