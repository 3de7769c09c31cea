package main

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/snowflake"
)

// checkLocalCredentials resolves the env: and file: credential references
// of a request, which this process reads itself when it runs the steps,
// and returns a usage error that names each one that does not resolve.
// Commands that the operator runs with a request file call it before they
// create anything, and read every such reference. References to cloud
// secret stores are left to the steps, because reading them needs the
// clouds.
func checkLocalCredentials(ctx context.Context, req request.Request) error {
	return checkLocalCredentialsAt(ctx, req, "$")
}

// checkLocalCredentialsAt is checkLocalCredentials for a request at the
// JSON path root of its document, such as $.request in the input of a
// step, which the paths of the fields start with.
func checkLocalCredentialsAt(ctx context.Context, req request.Request, root string) error {
	resolver := secrets.NewResolver()
	var problems strings.Builder
	values := map[string]string{}
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
		value, err := resolver.Resolve(ctx, field.Ref)
		var invalid *secrets.InvalidValueError
		if errors.As(err, &invalid) {
			// The error already names the change to make.
			fmt.Fprintf(&problems, "\n  %s: %v", root+strings.TrimPrefix(field.Path, "$"), err)
			continue
		}
		if err != nil {
			fmt.Fprintf(&problems, "\n  %s: %v; %s", root+strings.TrimPrefix(field.Path, "$"), err, fix)
			continue
		}
		values[field.Path] = value
	}
	if err := checkPrivateKey(req, values); err != nil {
		fmt.Fprintf(&problems, "\n  %s.snowflake.private_key_ref: %v; point it at the user's RSA private key in PEM", root, err)
	}
	if problems.Len() == 0 {
		return nil
	}
	return usagef("a credential of the request cannot be read or used:%s\nnothing was created", problems.String())
}

// checkPrivateKey parses the Snowflake private key when this process has
// read it, with the passphrase when it has read that too. A key encrypted
// under a passphrase kept in a cloud secret store is left to the steps.
// Errors never contain key material.
func checkPrivateKey(req request.Request, values map[string]string) error {
	key, ok := values["$.snowflake.private_key_ref"]
	if !ok {
		return nil
	}
	passphrase, known := values["$.snowflake.private_key_passphrase_ref"]
	if !known && req.Snowflake.PrivateKeyPassphraseRef != "" {
		if block, _ := pem.Decode([]byte(key)); block != nil && block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil
		}
	}
	_, err := snowflake.ParsePrivateKey([]byte(key), []byte(passphrase))
	return err
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

// denyServiceSecrets returns allow with the service's own secrets, the
// references own, added as secrets that no request may read, in any
// spelling and in any store (secrets.AllowList.WithOwnSecrets). A request
// that reads one could copy it into a Snowflake secret or send it to its
// index. It returns a usage error when allow lists one of the env: and
// file: ones, so that the operator narrows the list. A relative file:
// reference of the service is made absolute against the working directory,
// where the service reads it, and Allows compares the real file.
func denyServiceSecrets(allow secrets.AllowList, own []string) (secrets.AllowList, error) {
	for _, ref := range own {
		if ref == "" || !secrets.IsLocal(ref) {
			continue
		}
		checked := ref
		if path, ok := strings.CutPrefix(ref, "file:"); ok {
			abs, err := filepath.Abs(path)
			if err != nil {
				return allow, usagef("make the path of %s absolute: %v", ref, err)
			}
			checked = "file:" + abs
		}
		if allow.Allows(checked) {
			return allow, usagef("--allow-local-refs allows %s, a secret of repolink up itself; list narrower references so that requests cannot read it", ref)
		}
	}
	denied, err := allow.WithOwnSecrets(own)
	if err != nil {
		return allow, usagef("%v", err)
	}
	return denied, nil
}
