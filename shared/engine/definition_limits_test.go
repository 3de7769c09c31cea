package engine

import "testing"

// The maximums come from the Step Functions Developer Guide: the Wait
// state page for Seconds and "Handling errors in Step Functions workflows"
// for the retrier fields.
func TestDefineRejectsAboveMaximum(t *testing.T) {
	wrap := func(states string) string { return `{"StartAt":"A","States":{` + states + `}}` }
	retry := func(fields string) string {
		return wrap(`"A":{"Type":"Task","Resource":"f","End":true,"Retry":[{"ErrorEquals":["X"],` + fields + `}]}`)
	}
	tests := []struct {
		name string
		def  string
		want []Problem
	}{
		{"wait seconds", wrap(`"A":{"Type":"Wait","Seconds":100000000,"End":true}`),
			[]Problem{{State: "A", Field: "Seconds", Message: "must be an integer from 0 to 99999999"}}},
		{"wait negative seconds", wrap(`"A":{"Type":"Wait","Seconds":-1,"End":true}`),
			[]Problem{{State: "A", Field: "Seconds", Message: "must be an integer from 0 to 99999999"}}},
		{"retry interval", retry(`"IntervalSeconds":100000000`),
			[]Problem{{State: "A", Field: "Retry[0].IntervalSeconds", Message: "must be an integer from 1 to 99999999"}}},
		{"retry attempts", retry(`"MaxAttempts":100000000`),
			[]Problem{{State: "A", Field: "Retry[0].MaxAttempts", Message: "must be an integer from 0 to 99999999"}}},
		{"retry delay", retry(`"MaxDelaySeconds":31622401`),
			[]Problem{{State: "A", Field: "Retry[0].MaxDelaySeconds", Message: "must be an integer from 1 to 31622400"}}},
		{"retry delay zero", retry(`"MaxDelaySeconds":0`),
			[]Problem{{State: "A", Field: "Retry[0].MaxDelaySeconds", Message: "must be an integer from 1 to 31622400"}}},
		{"retry in a branch", wrap(`"A":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{
			"B":{"Type":"Task","Resource":"f","End":true,"Retry":[{"ErrorEquals":["X"],"IntervalSeconds":1e9}]}}}]}`),
			[]Problem{{State: "A.Branches[0].B", Field: "Retry[0].IntervalSeconds", Message: "must be an integer from 1 to 99999999"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, tt.def, tt.want) })
	}
}

func TestDefineAcceptsMaximum(t *testing.T) {
	def := `{"StartAt":"W","States":{
		"W":{"Type":"Wait","Seconds":99999999,"Next":"T"},
		"T":{"Type":"Task","Resource":"f","End":true,"TimeoutSeconds":100000000,"Retry":[{"ErrorEquals":["X"],
			"IntervalSeconds":99999999,"MaxAttempts":99999999,"MaxDelaySeconds":31622400}]}}}`
	sm, err := parseDefinition("m", []byte(def))
	if err != nil {
		t.Fatalf("parseDefinition: %v", err)
	}
	r := sm.States["T"].Retry[0]
	if r.IntervalSeconds != 99999999 || r.MaxAttempts != 99999999 || r.MaxDelaySeconds != 31622400 {
		t.Errorf("retrier = %+v, want the maximums", r)
	}
	if got := *sm.States["W"].Seconds; got != 99999999 {
		t.Errorf("Seconds = %d, want 99999999", got)
	}
}
