package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeEncodeKeepsKeyOrder(t *testing.T) {
	many := []string{}
	for i := 40; i > 0; i-- {
		many = append(many, fmt.Sprintf(`"k%02d":%d`, i, i))
	}
	deep := strings.Repeat(`{"z":{"a":`, 300) + `1` + strings.Repeat(`}}`, 300)
	for _, text := range []string{
		`{"z":1,"a":2,"m":{"y":[{"b":1,"a":2}],"x":null}}`,
		`{"2":"two","10":"ten","1":"one","b":"","a":"é\n\"quoted\""}`,
		`{` + strings.Join(many, ",") + `}`,
		deep,
	} {
		v, err := decodeJSON([]byte(text))
		if err != nil {
			t.Fatalf("decode %.40s: %v", text, err)
		}
		got, err := encodeJSON(v)
		if err != nil {
			t.Fatalf("encode %.40s: %v", text, err)
		}
		if string(got) != text {
			t.Errorf("round trip of %.60s gave %.60s", text, got)
		}
	}
}

func TestDecodeRepeatedKeyKeepsFirstPosition(t *testing.T) {
	for _, text := range []string{`{"a":1,"b":2,"a":3}`, `{"a":1,"b":2,"a":3,"s":"\t"}`} {
		v, err := decodeJSON([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		obj := v.(*jsonObject)
		if got := fmt.Sprint(obj.Keys()); !strings.HasPrefix(got, "[a b") {
			t.Errorf("keys of %s = %s, want a before b", text, got)
		}
		if got := obj.Value("a"); got != json.Number("3") {
			t.Errorf("a of %s = %v, want the last value 3", text, got)
		}
	}
}

func TestObjectSetKeepsPositionAtScale(t *testing.T) {
	o := newObject(0)
	for i := range 40 {
		o.Set(fmt.Sprintf("k%d", 39-i), i)
	}
	o.Set("k39", "first")
	o.Set("k0", "last")
	if o.Len() != 40 {
		t.Fatalf("Len = %d, want 40", o.Len())
	}
	if m := o.Members()[0]; m.key != "k39" || m.value != "first" {
		t.Errorf("first member = %v, want k39 replaced in place", m)
	}
	if m := o.Members()[39]; m.key != "k0" || m.value != "last" {
		t.Errorf("last member = %v, want k0 replaced in place", m)
	}
	if v, ok := o.Get("k20"); !ok || v != 19 {
		t.Errorf("Get(k20) = %v, %t, want 19", v, ok)
	}
}

func TestEqualValuesIgnoresKeyOrder(t *testing.T) {
	a, _ := decodeJSON([]byte(`{"x":[{"b":1,"a":2}],"y":null}`))
	b, _ := decodeJSON([]byte(`{"y":null,"x":[{"a":2,"b":1}]}`))
	c, _ := decodeJSON([]byte(`{"y":null,"x":[{"a":2,"b":"1"}]}`))
	if !equalValues(a, b) {
		t.Error("objects with the same members in another order are not equal")
	}
	if equalValues(a, c) {
		t.Error("objects with different values are equal")
	}
}
