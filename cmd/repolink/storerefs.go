package main

import (
	"strings"

	"github.com/repolink/repolink/shared/secrets"
)

// storeRefsFix is the change that the sender of a request with a secret
// store reference outside --allow-secret-refs should make.
const storeRefsFix = "use a reference that repolink up --allow-secret-refs allows, or ask the operator to add it to --allow-secret-refs"

// servedStoreRefsFix is storeRefsFix for run, redrive and teardown, which
// hand their executions to the repolink up that serves the directory.
const servedStoreRefsFix = "use a reference that repolink up --allow-secret-refs allows, or restart repolink up with the reference in --allow-secret-refs"

// parseStoreRefs adds the comma-separated entries of --allow-secret-refs
// to allow.
func parseStoreRefs(allow secrets.AllowList, list, fix string) (secrets.AllowList, error) {
	limited, err := allow.WithStoreRefs(strings.Split(list, ","), fix)
	if err != nil {
		return allow, usagef("--allow-secret-refs: %v; list aws-secretsmanager:, azure-keyvault: or gcp-secretmanager: references, or prefixes of them followed by *", err)
	}
	return limited, nil
}

// mappingSnowflakeRefs returns the Snowflake credential references in the
// request part of the --jira-mapping and --servicenow-mapping files. Every
// ticket's request logs in with them, so up lets requests name them only
// in $.snowflake, never as an index credential.
func mappingSnowflakeRefs(opts upOptions) ([]string, error) {
	files, err := readMappings(opts)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, file := range files {
		snowflake, err := file.mapping.SnowflakeSecretRefs()
		if err != nil {
			return nil, usagef("--%s-mapping: mapping %s: %v", file.name, file.path, err)
		}
		refs = append(refs, snowflake...)
	}
	return refs, nil
}
