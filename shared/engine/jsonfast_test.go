package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// referenceDecode is decodeJSON without the fast path: encoding/json
// checks the text, and its tokens build objects in document order. A
// repeated key keeps its first position and its last value.
func referenceDecode(text []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var checked json.RawMessage
	if err := dec.Decode(&checked); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	tokens := json.NewDecoder(bytes.NewReader(checked))
	tokens.UseNumber()
	return referenceValue(tokens)
}

func referenceValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		var keys []string
		values := map[string]any{}
		for dec.More() {
			key, _ := dec.Token()
			v, err := referenceValue(dec)
			if err != nil {
				return nil, err
			}
			if _, seen := values[key.(string)]; !seen {
				keys = append(keys, key.(string))
			}
			values[key.(string)] = v
		}
		_, err := dec.Token()
		obj := newObject(len(keys))
		for _, k := range keys {
			obj.Set(k, values[k])
		}
		return obj, err
	case json.Delim('['):
		list := []any{}
		for dec.More() {
			v, err := referenceValue(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token()
		return list, err
	}
	return tok, nil
}

// referenceEncode is encodeJSON without the fast path: encoding/json
// writes every value except an object, whose members it writes in order.
func referenceEncode(v any) ([]byte, error) {
	switch x := v.(type) {
	case *jsonObject:
		if x == nil {
			return []byte("null"), nil
		}
		out := []byte{'{'}
		for i, m := range x.Members() {
			if i > 0 {
				out = append(out, ',')
			}
			key, err := referenceEncode(m.key)
			if err != nil {
				return nil, err
			}
			value, err := referenceEncode(m.value)
			if err != nil {
				return nil, err
			}
			out = append(append(append(out, key...), ':'), value...)
		}
		return append(out, '}'), nil
	case []any:
		if x == nil {
			return []byte("null"), nil
		}
		out := []byte{'['}
		for i, item := range x {
			if i > 0 {
				out = append(out, ',')
			}
			value, err := referenceEncode(item)
			if err != nil {
				return nil, err
			}
			out = append(out, value...)
		}
		return append(out, ']'), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// objectComparer compares objects member by member, in order.
var objectComparer = cmp.Comparer(func(a, b *jsonObject) bool {
	if a == nil || b == nil {
		return a == b
	}
	return cmp.Equal(a.Members(), b.Members(), cmp.AllowUnexported(objectMember{}), objectComparerRef)
})

// objectComparerRef lets objectComparer recurse into nested objects.
var objectComparerRef cmp.Option

func init() { objectComparerRef = objectComparer }

var jsonSamples = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `12`, `-3.25e+10`, `1E5`, `0.5`,
	`123456789012345678901234567890`, `""`, `"plain"`, ` {"a" : [1, 2.5, {"b": null}] } `,
	`{"a":1,"a":2}`, `{"n":1,"p01":{"step":"P01"},"t01":{"ok":true}}`, `"é ü 漢字 😀"`,
	`"<tag> & more"`, "\"\u2028 and \u2029\"", `"\u00e9"`, `"tab\tescaped"`, `"\ud83d\ude00"`,
	`"\ud83d"`, `"a\/b"`, `[1,]`, `{"a":1,}`, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `tru`, `nul`,
	`{"a" 1}`, `{a:1}`, `[1 2]`, `{} {}`, `"unterminated`, "\"ctl\x01\"", "\"bad \xff utf8\"",
	"\"\xed\xa0\x80\"", `[[[[[[[[[[[[]]]]]]]]]]]]`, `{"k":"v"}x`, "\t\n\r 7 \t",
	`{"a":{"x":1,"x":2},"b":[{"c":{}},{"d":{"e":1}}],"a":{"y":3}}`,
	`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":{"n":[1,{"m":2}]},"k10":10}`,
	`{"a":{"b":1},"c":{"d":2,"e":}}`,
}

func TestParseFastMatchesEncodingJSON(t *testing.T) {
	for _, text := range jsonSamples {
		checkDecodeSame(t, []byte(text))
	}
}

func TestParseFastTakesCommonInput(t *testing.T) {
	for _, text := range []string{
		`{"n":1,"p01":{"step":"P01"},"t01":{"ok":true},"list":[1,-2.5e3,null,false,"é"]}`,
		` [ {} , [ ] ] `,
	} {
		if _, ok := parseFast([]byte(text)); !ok {
			t.Errorf("parseFast(%s) left the input to encoding/json", text)
		}
	}
}

func TestEncodeFastMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", "<tag> & more", "quote \" backslash \\ slash /",
		"\b\f\n\r\t\x00\x1f\x7f", "\u2028\u2029", "bad \xff utf8 \xed\xa0\x80", "é 漢字 😀",
		json.Number("12.5e3"), json.Number(""), json.Number("01"), json.Number("x"),
		json.RawMessage(`{ "a" : [ 1 , 2 ] }`), json.RawMessage(nil), json.RawMessage(`{bad`),
		json.RawMessage(`{"a":[1,2],"s":"x\"y\u00e9\n","e":{},"l":[]}`), json.RawMessage(`"\x"`),
		json.RawMessage(`"\u12"`), json.RawMessage("\"raw \xff bytes \u2028\""), json.RawMessage(`[1,]`),
		json.RawMessage{}, 0, -7, int64(math.MaxInt64), 1.5, float64(3), math.Inf(1),
		map[string]any(nil), []any(nil), map[string]any{}, []any{},
		map[string]any{"b": 1, "a": []any{"x", nil, map[string]any{"z": true, "\u00e9": "y", "A": 2}}},
		map[string]any{"output": json.RawMessage(`{"n":1}`), "name": "P01"},
		map[string]any{"f": 1.5, "s": []string{"typed"}},
		(*jsonObject)(nil), newObject(0),
		objectOf("b", 1, "a", []any{"x", nil, objectOf("z", true, "\u00e9", "y", "A", 2)}),
		objectOf("z", 1.5, "s", []string{"typed"}, "a", objectOf("y", "<b>", "b", nil)),
		objectOf("output", json.RawMessage(`{"z":1, "a":2}`), "bad", json.Number("x")),
		struct{ A int }{1},
	}
	for _, v := range values {
		checkEncodeSame(t, v)
	}
}

func TestIsCompactJSON(t *testing.T) {
	cases := []struct {
		text string
		want bool
	}{
		{`{"input":{"n":1,"p01":{"step":"P01"}},"name":"P01"}`, true},
		{`[1,-2.5e+3,true,false,null,"a\"b\\c\/\u00E9"]`, true},
		{`{}`, true},
		{`""`, true},
		{`{"a": 1}`, false},
		{` 1`, false},
		{"[1,\n2]", false},
		{`{"a":1,}`, false},
		{`{"a"}`, false},
		{`"\q"`, false},
		{`"\u00g0"`, false},
		{"\"tab\tinside\"", false},
		{`01`, false},
		{`1 `, false},
		{``, false},
	}
	for _, tc := range cases {
		if got := isCompactJSON([]byte(tc.text)); got != tc.want {
			t.Errorf("isCompactJSON(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func FuzzJSONFastPaths(f *testing.F) {
	for _, text := range jsonSamples {
		f.Add([]byte(text))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		checkDecodeSame(t, text)
		checkEncodeSame(t, string(text))
		checkEncodeSame(t, map[string]any{string(text): json.RawMessage(text)})
	})
}

func checkDecodeSame(t *testing.T, text []byte) {
	t.Helper()
	if len(bytes.TrimSpace(text)) == 0 {
		return
	}
	want, wantErr := referenceDecode(text)
	got, err := decodeJSON(text)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeJSON(%q) error = %v, encoding/json error = %v", text, err, wantErr)
	}
	if diff := cmp.Diff(want, got, objectComparer); diff != "" {
		t.Fatalf("decodeJSON(%q) differs from encoding/json (-want +got):\n%s", text, diff)
	}
	if err != nil {
		return
	}
	checkEncodeSame(t, got)
}

func checkEncodeSame(t *testing.T, v any) {
	t.Helper()
	want, wantErr := referenceEncode(v)
	got, err := encodeJSON(v)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("encodeJSON(%#v) error = %v, encoding/json error = %v", v, err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encodeJSON(%#v) = %s, encoding/json writes %s", v, got, want)
	}
}

// BenchmarkDecodeStateInput decodes a state input like the one that the
// last states of tools/bench/machine.asl.json receive.
func BenchmarkDecodeStateInput(b *testing.B) {
	text := []byte(`{"n":1`)
	for i := 1; i <= 8; i++ {
		text = fmt.Appendf(text, `,"p%02d":{"step":"P%02d"},"t%02d":{"ok":true}`, i, i, i)
	}
	text = append(text, '}')
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeJSON(text); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseFastSizesObjects checks that an object's map is made at its
// final size. A map that grows member by member allocates its table again
// at every doubling.
func TestParseFastSizesObjects(t *testing.T) {
	const members = 200
	text := []byte(`{`)
	for i := range members {
		if i > 0 {
			text = append(text, ',')
		}
		text = fmt.Appendf(text, `"k%03d":true`, i)
	}
	text = append(text, '}')
	if _, ok := parseFast(text); !ok {
		t.Fatalf("parseFast left the %d-member object to encoding/json", members)
	}
	// One string per key, the map, and a few for the parser itself.
	const maxAllocs = members + 8
	allocs := testing.AllocsPerRun(100, func() { parseFast(text) })
	if allocs > maxAllocs {
		t.Errorf("parseFast of a %d-member object made %.0f allocations, want at most %d", members, allocs, maxAllocs)
	}
}

// Skipping over numbers, which setMember and isCompactJSON do for every
// state output, must not copy their text.
func TestIsCompactJSONAllocations(t *testing.T) {
	text := []byte(`{"n":1,"list":[-0.5,2e10,3E-2],"nested":{"m":12345678901234567890}}`)
	if !isCompactJSON(text) {
		t.Fatalf("isCompactJSON(%s) = false, want true", text)
	}
	if n := testing.AllocsPerRun(100, func() { isCompactJSON(text) }); n != 0 {
		t.Errorf("isCompactJSON allocates %v times per call, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { isJSONNumber("-12.5e3") }); n != 0 {
		t.Errorf("isJSONNumber allocates %v times per call, want 0", n)
	}
}

// Event details are maps of a few keys, whose sorted key list must not
// allocate.
func TestAppendFastMapAllocations(t *testing.T) {
	details := map[string]any{"resource": "r", "input": json.RawMessage(`{"n":1}`), "timeoutInSeconds": 3}
	buf := make([]byte, 0, 256)
	out, ok := appendFast(buf, details, 0)
	if want := `{"input":{"n":1},"resource":"r","timeoutInSeconds":3}`; !ok || string(out) != want {
		t.Fatalf("appendFast = %s, %v, want %s, true", out, ok, want)
	}
	if n := testing.AllocsPerRun(100, func() { appendFast(buf, details, 0) }); n != 0 {
		t.Errorf("appendFast of a map allocates %v times per call, want 0", n)
	}
}
