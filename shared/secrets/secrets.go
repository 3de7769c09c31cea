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
)

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
	// allow, when set, limits the env: and file: references that Resolve
	// reads. fix is the change that the error for a rejected one suggests.
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
		// A file: reference is read at the real path that was checked.
		read = allowed
	}
	store, ok := r.stores[scheme]
	if !ok {
		return "", fmt.Errorf("resolve secret %s: %w", scheme+":...", ErrUnknownScheme)
	}
	value, err := store.Resolve(ctx, read)
	if err != nil {
		return "", fmt.Errorf("resolve secret %s: %w", ref, err)
	}
	// A blank credential would only fail later, at the index or at
	// Snowflake, with an error that does not name the reference.
	if strings.TrimSpace(value) == "" {
		return "", fmt.Errorf("resolve secret %s: value is empty or only whitespace", ref)
	}
	return value, nil
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

func resolveFile(_ context.Context, ref string) (string, error) {
	path := strings.TrimPrefix(ref, "file:")
	data, err := os.ReadFile(path)
	if err != nil {
		// The path error names the file, never its content.
		return "", err
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}
