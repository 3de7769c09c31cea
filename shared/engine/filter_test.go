package engine

import "testing"

// filterItems is an array in which the items differ in whether the field x
// is present, null or a value.
const filterItems = `{"items": [
	{"id": "one", "x": 1},
	{"id": "two", "x": 2},
	{"id": "null", "x": null},
	{"id": "missing"},
	{"id": "text", "x": "b"}
]}`

func TestFilterMissingAndNullField(t *testing.T) {
	doc, err := decodeJSON([]byte(filterItems))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter string
		want   string
	}{
		{"@.x != 1", `["two","null","missing","text"]`},
		{"@.x == 1", `["one"]`},
		{"@.x < 2", `["one"]`},
		{"@.x <= 2", `["one","two"]`},
		{"@.x > 1", `["two"]`},
		{"@.x >= 1", `["one","two"]`},
		{"@.x == null", `["null"]`},
		{"@.x != null", `["one","two","missing","text"]`},
		{"@.x != 'b'", `["one","two","null","missing"]`},
		{"@.x != $.absent", `["one","two","null","missing","text"]`},
		{"@.x == $.absent", `[]`},
		{"@.x", `["one","two","null","text"]`},
		{"!@.x", `["missing"]`},
		{"!(@.x == 1)", `["two","null","missing","text"]`},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			if g := getJSON(t, doc, "$.items[?("+tt.filter+")].id"); g != tt.want {
				t.Errorf("filter %s selected %s, want %s", tt.filter, g, tt.want)
			}
		})
	}
}

func TestFilterStringOrderIsUTF16(t *testing.T) {
	// U+1F600 is a surrogate pair in UTF-16 (0xD83D 0xDE00), which sorts
	// before U+FF21 (0xFF21) even though its code point is larger.
	doc, err := decodeJSON([]byte(`{"items": [{"s": "😀"}, {"s": "Ａ"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if g := getJSON(t, doc, "$.items[?(@.s < 'Ａ')].s"); g != `["😀"]` {
		t.Errorf("filter @.s < 'Ａ' selected %s, want [\"😀\"]", g)
	}
}
