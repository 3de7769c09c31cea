// Package sessions opens Snowflake sessions for the logins named in
// requests and keeps one per account, user, role, credential references,
// warehouse, database and schema, so that every deployment reads
// credentials and builds the connection the same way.
package sessions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
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
	sessions map[sessionKey]*snowflake.Client
	// generation counts the calls of CloseContext. A login that ends in a
	// later generation than it began logs its session out, because the
	// CloseContext that ended its generation did not see that session.
	generation uint64
	// logins are the logins of the current generation that are in flight.
	logins map[*pendingLogin]struct{}
}

// pendingLogin is a Session call that is logging in.
type pendingLogin struct {
	key sessionKey
	// done is closed when the call has ended, after the logout of a
	// session that it opened during CloseContext.
	done chan struct{}
	// logoutErr is the error of that logout, set before done is closed.
	logoutErr error
}

// ErrClosing is the error of a Session call whose login ended after
// CloseContext began. The call logged its session out, and a new call
// opens another one.
var ErrClosing = errors.New("the snowflake session cache is closing")

// sessionKey identifies a cached session. A request gets a session only
// through its own credential references, because a session opened with
// another request's credential would stand in for a credential that
// Snowflake never checked. It also needs its own warehouse, database and
// schema, because a session keeps those it was opened with, and the
// verification SELECT runs on the session's warehouse.
type sessionKey struct {
	// account and user are in lower case, because Snowflake matches
	// account identifiers and login names in any case.
	account, user string
	// role is the stored name, because a role is an identifier. "Data" and
	// "data" in double quotes are two roles, but data and DATA are one.
	role string
	// refs are the password, private key and passphrase references.
	refs [3]string
	// context is the warehouse, database and schema.
	context [3]string
}

func keyOf(sf request.Snowflake) sessionKey {
	return sessionKey{
		account: strings.ToLower(sf.Account),
		user:    strings.ToLower(sf.User),
		role:    snowflake.StoredName(sf.Role),
		refs:    [3]string{sf.PasswordRef, sf.PrivateKeyRef, sf.PrivateKeyPassphraseRef},
		context: [3]string{sf.Warehouse, sf.Database, sf.Schema},
	}
}

// login returns the account, user and role of k for messages.
func (k sessionKey) login() string {
	return k.account + "/" + k.user + "/" + k.role
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
	return &Cache{opts: opts, sessions: map[sessionKey]*snowflake.Client{}, logins: map[*pendingLogin]struct{}{}}
}

// Session returns the session for the account, user and role of sf, its
// credential references, warehouse, database and schema. It reads the
// private key or password from its reference and opens the session on
// first use, and returns the same session on later calls with the same
// values. When CloseContext begins while the call logs in, the call logs
// the new session out and returns an error that wraps ErrClosing.
func (c *Cache) Session(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
	key := keyOf(sf)
	c.mu.Lock()
	if s, ok := c.sessions[key]; ok {
		c.mu.Unlock()
		return s, nil
	}
	generation := c.generation
	login := &pendingLogin{key: key, done: make(chan struct{})}
	c.logins[login] = struct{}{}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.logins, login)
		c.mu.Unlock()
		close(login.done)
	}()

	cfg, err := c.Config(ctx, sf)
	if err != nil {
		return nil, err
	}
	client, err := snowflake.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c.opts.Logger.Info("snowflake session opened", "account", sf.Account, "user", sf.User, "auth", authMethod(sf))

	c.mu.Lock()
	if c.generation != generation {
		c.mu.Unlock()
		// CloseContext waits for done and reports a failed logout.
		login.logoutErr = client.Close()
		return nil, fmt.Errorf("open snowflake session of %s: %w, so the new session was logged out", key.login(), ErrClosing)
	}
	// Another caller may have opened a session for the same login while
	// this one connected, so keep the first and close the other.
	if existing, ok := c.sessions[key]; ok {
		c.mu.Unlock()
		client.Close()
		return existing, nil
	}
	c.sessions[key] = client
	c.mu.Unlock()
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
			return cfg, fmt.Errorf("read $.snowflake.password_ref: %w", err)
		}
		cfg.Password = password
		return cfg, nil
	}

	pem, err := c.opts.Secrets.Resolve(ctx, sf.PrivateKeyRef)
	if err != nil {
		return cfg, fmt.Errorf("read $.snowflake.private_key_ref: %w", err)
	}
	var passphrase string
	if sf.PrivateKeyPassphraseRef != "" {
		if passphrase, err = c.opts.Secrets.Resolve(ctx, sf.PrivateKeyPassphraseRef); err != nil {
			return cfg, fmt.Errorf("read $.snowflake.private_key_passphrase_ref: %w", err)
		}
	}
	key, err := snowflake.ParsePrivateKey([]byte(pem), []byte(passphrase))
	if err != nil {
		// No retry changes the key, so the steps fail with InvalidRequest,
		// as the sandbox's check of the same key does.
		return cfg, workflow.Invalid("$.snowflake.private_key_ref: %v", err)
	}
	cfg.PrivateKey = key
	return cfg, nil
}

// Close closes every session as CloseContext does, waiting for each.
func (c *Cache) Close() error {
	return c.CloseContext(context.Background())
}

// CloseContext closes every session at once and removes it from the
// cache, so later calls to Session open new sessions. Closing a session
// logs it out of Snowflake, one HTTP round trip each, so closing them in
// turn takes the sum of those round trips. It also waits for the Session
// calls that are logging in, which log their sessions out themselves. It
// returns when every session has closed or when ctx is done, whichever
// comes first. Sessions still closing or logging in then go on in the
// background, and the returned error includes a *NotClosedError that
// names their logins. It returns the close errors joined.
func (c *Cache) CloseContext(ctx context.Context) error {
	c.mu.Lock()
	open := c.sessions
	c.sessions = map[sessionKey]*snowflake.Client{}
	logins := c.logins
	c.logins = map[*pendingLogin]struct{}{}
	c.generation++
	c.mu.Unlock()
	if len(open) == 0 && len(logins) == 0 {
		return nil
	}

	// Several logins of one key can be in flight, so the results are
	// counted per key.
	type result struct {
		key sessionKey
		err error
	}
	// The channel holds every result, so that a close that ends after
	// ctx is done does not block.
	results := make(chan result, len(open)+len(logins))
	pending := map[sessionKey]int{}
	for key, s := range open {
		pending[key]++
		go func() { results <- result{key: key, err: s.Close()} }()
	}
	for login := range logins {
		pending[login.key]++
		go func() {
			<-login.done
			results <- result{key: login.key, err: login.logoutErr}
		}()
	}

	var errs []error
	for len(pending) > 0 {
		select {
		case r := <-results:
			pending[r.key]--
			if pending[r.key] == 0 {
				delete(pending, r.key)
			}
			if r.err != nil {
				errs = append(errs, fmt.Errorf("close snowflake session of %s: %w", r.key.login(), r.err))
			}
		case <-ctx.Done():
			var notClosed []string
			for key := range pending {
				notClosed = append(notClosed, key.login())
			}
			slices.Sort(notClosed)
			return errors.Join(append(errs, &NotClosedError{Logins: notClosed, Err: ctx.Err()})...)
		}
	}
	return errors.Join(errs...)
}

// NotClosedError lists the sessions that CloseContext left closing when
// its context ended.
type NotClosedError struct {
	// Logins are the account/user/role of the sessions, with the account
	// and user in lower case and the role as Snowflake stores it.
	Logins []string
	// Err is the error of the context.
	Err error
}

func (e *NotClosedError) Error() string {
	return fmt.Sprintf("%d snowflake session(s) not closed: %v: %s", len(e.Logins), e.Err, strings.Join(e.Logins, ", "))
}

func (e *NotClosedError) Unwrap() error { return e.Err }

func authMethod(sf request.Snowflake) string {
	if sf.PrivateKeyRef != "" {
		return "key_pair"
	}
	return "password"
}
