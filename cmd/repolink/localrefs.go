package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
)

// checkLocalCredentials resolves the env: and file: credential references
// of a request, which this process reads itself when it runs the steps,
// and returns a usage error that names each one that does not resolve.
// Commands call it before they create anything. References to cloud
// secret stores are left to the steps, because reading them needs the
// clouds.
func checkLocalCredentials(ctx context.Context, req request.Request) error {
	resolver := secrets.NewResolver()
	var problems strings.Builder
	for _, field := range req.CredentialRefs() {
		var fix string
		switch {
		case strings.HasPrefix(field.Ref, "env:"):
			fix = "set the environment variable to the credential, or fix the reference"
		case strings.HasPrefix(field.Ref, "file:"):
			fix = "create the file with the credential, or fix the reference"
		default:
			continue
		}
		if _, err := resolver.Resolve(ctx, field.Ref); err != nil {
			fmt.Fprintf(&problems, "\n  %s: %v; %s", field.Path, err, fix)
		}
	}
	if problems.Len() == 0 {
		return nil
	}
	return usagef("a credential reference of the request cannot be read:%s\nnothing was created", problems.String())
}
