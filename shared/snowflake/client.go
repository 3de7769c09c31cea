//lint:file-ignore SA1019 gosnowflake v1.19 marks its timeout, telemetry and tracing fields deprecated but offers no replacement yet; they bound the login so a wrong account fails fast.

package snowflake

import (
	"context"
	"crypto/rsa"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/snowflakedb/gosnowflake"
)

// Defaults that keep a wrong account or an unreachable host from retrying
// for minutes. gosnowflake v1.19.1 defaults to a 300 s login budget, a 900 s
// round-trip timeout and 7 retries.
const (
	DefaultLoginTimeout   = 30 * time.Second
	DefaultRequestTimeout = 60 * time.Second
	defaultMaxRetryCount  = 2
)

// Config is the account, identity and credentials of a login. Set PrivateKey
// for key-pair login or Password for password login. PrivateKey wins when
// both are set.
type Config struct {
	// Account is the account identifier, "orgname-accountname" or a locator
	// such as "xy12345" or "xy12345.us-east-2.aws", without
	// ".privatelink" and without the snowflakecomputing.com domain.
	Account   string
	User      string
	Role      string
	Warehouse string
	Database  string
	Schema    string

	PrivateKey *rsa.PrivateKey
	Password   string

	// Host, Port and Protocol override the address derived from Account,
	// for a private link host name or a local sandbox ("http").
	Host     string
	Port     int
	Protocol string

	// LoginTimeout bounds the login including its retries
	// (DefaultLoginTimeout when zero).
	LoginTimeout time.Duration
	// RequestTimeout bounds each HTTP round trip and the retries of a
	// request (DefaultRequestTimeout when zero).
	RequestTimeout time.Duration
}

// accountPattern matches "orgname-accountname" and account locators with an
// optional region and cloud: letters, digits, '_' and '-', up to two
// dot-separated suffixes.
var accountPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9-]+){0,2}$`)

// ValidateAccount returns an error naming what to change when account is not
// a bare account identifier.
func ValidateAccount(account string) error {
	lower := strings.ToLower(account)
	switch {
	case account == "":
		return errors.New("snowflake account is empty; set it to the account identifier, for example myorg-myaccount")
	case strings.Contains(lower, "://") || strings.Contains(lower, "snowflakecomputing"):
		return fmt.Errorf("snowflake account %q looks like a URL; give only the account identifier, for example myorg-myaccount", account)
	case strings.HasSuffix(lower, ".privatelink"):
		return fmt.Errorf("snowflake account %q ends in .privatelink; give the bare account identifier and put the private link host name in Host", account)
	case !accountPattern.MatchString(account):
		return fmt.Errorf("snowflake account %q is not a valid account identifier: use letters, digits, '_' and '-', optionally followed by .region or .region.cloud", account)
	}
	return nil
}

// Client runs statements on one Snowflake session. All statements share one
// connection, so temporary functions and USE statements persist between
// calls. It is safe for concurrent use, but calls run one at a time.
type Client struct {
	db *sql.DB
	// user and role name the identity in the advice of a failed statement.
	user string
	role string
}

var _ Conn = (*Client)(nil)

// Open validates cfg, logs in and returns a client. Login failures are
// returned as *Error, and IsAuth separates a rejected login from a network
// fault.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	if err := ValidateAccount(cfg.Account); err != nil {
		return nil, err
	}
	if cfg.User == "" {
		return nil, errors.New("snowflake user is empty")
	}
	if cfg.PrivateKey == nil && cfg.Password == "" {
		return nil, errors.New("snowflake login needs a private key or a password")
	}

	db := sql.OpenDB(gosnowflake.NewConnector(gosnowflake.SnowflakeDriver{}, driverConfig(cfg)))
	// One connection is one Snowflake session.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		classified := classify("login", err, false)
		if e, ok := asError(classified); ok && IsAuth(e) {
			e.Advice = loginAdvice(e.Code, cfg.User, cfg.Role)
		}
		return nil, classified
	}
	return &Client{db: db, user: cfg.User, role: cfg.Role}, nil
}

func driverConfig(cfg Config) gosnowflake.Config {
	loginTimeout := cfg.LoginTimeout
	if loginTimeout <= 0 {
		loginTimeout = DefaultLoginTimeout
	}
	requestTimeout := cfg.RequestTimeout
	if requestTimeout <= 0 {
		requestTimeout = DefaultRequestTimeout
	}
	jsonFormat := "JSON"

	dc := gosnowflake.Config{
		Account:          cfg.Account,
		User:             cfg.User,
		Role:             cfg.Role,
		Warehouse:        cfg.Warehouse,
		Database:         cfg.Database,
		Schema:           cfg.Schema,
		Host:             cfg.Host,
		Port:             cfg.Port,
		Protocol:         cfg.Protocol,
		LoginTimeout:     loginTimeout,
		RequestTimeout:   requestTimeout,
		ClientTimeout:    requestTimeout,
		JWTClientTimeout: min(loginTimeout, requestTimeout),
		MaxRetryCount:    defaultMaxRetryCount,
		DisableTelemetry: true,
		// The driver logs through its own logger to stderr; keep it silent
		// and let callers log the returned errors.
		Tracing: "fatal",
		Params:  map[string]*string{"GO_QUERY_RESULT_FORMAT": &jsonFormat},
	}
	if cfg.PrivateKey != nil {
		dc.Authenticator = gosnowflake.AuthTypeJwt
		dc.PrivateKey = cfg.PrivateKey
	} else {
		dc.Password = cfg.Password
	}
	return dc
}

// Exec runs one statement that returns no rows.
func (c *Client) Exec(ctx context.Context, stmt string) error {
	_, err := c.db.ExecContext(ctx, stmt)
	return c.classify("exec", stmt, err)
}

// Query runs one statement and returns its rows keyed by lower-case column
// name; NULL reads as "".
func (c *Client) Query(ctx context.Context, stmt string) ([]Row, error) {
	rows, err := c.db.QueryContext(ctx, stmt)
	if err != nil {
		return nil, c.classify("query", stmt, err)
	}
	defer rows.Close()

	columns, err := rows.Columns()
	if err != nil {
		return nil, classify("query", err, false)
	}
	var out []Row
	for rows.Next() {
		cells := make([]sql.NullString, len(columns))
		targets := make([]any, len(columns))
		for i := range cells {
			targets[i] = &cells[i]
		}
		if err := rows.Scan(targets...); err != nil {
			return nil, classify("query", err, false)
		}
		row := make(Row, len(columns))
		for i, col := range columns {
			row[strings.ToLower(col)] = cells[i].String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("query", err, false)
	}
	return out, nil
}

// classify is the package's classify for a failed stmt, with the privilege
// to grant to the client's role when Snowflake reports a missing one.
func (c *Client) classify(op, stmt string, err error) error {
	classified := classify(op, err, carriesSecret(stmt))
	e, ok := asError(classified)
	switch {
	case !ok:
	case IsAuth(e):
		e.Advice = loginAdvice(e.Code, c.user, c.role)
	case IsPermissionDenied(e):
		e.Advice = privilegeAdvice(stmt, c.role)
	}
	return classified
}

// Close ends the session.
func (c *Client) Close() error {
	return c.db.Close()
}

// Scalar runs stmt and returns the single value of its single row, as
// returned by SELECT SYSTEM$...() and by the verification function.
func Scalar(ctx context.Context, conn Conn, stmt string) (string, error) {
	rows, err := conn.Query(ctx, stmt)
	if err != nil {
		return "", err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return "", fmt.Errorf("expected one row with one column, got %d rows", len(rows))
	}
	for _, v := range rows[0] {
		return v, nil
	}
	return "", nil
}
