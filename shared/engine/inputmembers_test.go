package engine

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDecodeMembersMatchesDecode(t *testing.T) {
	objects := []string{
		`{}`,
		`{"n":1}`,
		`{"n":-1.5e3,"s":"tab\tescaped \"quoted\" \u00e9","z":null}`,
		`{"a":{"x":[1,{"y":"z"}]},"n":1,"p01":{"step":"P01"},"t01":{"ok":true}}`,
		`{"é":1,"ü":[true,false],"n":{}}`,
		`{"deep":` + strings.Repeat(`[`, 300) + strings.Repeat(`]`, 300) + `,"n":2}`,
		`{"n":` + strings.Repeat(`[`, 300) + strings.Repeat(`]`, 300) + `}`,
	}
	paths := []string{"$.n", "$.a.x[1].y", "$.s", "$.z", "$.é", "$.missing", "$.deep", "$.t01.ok"}
	for _, text := range objects {
		whole, err := decodeJSON([]byte(text))
		if err != nil {
			t.Fatalf("decode %s: %v", text, err)
		}
		for _, pathText := range paths {
			path, err := ParsePath(pathText)
			if err != nil {
				t.Fatal(err)
			}
			name, _ := path.firstMemberName()
			part, ok := decodeMembers([]byte(text), []string{name, "other"})
			if !ok {
				// Only text that parseFast leaves to encoding/json, such
				// as deep nesting, is left to decodeJSON.
				if _, fast := parseFast([]byte(text)); fast {
					t.Errorf("decodeMembers(%.40s, %q) = false, want true", text, name)
				}
				continue
			}
			want, wantErr := path.Get(whole)
			got, gotErr := path.Get(part)
			if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
				t.Errorf("%s in %.40s: got %v (%v), want %v (%v)", pathText, text, got, gotErr, want, wantErr)
			}
		}
	}
}

func TestDecodeMembersRejectsOtherText(t *testing.T) {
	texts := []string{
		``,
		`[1]`,
		`"n"`,
		`{"n": 1}`,
		`{"n":1,"n":2}`,
		`{"\u006e":1}`,
		`{"n":1,}`,
		`{"n":1`,
		`{"n":[1}`,
		`{"n" :1}`,
	}
	for _, text := range texts {
		if obj, ok := decodeMembers([]byte(text), []string{"n"}); ok {
			t.Errorf("decodeMembers(%s) = %v, true, want false", text, obj)
		}
	}
}

func TestInputMemberNames(t *testing.T) {
	cases := []struct {
		name  string
		state string
		want  []string // nil when the state must decode its whole input
	}{
		{"task paths", `{"Type":"Task","Resource":"r","Next":"S","TimeoutSecondsPath":"$.t",
			"Parameters":{"a.$":"$.a.b[0]","c":{"d.$":"$.d"},"e":[{"f.$":"$.a"}],"id.$":"$$.Execution.Id"}}`,
			[]string{"a", "d", "t"}},
		{"task literal parameters", `{"Type":"Task","Resource":"r","Next":"S","Parameters":{"x":1}}`, []string{}},
		{"task without parameters", `{"Type":"Task","Resource":"r","Next":"S"}`, nil},
		{"task input path", `{"Type":"Task","Resource":"r","Next":"S","InputPath":"$.a","Parameters":{"b.$":"$.b"}}`, nil},
		{"task intrinsic", `{"Type":"Task","Resource":"r","Next":"S","Parameters":{"b.$":"States.Format('{}', $.b)"}}`, nil},
		{"task whole input", `{"Type":"Task","Resource":"r","Next":"S","Parameters":{"b.$":"$"}}`, nil},
		{"task recursive path", `{"Type":"Task","Resource":"r","Next":"S","Parameters":{"b.$":"$..b"}}`, nil},
		{"task filter", `{"Type":"Task","Resource":"r","Next":"S","Parameters":{"b.$":"$.items[?(@.x == $.y)]"}}`, nil},
		{"task heartbeat path", `{"Type":"Task","Resource":"r","Next":"S","HeartbeatSecondsPath":"$[0]","Parameters":{}}`, nil},
		{"choice", `{"Type":"Choice","Default":"S","Choices":[{"And":[{"Variable":"$.n","IsNumeric":true},
			{"Not":{"Variable":"$.m","StringEqualsPath":"$.k"}}],"Next":"S"},{"Variable":"$$.State.Name","IsPresent":true,"Next":"S"}]}`,
			[]string{"n", "m", "k"}},
		{"choice output path", `{"Type":"Choice","Default":"S","OutputPath":"$.n","Choices":[{"Variable":"$.n","IsPresent":true,"Next":"S"}]}`, nil},
		{"pass", `{"Type":"Pass","Next":"S","Parameters":{"a.$":"$.a"}}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			definition := `{"StartAt":"X","States":{"X":` + tc.state + `,"S":{"Type":"Succeed"}}}`
			sm, err := parseDefinition("m", []byte(definition))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			s := sm.States["X"]
			if tc.want == nil {
				if s.inputMembersOK {
					t.Errorf("inputMembers = %q, want the whole input", s.inputMembers)
				}
				return
			}
			if !s.inputMembersOK {
				t.Fatalf("inputMembersOK = false, want %q", tc.want)
			}
			if !slices.Equal(s.inputMembers, tc.want) && len(s.inputMembers)+len(tc.want) > 0 {
				t.Errorf("inputMembers = %q, want %q", s.inputMembers, tc.want)
			}
		})
	}
}

// A Task and a Choice state after a Pass state read members of an input
// that encodeJSON wrote, so their entry decodes only those members.
func TestPartialInputWorkflow(t *testing.T) {
	definition := `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Result":{"deep":{"v":[1,2]}},"ResultPath":"$.p","Next":"T"},
		"T":{"Type":"Task","Resource":"echo","Parameters":{"v.$":"$.p.deep.v[1]","n.$":"$.n","c":"x"},
			"ResultPath":"$.t","Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.t.v","NumericEquals":2,"Next":"M"}],"Default":"F"},
		"M":{"Type":"Choice","Choices":[{"Variable":"$.missing","IsPresent":true,"Next":"F"},
			{"Variable":"$.missing","StringEquals":"x","Next":"F"}],"Default":"F"},
		"F":{"Type":"Fail","Error":"Wrong"}}}`
	e := testEngine(t, definition, map[string]TaskFunc{"echo": echoTask()})
	runEngine(t, e)
	x := execute(t, e, "x1", `{"n":"seven","other":{"big":[1,2,3]}}`)
	if x.Status != StatusFailed {
		t.Fatalf("status = %s, want %s", x.Status, StatusFailed)
	}
	if x.Error != ErrorRuntime {
		t.Errorf("error = %q, want %q", x.Error, ErrorRuntime)
	}
	if !strings.Contains(x.Cause, "$.missing") {
		t.Errorf("cause = %q, want it to name $.missing", x.Cause)
	}
	events, err := e.History(t.Context(), "x1")
	if err != nil {
		t.Fatal(err)
	}
	var scheduled, exited string
	for _, ev := range events {
		switch {
		case ev.Type == "TaskScheduled":
			scheduled = string(ev.Details)
		case ev.Type == "ChoiceStateExited" && ev.State == "C":
			exited = string(ev.Details)
		}
	}
	if !strings.Contains(scheduled, `"parameters":{"v":2,"n":"seven","c":"x"}`) {
		t.Errorf("TaskScheduled details = %s, want the parameters {\"v\":2,\"n\":\"seven\",\"c\":\"x\"}", scheduled)
	}
	wantOutput := `"output":{"n":"seven","other":{"big":[1,2,3]},"p":{"deep":{"v":[1,2]}},"t":{"v":2,"n":"seven","c":"x"}}`
	if !strings.Contains(exited, wantOutput) {
		t.Errorf("ChoiceStateExited details = %s, want %s", exited, wantOutput)
	}
}
