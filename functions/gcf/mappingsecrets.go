package gcf

import (
	"errors"
	"fmt"

	"github.com/repolink/repolink/shared/webhook"
)

// mappingSecrets are the secret references of the ticket mappings that
// REPOLINK_JIRA_MAPPING and REPOLINK_SERVICENOW_MAPPING name.
type mappingSecrets struct {
	// auth are the secrets that authenticate the deliveries, which no
	// request may name.
	auth []string
	// snowflake are the Snowflake credentials of the mappings' requests,
	// which a request may name only in $.snowflake.
	snowflake []string
	// err is the error of reading a mapping file, or nil. With an error
	// the adapters reject every gcp-secretmanager: reference of a request,
	// because they cannot tell which secrets the webhook reads.
	err error
}

// mappingFileFix is the change that lets requests through again after a
// mapping file could not be read.
const mappingFileFix = "the deployment's " + envJiraMapping + " or " + envServiceNowMapping +
	" names a mapping file that cannot be read; ask its operator to correct it"

// loadMappingSecrets reads the mapping files that getenv names and returns
// their secret references.
func loadMappingSecrets(getenv func(string) string) mappingSecrets {
	var out mappingSecrets
	var problems []error
	for _, file := range mappingFiles(getenv) {
		mapping, err := webhook.ReadMapping(file.path)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s mapping %s: %w", file.source, file.path, err))
			continue
		}
		snowflake, err := mapping.SnowflakeSecretRefs()
		if err != nil {
			problems = append(problems, fmt.Errorf("%s mapping %s: %w", file.source, file.path, err))
			continue
		}
		out.auth = append(out.auth, mapping.AuthSecretRefs()...)
		out.snowflake = append(out.snowflake, snowflake...)
	}
	out.err = errors.Join(problems...)
	return out
}
