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
// Commands that the operator runs with a request file call it before they
// create anything, and read every such reference. References to cloud
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

// localRefFix is the change that the sender of a request with a rejected
// env: or file: reference should make.
const localRefFix = "use an aws-secretsmanager:, azure-keyvault: or gcp-secretmanager: reference, " +
	"or ask the operator to add the reference to repolink up --allow-local-refs"

// parseLocalRefs parses the comma-separated entries of --allow-local-refs.
func parseLocalRefs(list string) (secrets.AllowList, error) {
	allow, err := secrets.ParseAllowList(strings.Split(list, ","))
	if err != nil {
		return allow, usagef("--allow-local-refs: %v; list env:NAME or file:/ABSOLUTE/PATH references, or prefixes of them followed by *", err)
	}
	return allow, nil
}

// checkServiceSecretsDenied returns a usage error when allow permits a
// request to read one of the service's own secrets, such as its webhook
// secret or API token. A request that reads one could copy it into a
// Snowflake secret or send it to its index.
func checkServiceSecretsDenied(allow secrets.AllowList, own []string) error {
	for _, ref := range own {
		if ref != "" && secrets.IsLocal(ref) && allow.Allows(ref) {
			return usagef("--allow-local-refs allows %s, a secret of repolink up itself; list narrower references so that requests cannot read it", ref)
		}
	}
	return nil
}
