package engine

import (
	"regexp"
	"strings"
	"testing"
)

// unsortedDoc has keys whose document order differs from sorted order.
const unsortedDoc = `{"z":{"price":3,"b":{"price":1}},"a":{"price":2},"m":[{"price":4}]}`

func TestPathWildcardsKeepDocumentOrder(t *testing.T) {
	doc, err := decodeJSON([]byte(unsortedDoc))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"$.*", `[{"price":3,"b":{"price":1}},{"price":2},[{"price":4}]]`},
		{"$[*].price", `[3,2]`},
		{"$..price", `[3,1,2,4]`},
		{"$.z.*", `[3,{"price":1}]`},
		{"$[?(@.price)].price", `[3,2]`},
	} {
		if g := getJSON(t, doc, tc.path); g != tc.want {
			t.Errorf("Get(%s) = %s, want %s", tc.path, g, tc.want)
		}
	}
}

func TestIntrinsicsKeepObjectOrder(t *testing.T) {
	input, err := decodeJSON([]byte(`{"o":{"z":1,"a":{"y":2,"b":3}},"p":{"a":9,"c":8,"z":7}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ expr, want string }{
		{`States.Format('{}', $.o)`, `"{z=1, a={y=2, b=3}}"`},
		{`States.JsonMerge($.o, $.p, false)`, `{"z":7,"a":9,"c":8}`},
		{`States.JsonMerge($.p, $.o, false)`, `{"a":{"y":2,"b":3},"c":8,"z":1}`},
		{`States.JsonToString($.o)`, `"{\"z\":1,\"a\":{\"y\":2,\"b\":3}}"`},
		{`States.StringToJson('{"z":1,"a":2}')`, `{"z":1,"a":2}`},
		{`States.ArrayContains(States.Array($.p), States.JsonMerge($.p, $.p, false))`, `true`},
	} {
		call, err := parseIntrinsic(tc.expr)
		if err != nil {
			t.Fatalf("parse %s: %v", tc.expr, err)
		}
		got, err := call.eval(input, nil)
		if err != nil {
			t.Fatalf("eval %s: %v", tc.expr, err)
		}
		if g := string(mustEncode(got)); g != tc.want {
			t.Errorf("%s = %s, want %s", tc.expr, g, tc.want)
		}
	}
}

func TestStatesKeepKeyOrder(t *testing.T) {
	tests := []struct {
		name       string
		definition string
		input      string
		want       string
	}{
		{
			name:       "pass output keeps input order",
			definition: `{"Type":"Pass","End":true}`,
			input:      `{"z":1,"a":{"y":2,"b":3},"m":[{"d":1,"c":2}]}`,
			want:       `{"z":1,"a":{"y":2,"b":3},"m":[{"d":1,"c":2}]}`,
		},
		{
			name:       "result path appends a new field",
			definition: `{"Type":"Pass","Result":{"y":1,"b":2},"ResultPath":"$.c","End":true}`,
			input:      `{"z":1,"a":2}`,
			want:       `{"z":1,"a":2,"c":{"y":1,"b":2}}`,
		},
		{
			name:       "result path replaces a field in place",
			definition: `{"Type":"Pass","Result":0,"ResultPath":"$.z","End":true}`,
			input:      `{"z":1,"a":2}`,
			want:       `{"z":0,"a":2}`,
		},
		{
			name:       "result path creates nested objects last",
			definition: `{"Type":"Pass","Result":0,"ResultPath":"$.a.new.deep","End":true}`,
			input:      `{"z":1,"a":{"y":2}}`,
			want:       `{"z":1,"a":{"y":2,"new":{"deep":0}}}`,
		},
		{
			name:       "parameters keep written order",
			definition: `{"Type":"Pass","Parameters":{"z.$":"$.a","m":{"y":1,"b":2},"a":"x","k.$":"$$.State.Name"},"End":true}`,
			input:      `{"a":5}`,
			want:       `{"z":5,"m":{"y":1,"b":2},"a":"x","k":"S"}`,
		},
		{
			name:       "input path keeps order",
			definition: `{"Type":"Pass","InputPath":"$.in","End":true}`,
			input:      `{"in":{"z":1,"a":2}}`,
			want:       `{"z":1,"a":2}`,
		},
		{
			name:       "context object in documented order",
			definition: `{"Type":"Pass","Parameters":{"s.$":"$$.State","m.$":"$$.StateMachine.Name"},"End":true}`,
			input:      `{}`,
			want:       `{"s":{"EnteredTime":"*","Name":"S","RetryCount":0},"m":"m"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			definition := `{"StartAt":"S","States":{"S":` + tc.definition + `}}`
			e := testEngine(t, definition, nil)
			runEngine(t, e)
			x := execute(t, e, "run", tc.input)
			if x.Status != StatusSucceeded {
				t.Fatalf("status = %s (%s: %s), want SUCCEEDED", x.Status, x.Error, x.Cause)
			}
			got := string(x.Output)
			if strings.Contains(tc.want, `"*"`) {
				got = enteredTimePattern.ReplaceAllString(got, `"EnteredTime":"*"`)
			}
			if got != tc.want {
				t.Errorf("output = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMapAndParallelKeepKeyOrder(t *testing.T) {
	definition := `{"StartAt":"P","States":{
		"P":{"Type":"Parallel","ResultPath":"$.parallel","Next":"M","Branches":[
			{"StartAt":"B","States":{"B":{"Type":"Pass","Parameters":{"z":1,"a":2},"End":true}}}]},
		"M":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.map","End":true,
			"ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
			"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}}}}`
	e := testEngine(t, definition, nil)
	runEngine(t, e)
	x := execute(t, e, "run", `{"items":[{"y":1,"b":2}],"first":true}`)
	want := `{"items":[{"y":1,"b":2}],"first":true,"parallel":[{"z":1,"a":2}],"map":[{"v":{"y":1,"b":2},"i":0}]}`
	if x.Status != StatusSucceeded || string(x.Output) != want {
		t.Errorf("got %s %s, want SUCCEEDED %s", x.Status, x.Output, want)
	}
}

var enteredTimePattern = regexp.MustCompile(`"EnteredTime":"[^"]*"`)
