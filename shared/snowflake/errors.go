package snowflake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/snowflakedb/gosnowflake"
)

// Snowflake and gosnowflake error codes that callers act on.
const (
	CodeSyntaxError        = "001003"
	CodeAlreadyExists      = "002002"
	CodeDoesNotExist       = "002003"
	CodeInsufficientPrivs  = "003001"
	CodeNoWarehouse        = "000606" // a statement needs a warehouse, and the session has none
	CodeIncorrectLogin     = "390100"
	CodeJWTInvalid         = "390144"
	CodeUserNotFound       = "390422"
	CodeRoleNotAuthorized  = "390189"
	CodeSessionExpired     = "390112"
	CodeServiceUnavailable = "260007" // login answered 502, 503 or 504
	CodeLoginRejected      = "260008" // login answered 401 or 403: often a wrong account
	CodeQueryHTTPError     = "261000" // query-request answered a non-200 status
)

// Error is a failed Snowflake call with the fields a step needs to classify it.
type Error struct {
	// Op is the operation, such as "login" or "query".
	Op string
	// Code is the six-digit Snowflake or driver code, "" for network errors.
	Code     string
	SQLState string
	// Message is the server's or the driver's message. For a statement
	// that carries a credential it is withheldMessage instead, because
	// Snowflake may echo any part of the statement, however short.
	Message string
	QueryID string
	// Transient is true when the same call may succeed later: a 5xx, a
	// timeout, a dropped connection or an expired session.
	Transient bool
	// Advice is the operator's next step, such as the privilege to grant
	// to the role for a missing privilege, or "".
	Advice string
	err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("snowflake: " + e.Op)
	if e.Code != "" {
		b.WriteString(": " + e.Code)
		if e.SQLState != "" {
			b.WriteString(" (" + e.SQLState + ")")
		}
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.QueryID != "" {
		b.WriteString(" [query " + e.QueryID + "]")
	}
	if e.Advice != "" {
		b.WriteString("; " + e.Advice)
	}
	return b.String()
}

// Unwrap returns the driver or network error underneath, so that
// errors.Is(err, context.DeadlineExceeded) works.
func (e *Error) Unwrap() error { return e.err }

// Temporary reports whether retrying the statement later may succeed, so
// that callers classify the error without knowing this type.
func (e *Error) Temporary() bool { return e.Transient }

func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

func hasCode(err error, codes ...string) bool {
	e, ok := asError(err)
	if !ok {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// IsNotExist reports whether err is Snowflake's "does not exist or not
// authorized" (002003).
func IsNotExist(err error) bool { return hasCode(err, CodeDoesNotExist) }

// IsNoWarehouse reports whether err is Snowflake's "No active warehouse
// selected in the current session" (000606), which a login that names a
// missing warehouse leads to.
// NOTE: the code and text are those that Snowflake's drivers print. That a
// login naming a missing warehouse gets a session without one comes from
// user reports, not from Snowflake's documentation.
func IsNoWarehouse(err error) bool { return hasCode(err, CodeNoWarehouse) }

// IsAlreadyExists reports whether err is Snowflake's "already exists" (002002).
func IsAlreadyExists(err error) bool { return hasCode(err, CodeAlreadyExists) }

// IsAuth reports whether err is a rejected login: wrong key, password, user,
// role or account.
func IsAuth(err error) bool {
	return hasCode(err, CodeIncorrectLogin, CodeJWTInvalid, CodeUserNotFound, CodeRoleNotAuthorized, CodeLoginRejected)
}

// IsTransient reports whether err may go away when the call is repeated.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient
}

// classify turns a driver or network error into *Error. withhold is true
// for a statement that carries a credential (secretStatement): the
// server's and the driver's text is then replaced by withheldMessage,
// and only the code, SQLSTATE and query ID are kept.
func classify(op string, err error, withhold bool) error {
	if err == nil {
		return nil
	}
	out := &Error{Op: op, err: err}

	var sfErr *gosnowflake.SnowflakeError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &sfErr):
		out.Code = fmt.Sprintf("%06d", sfErr.Number)
		out.SQLState = sfErr.SQLState
		out.Message = driverText(sfErr.Message, withhold)
		out.QueryID = sfErr.QueryID
		switch out.Code {
		case CodeServiceUnavailable, CodeQueryHTTPError, CodeSessionExpired:
			out.Transient = true
		}
		// SQLState class 08 is a connection exception; 08001, 08006 and
		// 08S01 are the ones that may pass.
		switch out.SQLState {
		case "08001", "08006", "08S01":
			out.Transient = true
		}
	case errors.Is(err, context.DeadlineExceeded):
		out.Message = "timed out"
		out.Transient = true
	case errors.Is(err, context.Canceled):
		out.Message = "canceled"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		// An unknown host is a wrong account or host name, not a passing fault.
		out.Message = "host " + dnsErr.Name + " not found; check the account identifier and host"
	case errors.As(err, &netErr):
		// A network error names the connection and the URL, whose query
		// string has the request ID only: the statement is in the body.
		out.Message = netErr.Error()
		out.Transient = true
	case exhaustedRetries.MatchString(err.Error()):
		// gosnowflake gives up on 429 and 5xx responses with an untyped
		// error that only its text identifies.
		out.Message = driverText(err.Error(), withhold)
		out.Transient = true
	default:
		out.Message = driverText(err.Error(), withhold)
	}
	return out
}

// withheldMessage is the message of an error of a statement that carries a
// credential.
const withheldMessage = "message withheld because the statement carries a credential; " +
	"look the error up by its code and query ID in Snowflake's query history"

// driverText returns text, or withheldMessage when withhold is true.
// Removing only the statement's literals from text is not enough, because
// a literal of one to three characters, such as a short index password,
// cannot be distinguished from ordinary words of the message.
func driverText(text string, withhold bool) string {
	if withhold {
		return withheldMessage
	}
	return text
}

// exhaustedRetries matches the error gosnowflake returns after its own
// retries of an HTTP 429 or 5xx response ran out.
var exhaustedRetries = regexp.MustCompile(`HTTP Status: (429|5[0-9][0-9])\b`)

// secretStatement matches statements whose string literals may hold a
// credential: CREATE SECRET, CREATE OR REPLACE SECRET, CREATE OR ALTER
// SECRET and ALTER SECRET, in any case and spacing.
var secretStatement = regexp.MustCompile(`(?is)^\s*(CREATE\s+(OR\s+(REPLACE|ALTER)\s+)?SECRET|ALTER\s+SECRET)\b`)

// carriesSecret reports whether the error messages of stmt are withheld.
// Errors of other statements keep their text, so that errors about
// ordinary values such as package names stay readable.
func carriesSecret(stmt string) bool {
	return secretStatement.MatchString(stmt)
}
