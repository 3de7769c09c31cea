// Package secrets reads credentials from references such as env:NAME,
// file:PATH or aws-secretsmanager:ARN. Only the step that needs a credential
// resolves it; the value never enters workflow state, logs or errors.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// MaxSize is the largest credential that Resolve accepts, in bytes. A
// PEM-encoded 4096-bit RSA private key from openssl genpkey is 3,272 bytes
// and its self-signed certificate 1,793 bytes, so 64 KiB holds a key with
// a long certificate chain. A file: reference reads at most this much, so
// a wrong path such as a large log file fails at once instead of filling
// memory or the HTTP header that carries the credential.
const MaxSize = 64 << 10

// Store reads secrets of one reference scheme. The ref passed to Resolve
// still carries its scheme.
type Store interface {
	Resolve(ctx context.Context, ref string) (string, error)
}

// ErrUnknownScheme reports a reference whose scheme has no store.
var ErrUnknownScheme = errors.New("no secret store for this reference scheme")

// Resolver dispatches references to the store of their scheme.
type Resolver struct {
	stores map[string]Store
	// allow, when set, limits the env: and file: references and the
	// secret store references that Resolve reads and rejects the
	// service's own secrets. fix is the change that
	// the error for a rejected env: or file: reference suggests.
	allow *AllowList
	fix   string
}

// NewResolver returns a resolver that reads env: and file: references.
func NewResolver() *Resolver {
	r := &Resolver{stores: map[string]Store{}}
	r.Register("env", StoreFunc(resolveEnv))
	r.Register("file", StoreFunc(resolveFile))
	return r
}

// Register adds or replaces the store for a scheme, given without the colon.
func (r *Resolver) Register(scheme string, store Store) {
	r.stores[scheme] = store
}

// Resolve reads the secret that ref points to and rejects an empty or
// whitespace-only value. Errors name the reference's scheme and location
// but never the value.
func (r *Resolver) Resolve(ctx context.Context, ref string) (string, error) {
	scheme, _, ok := strings.Cut(ref, ":")
	if !ok {
		return "", errors.New("resolve secret: reference has no scheme; start it with env, file, aws-secretsmanager, azure-keyvault or gcp-secretmanager and a colon")
	}
	read := ref
	if r.allow != nil {
		allowed, ok := r.allow.check(ref)
		if !ok {
			return "", &NotAllowedError{Ref: ref, Fix: r.fix}
		}
		if r.allow.NamesOwnSecret(ref) {
			return "", &OwnSecretError{Ref: ref}
		}
		if !r.allow.allowsStoreRef(ref) {
			return "", &StoreRefNotAllowedError{Ref: ref, Fix: r.allow.store.fix}
		}
		// A file: reference is read at the real path that was checked.
		read = allowed
	}
	store, ok := r.stores[scheme]
	if !ok {
		return "", fmt.Errorf("resolve secret %s: %w", scheme+":...", ErrUnknownScheme)
	}
	value, err := store.Resolve(ctx, read)
	var invalid *InvalidValueError
	if errors.As(err, &invalid) {
		// The store saw the checked path, but the caller knows the reference.
		invalid.Ref = ref
		return "", invalid
	}
	if err != nil {
		return "", fmt.Errorf("resolve secret %s: %w", ref, err)
	}
	// A blank credential would only fail later, at the index or at
	// Snowflake, with an error that does not name the reference.
	if strings.TrimSpace(value) == "" {
		return "", fmt.Errorf("resolve secret %s: value is empty or only whitespace", ref)
	}
	if err := checkValue(ref, value); err != nil {
		return "", err
	}
	return value, nil
}

// InvalidValueError reports a credential that Resolve read, or would have
// read, but rejects: one that is not in a regular file, is larger than
// MaxSize, is not valid UTF-8 or contains a control character. Its message
// names the reference and the problem, never the value.
type InvalidValueError struct {
	Ref     string
	Problem string
	// Fix is the change that makes the reference usable.
	Fix string
}

func (e *InvalidValueError) Error() string {
	return fmt.Sprintf("resolve secret %s: %s; %s", e.Ref, e.Problem, e.Fix)
}

// ErrorName returns InvalidRequest, so that the state machine fails the
// step at once instead of retrying it, because a second read gives the
// same result.
func (e *InvalidValueError) ErrorName() string { return workflow.ErrInvalidRequest }

// checkValue rejects a credential above MaxSize, one that is not valid
// UTF-8, or one with a control character other than tab, line feed and
// carriage return. gosnowflake v1.19 sends the statement that creates the
// SECRET as JSON, and encoding/json replaces each invalid byte with U+FFFD,
// so the index would receive another credential and reject it only at
// verification. Tab, line feed and carriage return are allowed anywhere,
// because a PEM private key has line breaks inside, with CRLF when it was
// saved on Windows. A NUL byte or an escape sequence in a credential is
// almost always a wrong file or a copy and paste accident, and a header or
// connection string would cut or misread it.
func checkValue(ref, value string) error {
	if len(value) > MaxSize {
		return &InvalidValueError{Ref: ref,
			Problem: fmt.Sprintf("value is %d bytes; the limit is %d bytes", len(value), MaxSize),
			Fix:     "store only the credential under the reference"}
	}
	if !utf8.ValidString(value) {
		return &InvalidValueError{Ref: ref,
			Problem: "value is not valid UTF-8 text",
			Fix:     "store the credential as UTF-8 text, such as the token or password as the index shows it, or a PEM key"}
	}
	for _, r := range value {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return &InvalidValueError{Ref: ref,
				Problem: "value contains a NUL byte or a control character other than tab, line feed and carriage return",
				Fix:     "store the credential as text without control characters"}
		}
	}
	return nil
}

// StoreFunc adapts a function to Store.
type StoreFunc func(ctx context.Context, ref string) (string, error)

// Resolve calls f.
func (f StoreFunc) Resolve(ctx context.Context, ref string) (string, error) { return f(ctx, ref) }

func resolveEnv(_ context.Context, ref string) (string, error) {
	name := strings.TrimPrefix(ref, "env:")
	value, ok := os.LookupEnv(name)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return value, nil
}

// resolveFile reads a file: reference. It reads only a regular file of at
// most MaxSize bytes and trims the line breaks at its end.
func resolveFile(_ context.Context, ref string) (string, error) {
	path := strings.TrimPrefix(ref, "file:")
	data, err := request.ReadFileLimited(path, MaxSize)
	var notRegular *request.NotRegularError
	if errors.As(err, &notRegular) {
		return "", &InvalidValueError{Ref: ref,
			Problem: fmt.Sprintf("%s is %s, not a regular file", path, notRegular.Kind()),
			Fix:     "point the reference at a regular file that contains the credential"}
	}
	var tooLarge *request.TooLargeError
	if errors.As(err, &tooLarge) {
		return "", &InvalidValueError{Ref: ref,
			Problem: fmt.Sprintf("%s is %d bytes; the limit for a credential is %d bytes", path, tooLarge.Size, MaxSize),
			Fix:     "point the reference at a file that contains only the credential"}
	}
	if err != nil {
		// The path error names the file, never its content.
		return "", err
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}
