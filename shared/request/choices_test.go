package request

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// choicesYAML is a valid YAML request whose choice fields the test
// replaces with unquoted booleans.
const choicesYAML = "id: DATA-1\nroute: aws-privatelink\nsnowflake:\n  account: myorg-analytics\n  user: SVC\n" +
	"  password_ref: env:SF_PASSWORD\n  database: DB\n  schema: SC\n" +
	"repository:\n  name: corp_pypi\n  index_url: https://pypi.corp.example.com/simple/\n" +
	"  auth: {type: token, token_ref: \"file:/run/secrets/token\"}\n  packages: [requests]\n  default_for: none\n" +
	"aws:\n  region: eu-west-1\n  vpc_id: vpc-0abc\n  subnet_ids: [subnet-01]\n  upstream: pypi.corp.example.com:443\n  proxy: nginx\n"

// writePattern matches the fix at the end of a choice field's message.
var writePattern = regexp.MustCompile(`; write (\w+): ([\w-]+)$`)

func TestChoiceBooleanAdviceApplies(t *testing.T) {
	tests := []struct {
		name, line, boolean, path string
	}{
		{"default_for no", "  default_for: none\n", "  default_for: no\n", "$.repository.default_for"},
		{"default_for off", "  default_for: none\n", "  default_for: off\n", "$.repository.default_for"},
		{"default_for yes", "  default_for: none\n", "  default_for: yes\n", "$.repository.default_for"},
		{"proxy no", "  proxy: nginx\n", "  proxy: no\n", "$.aws.proxy"},
		{"route yes", "route: aws-privatelink\n", "route: yes\n", "$.route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			indent := tt.line[:len(tt.line)-len(strings.TrimLeft(tt.line, " "))]
			doc := strings.Replace(choicesYAML, tt.line, tt.boolean, 1)
			message := choiceFieldMessage(t, doc, tt.path)
			if strings.Contains(message, "put the value in quotes") {
				t.Errorf("message = %q, want no advice to quote the boolean", message)
			}
			fix := writePattern.FindStringSubmatch(message)
			if fix == nil {
				t.Fatalf("message = %q, want it to end with write KEY: VALUE", message)
			}

			applied := strings.Replace(doc, tt.boolean, indent+fix[1]+": "+fix[2]+"\n", 1)
			// Other fields may then need a change, such as the target
			// address that proxy none requires, but this one is valid.
			if _, err := Parse([]byte(applied)); err != nil && slices.Contains(fieldPaths(t, err), tt.path) {
				t.Errorf("request with %s: %s: %v", fix[1], fix[2], err)
			}
		})
	}
}

func TestChoiceFalseSuggestsNone(t *testing.T) {
	doc := strings.Replace(choicesYAML, "  default_for: none\n", "  default_for: no\n", 1)
	message := choiceFieldMessage(t, doc, "$.repository.default_for")
	if !strings.HasSuffix(message, "write default_for: none") {
		t.Errorf("message = %q, want it to end with write default_for: none", message)
	}
}

// choiceFieldMessage parses doc and returns the message of the field at
// path, failing the test when the request is valid or path has none.
func choiceFieldMessage(t *testing.T, doc, path string) string {
	t.Helper()
	_, err := Parse([]byte(doc))
	var invalid *ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("Parse error = %v, want a *ValidationError", err)
	}
	for _, f := range invalid.Fields {
		if f.Path == path {
			return f.Message
		}
	}
	t.Fatalf("Parse error = %v, want a message at %s", err, path)
	return ""
}
