package request

import (
	"fmt"
	"slices"
	"strings"
)

// choiceValues returns the values that the string field at path accepts,
// or nil when the field accepts free text. The lists match the checks in
// validate.go and clouds.go.
func choiceValues(path string) []string {
	switch {
	case path == "$.route":
		return []string{string(RouteAWSPrivateLink), string(RouteAzurePrivateLink), string(RouteGCPPrivateLink), string(RouteEgressIP), string(RoutePublic)}
	case path == "$.repository.auth.type":
		return []string{"password", "token", AuthCodeArtifact}
	case path == "$.repository.default_for":
		return []string{"none", "account", "database", "schema"}
	case path == "$.egress.cloud":
		return []string{"aws", "azure", "gcp"}
	case strings.HasSuffix(path, ".proxy"):
		return []string{"nginx", "none"}
	}
	return nil
}

// notChoiceMessage returns the message for true or false in a field with a
// fixed set of values. Quoting the word the author wrote, such as "no",
// would only trade this error for an unknown value. So the message names a
// value to write: none for false where the field accepts none, because an
// unquoted no or off most likely meant none, and otherwise the first value.
func notChoiceMessage(path string, values []string, value bool) string {
	suggested := values[0]
	if !value && slices.Contains(values, "none") {
		suggested = "none"
	}
	key := path[strings.LastIndex(path, ".")+1:]
	return fmt.Sprintf("must be one of %s, not %t, because YAML reads unquoted yes, no, on and off as true or false; write %s: %s",
		joinChoices(values), value, key, suggested)
}

// joinChoices joins values as "a, b or c".
func joinChoices(values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}
