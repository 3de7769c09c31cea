package request

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics, that every rejection is a
// *ValidationError, and that an accepted request encodes to JSON that
// parses back to the same request.
func FuzzParse(f *testing.F) {
	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("id: DATA-1\nroute: public\n"))
	f.Add([]byte(`{"id": "x", "snowflake": {"password_ref": "literal"}}`))
	f.Add([]byte(`[1, 2]`))
	f.Add([]byte("id: &a [*a]\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := Parse(data)
		if err != nil {
			var invalid *ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("Parse error %T is not a *ValidationError: %v", err, err)
			}
			// Go type names, such as those in the type errors of
			// encoding/json, mean nothing to the author of a request.
			if strings.Contains(err.Error(), "Go value") || strings.Contains(err.Error(), "request.Request") {
				t.Fatalf("Parse error names a Go type: %v", err)
			}
			return
		}

		encoded, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("encode accepted request: %v", err)
		}
		again, err := Parse(encoded)
		if err != nil {
			t.Fatalf("Parse of the re-encoded request failed: %v\nencoded: %s", err, encoded)
		}
		if diff := cmp.Diff(req, again); diff != "" {
			t.Errorf("request changed after encoding and parsing again (-first +second):\n%s", diff)
		}
	})
}
