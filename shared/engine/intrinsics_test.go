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
		{`States.ArrayPartition(States.Array(1, 2, 3, 4, 5), 2.6)`, `[[1,2],[3,4],[5]]`},
		{`States.ArrayPartition(States.Array(1, 2, 3, 4, 5), 2.4)`, `[[1,2],[3,4],[5]]`},
		{`States.ArrayRange(1.6, 1.4, 1)`, `[1]`},
		{`States.ArrayRange(5.4, -0.6, -2.4)`, `[5,3,1]`},
		{`States.ArrayRange(1.4, 5.6, 2.2)`, `[1,3,5]`},
		{`States.ArrayGetItem(States.Array(10, 20, 30), 1.2)`, `20`},
		{`States.ArrayGetItem(States.Array(10, 20, 30), 2.9)`, `30`},
		{`States.ArrayGetItem(States.Array(), 999)`, `null`},
		{`States.ArrayGetItem(States.Array(), 0)`, `null`},
		{`States.ArrayLength($.list)`, `4`},
		{`States.ArrayUnique($.list)`, `[1,2,"x"]`},
		{`States.Base64Encode('hello world')`, `"aGVsbG8gd29ybGQ="`},
		{`States.Base64Decode('aGVsbG8gd29ybGQ=')`, `"hello world"`},
		{`States.Base64Decode(' YWJjZA== ')`, `"abcd"`},
		{`States.Base64Decode('YWJjZA')`, `"abcd"`},
		{`States.Base64Decode('YW Jj!ZA')`, `"abcd"`},
		{`States.Base64Decode('YQ==YWJj')`, `"a"`},
		{`States.Base64Decode('YWJjZ')`, `"abc"`},
		{`States.Base64Decode('***')`, `""`},
		{`States.Hash('abc', 'SHA-256')`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{`States.Hash('abc', 'MD5')`, `"900150983cd24fb0d6963f7d28e17f72"`},
		{`States.Hash('abc', 'SHA-1')`, `"a9993e364706816aba3e25717850c26c9cd0d89d"`},
		{`States.JsonMerge($.obj, States.StringToJson('{"b":2,"a":3}'), false)`, `{"a":3,"b":2}`},
		{`States.MathAdd($.n, -5)`, `-2`},
		{`States.MathAdd(1.7, 2.2)`, `4`},
		{`States.MathAdd(-1.7, 0)`, `-2`},
		{`States.MathAdd(1.6, 2.7)`, `5`},
		{`States.MathRandom(1.6, 2.4)`, `1`},
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
	if _, err := mustIntrinsic(t, `States.MathRandom(10, 13, 42)`).eval(nil, nil); err != nil {
		t.Errorf("States.MathRandom with a numeric seed: %v", err)
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

// An intrinsic function that fails at run time is States.Runtime with a
// cause that starts "Invalid arguments in" and the function name.
func TestIntrinsicsEvalErrors(t *testing.T) {
	input, _ := decodeJSON([]byte(`{"s":"x","n":1,"list":[1],"obj":{}}`))
	long := `'` + strings.Repeat("a", maxEncodeChars+1) + `'`
	tests := []string{
		`States.Format('{} {}', 1)`,
		`States.Format('{}', 1, 2)`,
		`States.Format($.n)`,
		`States.StringToJson('{bad')`,
		`States.StringToJson($.n)`,
		`States.ArrayPartition($.s, 1)`,
		`States.ArrayPartition($.list, 0)`,
		`States.ArrayPartition($.list, '2')`,
		`States.ArrayPartition($.list, 0.6)`,
		`States.ArrayPartition($.list, 0.49)`,
		`States.ArrayPartition($.list, -0.4)`,
		`States.ArrayPartition($.list, -0.6)`,
		`States.ArrayContains($.s, 1)`,
		`States.ArrayRange(1, 1001, 1)`,
		`States.ArrayRange(1, 5, 0)`,
		`States.ArrayRange('a', 5, 1)`,
		`States.ArrayRange(1, 10, 0.49)`,
		`States.ArrayGetItem($.list, 5)`,
		`States.ArrayGetItem($.list, -1)`,
		`States.ArrayGetItem(States.Array(), -1)`,
		`States.ArrayGetItem($.s, 0)`,
		`States.ArrayLength($.s)`,
		`States.ArrayUnique($.obj)`,
		`States.Base64Encode($.n)`,
		`States.Base64Encode(` + long + `)`,
		`States.Base64Decode($.n)`,
		`States.Hash('x', 'SHA-3')`,
		`States.Hash('x', 256)`,
		`States.Hash(` + long + `, 'MD5')`,
		`States.JsonMerge($.list, $.obj, false)`,
		`States.JsonMerge($.obj, $.obj, true)`,
		`States.MathAdd($.s, 1)`,
		`States.MathRandom(1.2, 0.8)`,
		`States.MathRandom(1.4, 1.6)`,
		`States.MathRandom(1.49, 1.49)`,
		`States.MathRandom('a', 5)`,
		`States.MathRandom(1, 10, 'seed')`,
		`States.MathRandom(1, 10, null)`,
		`States.StringSplit($.n, ',')`,
	}
	for _, expr := range tests {
		name := expr[:strings.IndexByte(expr, '(')]
		t.Run(name, func(t *testing.T) {
			_, err := mustIntrinsic(t, expr).eval(input, nil)
			var se *stateError
			if !errors.As(err, &se) {
				t.Fatalf("%s: error = %v, want a state error", expr, err)
			}
			if se.Name != ErrorRuntime {
				t.Errorf("%s: error name = %s, want %s", expr, se.Name, ErrorRuntime)
			}
			if want := "Invalid arguments in " + name + ": "; !strings.HasPrefix(se.Cause, want) {
				t.Errorf("%s: cause = %q, want it to start with %q", expr, se.Cause, want)
			}
		})
	}
}

func TestIntrinsicsMissingPathIsRuntime(t *testing.T) {
	_, err := mustIntrinsic(t, `States.Format('{}', $.missing)`).eval(newObject(0), nil)
	var se *stateError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want a state error", err)
	}
	if se.Name != ErrorRuntime {
		t.Errorf("error name = %s, want %s", se.Name, ErrorRuntime)
	}
}
