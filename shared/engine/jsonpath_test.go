package engine

import (
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
)

const storeDoc = `{
	"store": {
		"book": [
			{"category": "reference", "author": "Rees", "title": "Sayings", "price": 8.95},
			{"category": "fiction", "author": "Waugh", "title": "Sword", "price": 12.99},
			{"category": "fiction", "author": "Melville", "title": "Moby", "isbn": "0-553", "price": 8.99}
		],
		"bicycle": {"color": "red", "price": 19.95}
	},
	"a.b": {"c d": 1},
	"n": 12345678901234567890
}`

// getJSON returns the JSON text of the value that path selects in doc. It
// ends the test when path is invalid or selects nothing.
func getJSON(t *testing.T, doc any, path string) string {
	t.Helper()
	p, err := ParsePath(path)
	if err != nil {
		t.Fatalf("ParsePath(%s): %v", path, err)
	}
	got, err := p.Get(doc)
	if err != nil {
		t.Fatalf("Get(%s): %v", path, err)
	}
	return string(mustEncode(got))
}

func TestPathGet(t *testing.T) {
	doc, err := decodeJSON([]byte(storeDoc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string
	}{
		{"$", ""},
		{"$.store.bicycle.color", `"red"`},
		{"$['store']['bicycle']['color']", `"red"`},
		{`$["store"].bicycle["price"]`, `19.95`},
		{"$.store.book[0].author", `"Rees"`},
		{"$.store.book[-1].author", `"Melville"`},
		{"$.store.book[*].author", `["Rees","Waugh","Melville"]`},
		{"$.store.book[0,2].title", `["Sayings","Moby"]`},
		{"$.store.book[:2].title", `["Sayings","Sword"]`},
		{"$.store.book[1:].title", `["Sword","Moby"]`},
		{"$.store.book[::2].title", `["Sayings","Moby"]`},
		{"$..author", `["Rees","Waugh","Melville"]`},
		{"$.store..price", `[8.95,12.99,8.99,19.95]`},
		{"$.store.*.color", `["red"]`},
		{"$.store.book[?(@.isbn)].title", `["Moby"]`},
		{"$.store.book[?(@.price < 10)].title", `["Sayings","Moby"]`},
		{"$.store.book[?(@.category == 'fiction' && @.price > 10)].title", `["Sword"]`},
		{"$.store.book[?(@.category != 'fiction' || @.price >= 12.99)].title", `["Sayings","Sword"]`},
		{"$.store.book[?(!(@.price < 10))].title", `["Sword"]`},
		{"$.store.book[?(@.price > $.store.bicycle.price)].title", `[]`},
		{"$['a.b']['c d']", `1`},
		{"$.n", `12345678901234567890`},
		{"$.missing[*]", `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			g := getJSON(t, doc, tt.path)
			if tt.want == "" {
				return
			}
			if g != tt.want {
				t.Errorf("Get(%s) = %s, want %s", tt.path, g, tt.want)
			}
		})
	}
}

// TestPathGetMapDocument checks paths on a document that encoding/json
// decoded, as callers outside the engine pass to Get.
func TestPathGetMapDocument(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(storeDoc))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string
	}{
		{"$.store.bicycle.color", `"red"`},
		{"$['store']['bicycle']['color']", `"red"`},
		{"$.store.book[-1].author", `"Melville"`},
		{"$.store.book[*].author", `["Rees","Waugh","Melville"]`},
		{"$.store.book[0]['title','price']", `["Sayings",8.95]`},
		{"$..author", `["Rees","Waugh","Melville"]`},
		{"$.store.book[?(@.isbn)].title", `["Moby"]`},
		{"$.store.book[?(@.price < $.store.bicycle.price)].title", `["Sayings","Sword","Moby"]`},
		{"$.store.bicycle.*", `["red",19.95]`},
		{"$.n", `12345678901234567890`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if g := getJSON(t, doc, tt.path); g != tt.want {
				t.Errorf("Get(%s) = %s, want %s", tt.path, g, tt.want)
			}
		})
	}
}

// TestPathRecursiveDescentDeep checks that .. on a value nested 9,999
// levels deep, about as deep as the decoder allows, allocates in
// proportion to the value and not to its depth times its size.
func TestPathRecursiveDescentDeep(t *testing.T) {
	const levels = 9999
	text := strings.Repeat(`{"a":`, levels) + "1" + strings.Repeat("}", levels)
	doc, err := decodeJSON([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePath("$..a")
	if err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := p.Get(doc)
	runtime.ReadMemStats(&after)

	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.([]any)); n != levels {
		t.Errorf("$..a matched %d values, want %d", n, levels)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	if limit := uint64(64 * len(text)); allocated > limit {
		t.Errorf("$..a on %d bytes allocated %d bytes, want at most %d", len(text), allocated, limit)
	}
}

func TestPathGetMissing(t *testing.T) {
	doc, _ := decodeJSON([]byte(`{"a":{"b":[1]}}`))
	for _, path := range []string{"$.x", "$.a.c", "$.a.b[3]", "$.a.b.c", "$.a[0]"} {
		p, err := ParsePath(path)
		if err != nil {
			t.Fatalf("ParsePath(%s): %v", path, err)
		}
		if _, err := p.Get(doc); !errors.Is(err, errNoResults) {
			t.Errorf("Get(%s) error = %v, want errNoResults", path, err)
		}
	}
}

func TestParsePathInvalid(t *testing.T) {
	for _, path := range []string{"", "a.b", "$.", "$.a[", "$.a[x]", "$.a[?(@.b]", "$.a[1:2:0]", "$.a[?@.b]", "$a"} {
		if _, err := ParsePath(path); err == nil {
			t.Errorf("ParsePath(%q) succeeded, want an error", path)
		}
	}
}

func TestPathSet(t *testing.T) {
	tests := []struct {
		doc, path, value, want string
		fails                  bool
	}{
		{doc: `{"a":1}`, path: "$", value: `{"z":0}`, want: `{"z":0}`},
		{doc: `{"a":1}`, path: "$.b", value: `2`, want: `{"a":1,"b":2}`},
		{doc: `{"a":1}`, path: "$.b.c.d", value: `true`, want: `{"a":1,"b":{"c":{"d":true}}}`},
		{doc: `{"a":{"x":1}}`, path: "$.a.y", value: `2`, want: `{"a":{"x":1,"y":2}}`},
		{doc: `{"a":[1,2]}`, path: "$.a[1]", value: `"z"`, want: `{"a":[1,"z"]}`},
		{doc: `{"a":"s"}`, path: "$.a.b", value: `1`, fails: true},
		{doc: `"text"`, path: "$.a", value: `1`, fails: true},
		{doc: `{"a":[1]}`, path: "$.a[4]", value: `1`, fails: true},
	}
	for _, tt := range tests {
		t.Run(tt.path+" on "+tt.doc, func(t *testing.T) {
			doc, _ := decodeJSON([]byte(tt.doc))
			value, _ := decodeJSON([]byte(tt.value))
			p, err := ParsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Set(doc, value)
			if tt.fails {
				if err == nil {
					t.Fatalf("Set succeeded with %s, want an error", mustEncode(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if g := string(mustEncode(got)); g != tt.want {
				t.Errorf("Set = %s, want %s", g, tt.want)
			}
		})
	}
}

func TestPathReference(t *testing.T) {
	tests := map[string]bool{
		"$":          true,
		"$.a.b":      true,
		"$['a'][0]":  true,
		"$.a[*]":     false,
		"$..a":       false,
		"$.a[-1]":    false,
		"$$.State":   false,
		"$.a[0,1]":   false,
		"$.a[?(@)]":  false,
		"$.a[1:2]":   false,
		"$.a.b['c']": true,
	}
	for path, want := range tests {
		p, err := ParsePath(path)
		if err != nil {
			t.Fatalf("ParsePath(%s): %v", path, err)
		}
		if got := p.isReference(); got != want {
			t.Errorf("isReference(%s) = %v, want %v", path, got, want)
		}
	}
}
