package engine

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestIntrinsics(t *testing.T) {
	input, _ := decodeJSON([]byte(`{"name":"Ada","n":3,"list":[1,2,2,"x"],"obj":{"a":1},"text":"a,b;;c","json":"{\"k\":[1,2]}"}`))
	context, _ := decodeJSON([]byte(`{"Execution":{"Name":"run-1"}}`))
	tests := []struct {
		expr string
		want string
	}{
		{`States.Format('Hello, {}!', $.name)`, `"Hello, Ada!"`},
		{`States.Format('{} has {} items: {}', $.name, $.n, true)`, `"Ada has 3 items: true"`},
		{`States.Format('escaped \{\} and \'quotes\' {}', $$.Execution.Name)`, `"escaped {} and 'quotes' run-1"`},
		{`States.Format('{}', null)`, `"null"`},
		{`States.Format('back\\{} and \\\{', $.name)`, `"back\\Ada and \\{"`},
		{`States.Format('{}', 'x\{y\}')`, `"x{y}"`},
		{`States.Format('{}', $.obj)`, `"{a=1}"`},
		{`States.Format('{}', $.list)`, `"[1, 2, 2, x]"`},
		{`States.Format('{}', States.StringToJson('{"a":{"c":null,"d":[true,1.5]},"b":[]}'))`,
			`"{a={c=null, d=[true, 1.5]}, b=[]}"`},
		{`States.Array('a\\b', 'it\'s')`, `["a\\b","it's"]`},
		{`States.StringToJson($.json)`, `{"k":[1,2]}`},
		{`States.JsonToString($.obj)`, `"{\"a\":1}"`},
		{`States.Array(1, 'two', $.n, States.Array())`, `[1,"two",3,[]]`},
		{`States.ArrayPartition($.list, 3)`, `[[1,2,2],["x"]]`},
		{`States.ArrayContains($.list, 'x')`, `true`},
		{`States.ArrayContains($.list, 9)`, `false`},
		{`States.ArrayRange(1, 9, 3)`, `[1,4,7]`},
		{`States.ArrayRange(5, 1, -2)`, `[5,3,1]`},
		{`States.ArrayGetItem($.list, 3)`, `"x"`},
		{`States.ArrayLength($.list)`, `4`},
		{`States.ArrayUnique($.list)`, `[1,2,"x"]`},
		{`States.Base64Encode('hello world')`, `"aGVsbG8gd29ybGQ="`},
		{`States.Base64Decode('aGVsbG8gd29ybGQ=')`, `"hello world"`},
		{`States.Hash('abc', 'SHA-256')`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{`States.Hash('abc', 'MD5')`, `"900150983cd24fb0d6963f7d28e17f72"`},
		{`States.Hash('abc', 'SHA-1')`, `"a9993e364706816aba3e25717850c26c9cd0d89d"`},
		{`States.JsonMerge($.obj, States.StringToJson('{"b":2,"a":3}'), false)`, `{"a":3,"b":2}`},
		{`States.MathAdd($.n, -5)`, `-2`},
		{`States.MathAdd(1.7, 2.2)`, `4`},
		{`States.MathAdd(-1.7, 0)`, `-2`},
		{`States.StringSplit($.text, ',;')`, `["a","b","c"]`},
		{`States.ArrayLength(States.StringSplit('a b c', ' '))`, `3`},
		{`States.ArrayLength(` + nestedArrays(9) + `)`, `1`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			call, err := parseIntrinsic(tt.expr)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := call.eval(input, context)
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			if g := string(mustEncode(got)); g != tt.want {
				t.Errorf("got %s, want %s", g, tt.want)
			}
		})
	}
}

func TestIntrinsicsRandom(t *testing.T) {
	uuid, err := mustIntrinsic(t, `States.UUID()`).eval(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(uuid.(string)) {
		t.Errorf("States.UUID() = %v, want a version 4 UUID", uuid)
	}
	for range 20 {
		v, err := mustIntrinsic(t, `States.MathRandom(10, 13)`).eval(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := integerArg(v)
		if n < 10 || n >= 13 {
			t.Fatalf("States.MathRandom(10, 13) = %v, want 10 to 12", v)
		}
	}
}

// nestedArrays returns n nested States.Array calls around the number 1.
func nestedArrays(n int) string {
	return strings.Repeat("States.Array(", n) + "1" + strings.Repeat(")", n)
}

func mustIntrinsic(t *testing.T, expr string) *intrinsic {
	t.Helper()
	call, err := parseIntrinsic(expr)
	if err != nil {
		t.Fatalf("parse %s: %v", expr, err)
	}
	return call
}

func TestIntrinsicsParseErrors(t *testing.T) {
	for _, expr := range []string{
		`States.Nope(1)`,
		`States.Format('x'`,
		`States.ArrayLength()`,
		`States.UUID(1)`,
		`States.Format('a', )`,
		`States.Format('unterminated)`,
		`States.Array(1) extra`,
		`States.MathAdd(1, two)`,
		`States.Format('a\nb')`,
		`States.ArrayLength(` + nestedArrays(10) + `)`,
		`States.Array('\d')`,
	} {
		if _, err := parseIntrinsic(expr); err == nil {
			t.Errorf("parse %s succeeded, want an error", expr)
		}
	}
}

func TestIntrinsicsEvalErrors(t *testing.T) {
	input, _ := decodeJSON([]byte(`{"s":"x","list":[1]}`))
	tests := []struct {
		expr, name string
	}{
		{`States.Format('{} {}', 1)`, ErrorIntrinsicFailure},
		{`States.StringToJson('{bad')`, ErrorIntrinsicFailure},
		{`States.ArrayGetItem($.list, 5)`, ErrorIntrinsicFailure},
		{`States.ArrayLength($.s)`, ErrorIntrinsicFailure},
		{`States.Base64Decode('***')`, ErrorIntrinsicFailure},
		{`States.Hash('x', 'SHA-3')`, ErrorIntrinsicFailure},
		{`States.JsonMerge($.list, $.list, false)`, ErrorIntrinsicFailure},
		{`States.JsonMerge(States.StringToJson('{}'), States.StringToJson('{}'), true)`, ErrorIntrinsicFailure},
		{`States.MathAdd($.s, 1)`, ErrorIntrinsicFailure},
		{`States.MathRandom(1.2, 0.8)`, ErrorIntrinsicFailure},
		{`States.ArrayRange(1, 5000, 1)`, ErrorIntrinsicFailure},
		{`States.Format('{}', $.missing)`, ErrorRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := mustIntrinsic(t, tt.expr).eval(input, nil)
			var se *stateError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want a state error", err)
			}
			if se.Name != tt.name {
				t.Errorf("error name = %s, want %s", se.Name, tt.name)
			}
		})
	}
}
