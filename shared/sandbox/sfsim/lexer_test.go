package sfsim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []token
	}{
		{"words and symbols", "select a.b()", []token{
			{tokWord, "select", 0}, {tokWord, "a", 7}, {tokSymbol, ".", 8}, {tokWord, "b", 9},
			{tokSymbol, "(", 10}, {tokSymbol, ")", 11}, {tokEOF, "", 12},
		}},
		{"quoted identifier", `"a""b c"`, []token{{tokQuoted, `a"b c`, 0}, {tokEOF, "", 8}}},
		{"doubled quote literal", `'it''s'`, []token{{tokString, "it's", 0}, {tokEOF, "", 7}}},
		{"backslash escapes", `'a\'b\\c\nd\te\x41\u00e9\q'`, []token{{tokString, "a'b\\c\nd\teAéq", 0}, {tokEOF, "", 27}}},
		{"octal escape", `'\101'`, []token{{tokString, "A", 0}, {tokEOF, "", 6}}},
		{"non-ASCII kept", "'ünï ✓'", []token{{tokString, "ünï ✓", 0}, {tokEOF, "", 11}}},
		{"semicolon in literal", "'a;b'", []token{{tokString, "a;b", 0}, {tokEOF, "", 5}}},
		{"dollar body", "AS $$x = 'y'\n$$", []token{{tokWord, "AS", 0}, {tokDollar, "x = 'y'\n", 3}, {tokEOF, "", 15}}},
		{"comments", "a -- c;\nb /* ; */ c // d", []token{{tokWord, "a", 0}, {tokWord, "b", 8}, {tokWord, "c", 18}, {tokEOF, "", 24}}},
		{"system function word", "SYSTEM$X", []token{{tokWord, "SYSTEM$X", 0}, {tokEOF, "", 8}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tokenize(tt.sql)
			if err != nil {
				t.Fatalf("tokenize: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(token{})); diff != "" {
				t.Errorf("tokens mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenizeErrors(t *testing.T) {
	for _, sql := range []string{"'open", `"open`, "$$ open", "/* open", "a ? b", `'\x4'`} {
		t.Run(sql, func(t *testing.T) {
			if _, err := tokenize(sql); err == nil {
				t.Errorf("tokenize(%q) succeeded, want a syntax error", sql)
			}
		})
	}
}

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		sql  string
		want int
	}{
		{"SELECT 1", 1},
		{"SELECT 1;", 1},
		{"SELECT 1;;", 1},
		{"SELECT ';'", 1},
		{"SELECT 1; SELECT 2", 2},
		{"", 0},
		{";", 0},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			tokens, err := tokenize(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(splitStatements(tokens)); got != tt.want {
				t.Errorf("statements = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLikeRegexp(t *testing.T) {
	tests := []struct {
		pattern string
		name    string
		want    bool
	}{
		{`CORP\_PYPI`, "CORP_PYPI", true},
		{`CORP\_PYPI`, "CORPXPYPI", false},
		{`corp\_pypi`, "CORP_PYPI", true},
		{"CORP%", "CORP_ANYTHING", true},
		{"C_RP", "CORP", true},
		{`a\\b`, `a\b`, true},
		{"a.b", "axb", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.name, func(t *testing.T) {
			if got := likeRegexp(tt.pattern).MatchString(tt.name); got != tt.want {
				t.Errorf("LIKE %q on %q = %v, want %v", tt.pattern, tt.name, got, tt.want)
			}
		})
	}
}

func TestURLAllowed(t *testing.T) {
	tests := []struct {
		url      string
		prefixes []string
		want     bool
	}{
		{"https://pypi.corp.example.com/simple/", []string{"https://pypi.corp.example.com"}, true},
		{"https://pypi.corp.example.com/simple/", []string{"https://pypi.corp.example.com/api/"}, false},
		{"https://pypi.corp.example.com/api/simple/", []string{"https://pypi.corp.example.com/api/"}, true},
		{"https://a.blob.core.windows.net/x", []string{"https://*.blob.core.windows.net"}, true},
		{"https://evil.example.com/", []string{"https://pypi.corp.example.com"}, false},
		{"http://pypi.corp.example.com/", []string{"https://pypi.corp.example.com"}, false},
		{"https://pypi.corp.example.com.evil.com/", []string{"https://pypi.corp.example.com"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			if got := urlAllowed(tt.url, tt.prefixes); got != tt.want {
				t.Errorf("urlAllowed(%q, %v) = %v, want %v", tt.url, tt.prefixes, got, tt.want)
			}
		})
	}
}
