package main

import (
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
