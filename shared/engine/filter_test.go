package engine

import "testing"

func TestFilterStringOrderIsUTF16(t *testing.T) {
	// U+1F600 is a surrogate pair in UTF-16 (0xD83D 0xDE00), which sorts
	// before U+FF21 (0xFF21) even though its code point is larger.
	doc, err := decodeJSON([]byte(`{"items": [{"s": "😀"}, {"s": "Ａ"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePath("$.items[?(@.s < 'Ａ')].s")
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Get(doc)
	if err != nil {
		t.Fatal(err)
	}
	if g := string(mustEncode(got)); g != `["😀"]` {
		t.Errorf("filter @.s < 'Ａ' selected %s, want [\"😀\"]", g)
	}
}
