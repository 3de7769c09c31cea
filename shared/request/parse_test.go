package request

import (
	"errors"
	"testing"
)

// TestParseByteOrderMark checks that a request that starts with a UTF-8
// byte order mark parses, as JSON and as YAML.
func TestParseByteOrderMark(t *testing.T) {
	for name, doc := range map[string]string{
		"json": `{"id": "DATA-1", "route": "public"}`,
		"yaml": "id: DATA-1\nroute: public\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte("\xef\xbb\xbf" + doc))
			var invalid *ValidationError
			if errors.As(err, &invalid) {
				for _, f := range invalid.Fields {
					if f.Path == "$" {
						t.Errorf("field error at $: %s", f.Message)
					}
				}
			}
		})
	}
}
