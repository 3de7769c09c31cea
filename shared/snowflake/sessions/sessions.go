// Package sessions opens Snowflake sessions for the logins named in
// requests and keeps one per account, user and role, so that every
// deployment reads credentials and builds the connection the same way.
package sessions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
)

// Default timeouts. A login and a statement each fit well inside the
// shortest Snowflake step timeout of two minutes.
const (
	DefaultLoginTimeout   = 30 * time.Second
	DefaultRequestTimeout = 60 * time.Second
)

// Resolver reads the value behind a secret reference such as env:NAME.
type Resolver interface {
	Resolve(ctx context.Context, ref string) (string, error)
}

// Options configures a Cache.
type Options struct {
	// Secrets resolves the private key, passphrase and password references.
	Secrets Resolver
	// Host, Port and Protocol, when set, replace the address derived from
	// the account. The sandbox uses them.
	Host     string
	Port     int
	Protocol string
	// LoginTimeout and RequestTimeout default to DefaultLoginTimeout and
	// DefaultRequestTimeout when zero.
	LoginTimeout   time.Duration
	RequestTimeout time.Duration
	// Logger receives one record per opened session with the auth method.
	// Nil discards it.
	Logger *slog.Logger
}

// Cache opens Snowflake sessions on first use and keeps them until Close.
// It is safe for concurrent use.
type Cache struct {
	opts Options

	mu       sync.Mutex
	sessions map[string]*snowflake.Client
}

// New returns a cache that opens sessions with opts.
func New(opts Options) *Cache {
	if opts.LoginTimeout == 0 {
		opts.LoginTimeout = DefaultLoginTimeout
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{opts: opts, sessions: map[string]*snowflake.Client{}}
}

// Session returns the session for the account, user and role of sf. It
// reads the private key or password from its reference and opens the
// session on first use, and returns the same session on later calls.
func (c *Cache) Session(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
	key := strings.ToLower(sf.Account + "/" + sf.User + "/" + sf.Role)
	c.mu.Lock()
	if s, ok := c.sessions[key]; ok {
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()

	cfg, err := c.Config(ctx, sf)
	if err != nil {
		return nil, err
	}
	client, err := snowflake.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c.opts.Logger.Info("snowflake session opened", "account", sf.Account, "user", sf.User, "auth", authMethod(sf))

	// Another caller may have opened a session for the same login while
	// this one connected, so keep the first and close the other.
	c.mu.Lock()
	defer c.mu.Unlock()
	if existing, ok := c.sessions[key]; ok {
		client.Close()
		return existing, nil
	}
	c.sessions[key] = client
	return client, nil
}

// Config builds the connection settings for sf, reading the private key
// and its passphrase, or the password, from their references. Errors name
// the request field whose reference failed.
func (c *Cache) Config(ctx context.Context, sf request.Snowflake) (snowflake.Config, error) {
	cfg := snowflake.Config{
		Account:        sf.Account,
		User:           sf.User,
		Role:           sf.Role,
		Warehouse:      sf.Warehouse,
		Database:       sf.Database,
		Schema:         sf.Schema,
		Host:           c.opts.Host,
		Port:           c.opts.Port,
		Protocol:       c.opts.Protocol,
		LoginTimeout:   c.opts.LoginTimeout,
		RequestTimeout: c.opts.RequestTimeout,
	}
	if sf.PrivateKeyRef == "" {
		password, err := c.opts.Secrets.Resolve(ctx, sf.PasswordRef)
		if err != nil {
			return cfg, fmt.Errorf("read snowflake.password_ref: %w", err)
		}
		cfg.Password = password
		return cfg, nil
	}

	pem, err := c.opts.Secrets.Resolve(ctx, sf.PrivateKeyRef)
	if err != nil {
		return cfg, fmt.Errorf("read snowflake.private_key_ref: %w", err)
	}
	var passphrase string
	if sf.PrivateKeyPassphraseRef != "" {
		if passphrase, err = c.opts.Secrets.Resolve(ctx, sf.PrivateKeyPassphraseRef); err != nil {
			return cfg, fmt.Errorf("read snowflake.private_key_passphrase_ref: %w", err)
		}
	}
	key, err := snowflake.ParsePrivateKey([]byte(pem), []byte(passphrase))
	if err != nil {
		return cfg, fmt.Errorf("snowflake.private_key_ref: %w", err)
	}
	cfg.PrivateKey = key
	return cfg, nil
}

// Close closes every session and removes it from the cache, so later calls
// to Session open new sessions. It returns the close errors joined.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for key, s := range c.sessions {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close snowflake session of %s: %w", key, err))
		}
		delete(c.sessions, key)
	}
	return errors.Join(errs...)
}

func authMethod(sf request.Snowflake) string {
	if sf.PrivateKeyRef != "" {
		return "key_pair"
	}
	return "password"
}
