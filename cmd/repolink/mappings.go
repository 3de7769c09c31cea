package main

import (
	"context"
	"strings"

	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/webhook"
)

// checkMappings reads the --jira-mapping and --servicenow-mapping files
// and returns a usage error for the first one that is invalid, or whose
// request part has an env: or file: reference that allow does not permit.
// Every ticket's request carries that part, so with such a mapping the
// service would reject each delivery with status 400.
func checkMappings(jira, serviceNow string, allow secrets.AllowList) error {
	for _, s := range []struct{ name, path string }{{"jira", jira}, {"servicenow", serviceNow}} {
		if s.path == "" {
			continue
		}
		m, err := webhook.ReadMapping(s.path)
		if err != nil {
			return usagef("--%s-mapping: %v", s.name, err)
		}
		shared, err := m.SharedRequest()
		if err != nil {
			return usagef("--%s-mapping: mapping %s: %v", s.name, s.path, err)
		}
		fields := allow.FieldErrors(shared, "use an aws-secretsmanager:, azure-keyvault: or gcp-secretmanager: reference, or add the reference to --allow-local-refs")
		if len(fields) == 0 {
			continue
		}
		var b strings.Builder
		for _, f := range fields {
			b.WriteString("\n  $.request" + strings.TrimPrefix(f.Path, "$") + ": " + f.Message)
		}
		return usagef("--%s-mapping: mapping %s: the request part has references that requests may not use, so every delivery would be rejected:%s", s.name, s.path, b.String())
	}
	return nil
}

// checkLocalServiceSecrets reads REPOLINK_WEBHOOK_SECRET, or the env: or
// file: reference of --webhook-secret-ref, and the env: and file:
// references of the mapping files' auth secrets. It returns a usage error
// for the first one that is missing or empty, or is a webhook secret that
// checkServiceSecret rejects. up calls it before it creates anything under
// the state directory, so that such a mistake leaves the directory as it
// was. It reports the same errors that openService would.
//
// NOTE: cloud secret store references are read only when openService
// runs, because in sandbox mode their store is part of the sandbox world
// under the state directory. A missing one of those still fails up after
// the state directory is set up.
func checkLocalServiceSecrets(ctx context.Context, opts upOptions) error {
	local := secrets.NewResolver()
	if opts.secretRef == "" || secrets.IsLocal(opts.secretRef) {
		if _, err := webhookSecret(ctx, local, opts.secretRef); err != nil {
			return err
		}
	}
	for _, s := range []struct{ name, path string }{{"jira", opts.jiraMapping}, {"servicenow", opts.serviceNow}} {
		if s.path == "" {
			continue
		}
		m, err := webhook.ReadMapping(s.path)
		if err != nil {
			return usagef("--%s-mapping: %v", s.name, err)
		}
		for _, ref := range mappingSecretRefs(m) {
			if !secrets.IsLocal(ref.ref) {
				continue
			}
			if _, err := webhook.ReadSecret(ctx, local, ref.field, ref.ref); err != nil {
				return usagef("--%s-mapping: mapping %s: %v", s.name, s.path, err)
			}
		}
	}
	return nil
}

// mappingSecretRef is a secret reference of a mapping file and the field
// that contains it, such as auth.secret_ref.
type mappingSecretRef struct {
	field, ref string
}

// mappingSecretRefs returns the secret references that webhook.NewSource
// reads for mapping m, which depend on its auth type.
func mappingSecretRefs(m webhook.Mapping) []mappingSecretRef {
	var refs []mappingSecretRef
	switch m.Auth.Type {
	case webhook.AuthHMAC:
		refs = append(refs, mappingSecretRef{"auth.secret_ref", m.Auth.SecretRef})
	case webhook.AuthBasic:
		refs = append(refs, mappingSecretRef{"auth.password_ref", m.Auth.PasswordRef})
	case webhook.AuthBearer:
		refs = append(refs, mappingSecretRef{"auth.token_ref", m.Auth.TokenRef})
	}
	if s := m.Auth.Signature; s != nil {
		refs = append(refs, mappingSecretRef{"auth.signature.key_ref", s.KeyRef})
	}
	return refs
}
