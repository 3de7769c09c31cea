package engine

import (
	"encoding/json"
	"testing"
)

// setByDecoding is the general path that setMember replaces: decode the
// object, set the member and encode the whole object again.
func setByDecoding(t *testing.T, obj []byte, name string, value any) []byte {
	t.Helper()
	doc, err := decodeJSON(obj)
	if err != nil {
		t.Fatalf("decode %s: %v", obj, err)
	}
	path, err := ParsePath("$." + name)
	if err != nil {
		t.Fatalf("parse path $.%s: %v", name, err)
	}
	out, err := path.Set(doc, value)
	if err != nil {
		t.Fatalf("set $.%s in %s: %v", name, obj, err)
	}
	encoded, err := encodeJSON(out)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return encoded
}

func TestSetMemberMatchesDecoding(t *testing.T) {
	objects := []string{
		`{}`,
		`{"n":1}`,
		`{"b":2}`,
		`{"a":1,"c":3}`,
		`{"a":{"x":[1,{"y":"z"}]},"m":"tab\tescaped \"quoted\"","z":null}`,
		`{"n":1,"p01":{"step":"P01"},"t01":{"ok":true}}`,
		`{"é":1,"ü":[true,false]}`,
		`{"z":1,"b":{"y":2,"a":3},"a":[]}`,
	}
	names := []string{"a", "b", "c", "m", "n", "p01", "t01", "z", "zz", "é", "A"}
	values := []any{
		json.Number("5"), "text with \"quotes\" and \u2028", nil, true,
		objectOf("ok", true, "list", []any{json.Number("1"), "x"}),
		[]any{}, newObject(0),
	}
	for _, text := range objects {
		// The objects must be written as encodeJSON writes them, which
		// is what setMember requires.
		obj := []byte(text)
		if decoded, err := decodeJSON(obj); err != nil {
			t.Fatalf("decode %s: %v", text, err)
		} else if again, _ := encodeJSON(decoded); string(again) != text {
			t.Fatalf("sample %s is not as encodeJSON writes it (%s)", text, again)
		}
		for _, name := range names {
			for _, value := range values {
				encoded, err := encodeJSON(value)
				if err != nil {
					t.Fatal(err)
				}
				got, ok := setMember(obj, name, encoded)
				if !ok {
					t.Errorf("setMember(%s, %q) took the general path", obj, name)
					continue
				}
				want := setByDecoding(t, obj, name, value)
				if string(got) != string(want) {
					t.Errorf("setMember(%s, %q, %s) = %s, want %s", obj, name, encoded, got, want)
				}
			}
		}
	}
}

func TestSetMemberRejectsOtherText(t *testing.T) {
	for _, tc := range []struct {
		obj, name string
	}{
		{`[1,2]`, "a"},
		{`null`, "a"},
		{`"text"`, "a"},
		{`{"a":1,"a":2}`, "a"},  // repeated key
		{`{"a": 1}`, "b"},       // whitespace
		{`{"a\"b":1}`, "c"},     // escaped key
		{`{"a":1}`, `quote"d`},  // name that needs escaping
		{`{"a":1,}`, "b"},       // invalid
		{`{"a":1`, "b"},         // truncated
		{`{"a":1}{"b":2}`, "c"}, // two values
	} {
		if out, ok := setMember([]byte(tc.obj), tc.name, []byte(`1`)); ok {
			t.Errorf("setMember(%s, %q) = %s, want the general path", tc.obj, tc.name, out)
		}
	}
}

// TestSplicedOutputPaths checks which ResultPath and OutputPath values
// take the fast path.
func TestSplicedOutputPaths(t *testing.T) {
	input := []byte(`{"a":1}`)
	for _, tc := range []struct {
		definition string
		encoded    bool
		want       string // empty for the general path
	}{
		{`{"ResultPath":"$.r"}`, true, `{"a":1,"r":true}`},
		{`{"ResultPath":"$.r"}`, false, ""},
		{`{"ResultPath":"$.r","OutputPath":"$"}`, true, `{"a":1,"r":true}`},
		{`{"ResultPath":"$.r","OutputPath":"$.a"}`, true, ""},
		{`{"ResultPath":"$.r","OutputPath":null}`, true, ""},
		{`{"ResultPath":"$.r.s"}`, true, ""},
		{`{"ResultPath":"$['r']"}`, true, `{"a":1,"r":true}`},
		{`{"ResultPath":"$"}`, true, ""},
		{`{"ResultPath":null}`, true, ""},
		{`{}`, true, ""},
	} {
		s := passState(t, tc.definition)
		c := &cursor{Input: input, inputEncoded: tc.encoded}
		out, ok := splicedOutput(c, s, true)
		switch {
		case tc.want == "" && ok:
			t.Errorf("%s (input encoded: %t): fast path gave %s, want the general path", tc.definition, tc.encoded, out)
		case tc.want != "" && !ok:
			t.Errorf("%s (input encoded: %t): took the general path, want %s", tc.definition, tc.encoded, tc.want)
		case tc.want != "" && string(out) != tc.want:
			t.Errorf("%s (input encoded: %t) = %s, want %s", tc.definition, tc.encoded, out, tc.want)
		}
	}
}

// passState parses a machine whose only state is a Pass state with the
// given fields added, and returns that state.
func passState(t *testing.T, fields string) *state {
	t.Helper()
	var extra map[string]any
	if err := json.Unmarshal([]byte(fields), &extra); err != nil {
		t.Fatal(err)
	}
	pass := map[string]any{"Type": "Pass", "End": true}
	for k, v := range extra {
		pass[k] = v
	}
	definition, err := json.Marshal(map[string]any{"StartAt": "S", "States": map[string]any{"S": pass}})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := parseDefinition("m", definition)
	if err != nil {
		t.Fatalf("parse %s: %v", definition, err)
	}
	return sm.States["S"]
}

func TestPassOutputSkipsDecoding(t *testing.T) {
	input := []byte(`{"a":1}`)
	for _, tc := range []struct {
		definition string
		want       string // empty for the general path
	}{
		{`{"Result":{"x":2},"ResultPath":"$.r"}`, `{"a":1,"r":{"x":2}}`},
		{`{"Result":{"x":2},"ResultPath":"$.r","InputPath":null}`, `{"a":1,"r":{"x":2}}`},
		{`{"Result":{"x":2},"ResultPath":"$.r","InputPath":"$.missing"}`, ""},
		{`{"Result":{"x":2},"ResultPath":"$.r","Parameters":{"p.$":"$.a"}}`, ""},
		{`{"ResultPath":"$.r"}`, ""},
	} {
		s := passState(t, tc.definition)
		out, ok := passOutput(&cursor{Input: input, inputEncoded: true}, s)
		switch {
		case tc.want == "" && ok:
			t.Errorf("%s: fast path gave %s, want the general path", tc.definition, out)
		case tc.want != "" && !ok:
			t.Errorf("%s: took the general path, want %s", tc.definition, tc.want)
		case tc.want != "" && string(out) != tc.want:
			t.Errorf("%s = %s, want %s", tc.definition, out, tc.want)
		}
	}
}
