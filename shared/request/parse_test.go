package request

import (
	"errors"
	"strings"
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

func TestParseRejectsUTF16AndUTF32(t *testing.T) {
	tests := []struct {
		encoding string
		data     string
	}{
		{"UTF-16LE", "\xff\xfe{\x00\"\x00i\x00d\x00\"\x00:\x00\"\x00X\x00\"\x00}\x00"},
		{"UTF-16LE", "\xff\xfe{\"id\":\"X\"}"},
		{"UTF-16BE", "\xfe\xff\x00{\x00}"},
		{"UTF-32LE", "\xff\xfe\x00\x00{\x00\x00\x00}\x00\x00\x00"},
		{"UTF-32BE", "\x00\x00\xfe\xff\x00\x00\x00{\x00\x00\x00}"},
	}
	for _, tt := range tests {
		for name, parse := range map[string]func([]byte) (Request, error){"Parse": Parse, "ParseJSON": ParseJSON} {
			t.Run(tt.encoding+"/"+name, func(t *testing.T) {
				_, err := parse([]byte(tt.data))
				var invalid *ValidationError
				if !errors.As(err, &invalid) || len(invalid.Fields) != 1 {
					t.Fatalf("error = %v, want one field error", err)
				}
				got := invalid.Fields[0]
				if got.Path != "$" {
					t.Errorf("path = %q, want $", got.Path)
				}
				if !strings.Contains(got.Message, "the text is "+tt.encoding) {
					t.Errorf("message %q does not name %s", got.Message, tt.encoding)
				}
				if !strings.Contains(got.Message, "save or send it as UTF-8") {
					t.Errorf("message %q does not say to save as UTF-8", got.Message)
				}
			})
		}
	}
}

// TestParseInvalidUTF8 checks that a JSON request with a byte that is not
// UTF-8 is rejected at $ with the byte's offset, instead of running with
// U+FFFD in place of the byte.
func TestParseInvalidUTF8(t *testing.T) {
	for name, parse := range map[string]func([]byte) (Request, error){
		"Parse":     Parse,
		"ParseJSON": ParseJSON,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parse([]byte("{\"id\": \"DATA-\xff\", \"route\": \"public\"}"))
			var invalid *ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("error = %v, want a *ValidationError", err)
			}
			if len(invalid.Fields) != 1 {
				t.Fatalf("fields = %+v, want one", invalid.Fields)
			}
			if got := invalid.Fields[0].Path; got != "$" {
				t.Errorf("path = %q, want $", got)
			}
			want := "invalid JSON: the text is not valid UTF-8 at byte 13; save the file as UTF-8"
			if got := invalid.Fields[0].Message; got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
		})
	}
}

// TestWithJSONSyntaxErrorInvalidUTF8 checks that a file named *.json that
// YAML reads, because it does not start with "{", and that is not UTF-8
// gets the UTF-8 message once.
func TestWithJSONSyntaxErrorInvalidUTF8(t *testing.T) {
	data := []byte("id: \xff\n")
	_, err := Parse(data)
	err = WithJSONSyntaxError(data, err)
	var invalid *ValidationError
	if !errors.As(err, &invalid) || len(invalid.Fields) != 1 {
		t.Fatalf("error = %v, want one field error", err)
	}
	want := "invalid JSON: the text is not valid UTF-8 at byte 4; save the file as UTF-8"
	if got := invalid.Fields[0].Message; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

// TestParseJSONSyntaxErrorPosition checks that a JSON syntax error names
// the line and the column, in characters, of the invalid character.
func TestParseJSONSyntaxErrorPosition(t *testing.T) {
	doc := "{\n  \"id\": \"DATA-1\",\n  \"route\": \"público\",,\n}"
	for name, data := range map[string]string{
		"plain":           doc,
		"byte order mark": "\xef\xbb\xbf" + doc,
		"leading lines":   "\n\n" + doc,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(data))
			want := "invalid JSON: invalid character ',' looking for beginning of object key string at line 3, column 22"
			if name == "leading lines" {
				want = strings.Replace(want, "line 3", "line 5", 1)
			}
			if got := fieldErrorsOf(t, err)["$"]; !strings.HasPrefix(got, want+"; ") {
				t.Errorf("message = %q, want one starting with %q and a hint", got, want)
			}
		})
	}
}

// TestWithJSONSyntaxErrorPosition checks that a file named *.json that
// YAML reads, because it does not start with "{", gets the line and the
// column of its JSON syntax error.
func TestWithJSONSyntaxErrorPosition(t *testing.T) {
	data := []byte("[\n  1,\n  }\n]")
	_, err := Parse(data)
	got := fieldErrorsOf(t, WithJSONSyntaxError(data, err))["$"]
	if want := "at line 3, column 3; "; !strings.Contains(got, want) {
		t.Errorf("message = %q, want one containing %q", got, want)
	}
}

func TestParseJSONSyntaxErrorHints(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		position string
		hint     string
	}{
		{"missing closing brace", "{\n  \"id\": \"DATA-1\",\n  \"route\": {\"a\": 1}\n", "at line 3, column 20", "a closing } or ] is probably missing at the end of the file"},
		{"extra closing brace", "{\n  \"id\": \"DATA-1\"\n}\n}\n", "at line 4, column 1", "remove the text from here on, such as a } too many"},
		{"missing comma", "{\n  \"id\": \"DATA-1\"\n  \"route\": \"public\"\n}", "at line 3, column 3", "a comma is probably missing before this"},
		{"trailing comma", "{\n  \"id\": \"DATA-1\",\n}", "at line 3, column 1", "no comma after the last field"},
		{"missing colon", "{\"id\" \"DATA-1\"}", "at line 1, column 7", "a colon is missing"},
		{"tab in string", "{\"id\": \"DATA\t1\"}", "at line 1, column 13", "write it as \\t"},
	}
	for _, tt := range tests {
		for name, parse := range map[string]func([]byte) (Request, error){"Parse": Parse, "ParseJSON": ParseJSON} {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				_, err := parse([]byte(tt.doc))
				got := fieldErrorsOf(t, err)["$"]
				if !strings.HasPrefix(got, "invalid JSON: ") {
					t.Errorf("message = %q, want an invalid JSON error", got)
				}
				if !strings.Contains(got, tt.position) {
					t.Errorf("message = %q, want %q", got, tt.position)
				}
				if !strings.Contains(got, tt.hint) {
					t.Errorf("message = %q, want the hint %q", got, tt.hint)
				}
			})
		}
	}
}
