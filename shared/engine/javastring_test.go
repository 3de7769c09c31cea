package engine

import "testing"

func TestCompareJavaStrings(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "b", -1},
		{"b", "a", 1},
		{"ab", "a", 1},
		{"a", "ab", -1},
		{"é", "z", 1},
		// U+D7FF is below every surrogate unit, so it stays before U+10000.
		{"\uD7FF", "𐀀", -1},
		// U+E000..U+FFFF sort after a surrogate pair in UTF-16.
		{"\uE000", "𐀀", 1},
		{"\uFFFF", "😀", 1},
		{"😀", "\uFF21", -1},
		{"x😀", "x\uFF21", -1},
		// Two supplementary characters keep their code point order.
		{"😀", "😁", -1},
		{"😀", "😀", 0},
	}
	for _, tt := range tests {
		if got := compareJavaStrings(tt.a, tt.b); got != tt.want {
			t.Errorf("compareJavaStrings(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestChoiceStringOrderIsUTF16(t *testing.T) {
	input := `{"emoji":"😀","fullwidth":"Ａ"}`
	tests := []struct {
		rule  string
		match bool
	}{
		{`{"Variable":"$.emoji","StringLessThan":"Ａ","Next":"Yes"}`, true},
		{`{"Variable":"$.emoji","StringGreaterThan":"Ａ","Next":"Yes"}`, false},
		{`{"Variable":"$.emoji","StringLessThanEquals":"Ａ","Next":"Yes"}`, true},
		{`{"Variable":"$.emoji","StringGreaterThanEquals":"Ａ","Next":"Yes"}`, false},
		{`{"Variable":"$.fullwidth","StringGreaterThanPath":"$.emoji","Next":"Yes"}`, true},
		{`{"Variable":"$.fullwidth","StringLessThanPath":"$.emoji","Next":"Yes"}`, false},
		{`{"Variable":"$.fullwidth","StringGreaterThanEqualsPath":"$.emoji","Next":"Yes"}`, true},
		{`{"Variable":"$.emoji","StringLessThanEqualsPath":"$.fullwidth","Next":"Yes"}`, true},
	}
	for _, tt := range tests {
		next, err := chooseWith(t, tt.rule, input)
		if err != nil {
			t.Fatalf("rule %s: %v", tt.rule, err)
		}
		if got := next == "Yes"; got != tt.match {
			t.Errorf("rule %s matched = %v, want %v", tt.rule, got, tt.match)
		}
	}
}
