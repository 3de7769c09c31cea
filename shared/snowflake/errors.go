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
	// Message is the server's message with the statement's string literals
	// removed, so that a secret echoed back in a syntax error stays hidden.
	Message string
	QueryID string
	// Transient is true when the same call may succeed later: a 5xx, a
	// timeout, a dropped connection or an expired session.
	Transient bool
	err       error
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
	return b.String()
}

// Unwrap returns the driver or network error underneath, so that
// errors.Is(err, context.DeadlineExceeded) works.
func (e *Error) Unwrap() error { return e.err }

// Temporary reports whether retrying the statement later may succeed, so
// that callers classify the error without knowing this type.
func (e *Error) Temporary() bool { return e.Transient }

func hasCode(err error, codes ...string) bool {
	var e *Error
	if !errors.As(err, &e) {
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

// classify turns a driver or network error into *Error. literals are the
// string literals of the statement, removed from the message.
func classify(op string, err error, literals []string) error {
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
		out.Message = sfErr.Message
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
		out.Message = netErr.Error()
		out.Transient = true
	case exhaustedRetries.MatchString(err.Error()):
		// gosnowflake gives up on 429 and 5xx responses with an untyped
		// error that only its text identifies.
		out.Message = err.Error()
		out.Transient = true
	default:
		out.Message = err.Error()
	}
	out.Message = redact(out.Message, literals)
	return out
}

// redact replaces every string literal of the statement that appears in msg.
// Literals shorter than four characters stay, since hiding them would blank
// out ordinary words.
func redact(msg string, literals []string) string {
	for _, lit := range literals {
		if len(lit) >= 4 {
			msg = strings.ReplaceAll(msg, lit, "<redacted>")
		}
	}
	return msg
}

// stringLiterals returns the contents of the '...' literals in stmt, both as
// written and unescaped, so that either form can be found in a message.
// It skips $$ bodies, double-quoted identifiers and comments.
func stringLiterals(stmt string) []string {
	var out []string
	for i := 0; i < len(stmt); i++ {
		switch {
		case strings.HasPrefix(stmt[i:], "$$"):
			end := strings.Index(stmt[i+2:], "$$")
			if end < 0 {
				return out
			}
			i += end + 3
		case stmt[i] == '"':
			end := strings.IndexByte(stmt[i+1:], '"')
			if end < 0 {
				return out
			}
			i += end + 1
		case strings.HasPrefix(stmt[i:], "--"):
			end := strings.IndexByte(stmt[i:], '\n')
			if end < 0 {
				return out
			}
			i += end
		case stmt[i] == '\'':
			raw, value, next := scanLiteral(stmt, i)
			out = append(out, raw, value)
			i = next
		}
	}
	return out
}

// scanLiteral reads the single-quoted literal that starts at stmt[start] and
// returns its raw text, its value, and the index of the closing quote.
func scanLiteral(stmt string, start int) (raw, value string, end int) {
	var b strings.Builder
	i := start + 1
	for i < len(stmt) {
		c := stmt[i]
		switch {
		case c == '\\' && i+1 < len(stmt):
			b.WriteByte(stmt[i+1])
			i += 2
		case c == '\'' && i+1 < len(stmt) && stmt[i+1] == '\'':
			b.WriteByte('\'')
			i += 2
		case c == '\'':
			return stmt[start+1 : i], b.String(), i
		default:
			b.WriteByte(c)
			i++
		}
	}
	return stmt[start+1:], b.String(), len(stmt)
}

// exhaustedRetries matches the error gosnowflake returns after its own
// retries of an HTTP 429 or 5xx response ran out.
var exhaustedRetries = regexp.MustCompile(`HTTP Status: (429|5[0-9][0-9])\b`)

// secretStatement matches statements whose string literals may hold a
// credential: CREATE SECRET and ALTER SECRET in any spelling.
var secretStatement = regexp.MustCompile(`(?is)^\s*(CREATE\s+(OR\s+REPLACE\s+)?SECRET|ALTER\s+SECRET)\b`)

// secretLiterals returns the literals to remove from an error message: all
// of them for a statement that carries a credential, none otherwise, so
// that errors about ordinary values such as package names stay readable.
func secretLiterals(stmt string) []string {
	if !secretStatement.MatchString(stmt) {
		return nil
	}
	return stringLiterals(stmt)
}
