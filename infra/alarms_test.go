package main

import (
	"strings"
	"testing"
)

func TestFailedRunAlarmDescriptions(t *testing.T) {
	r := fullStack(t)
	want := map[string]string{}
	for _, mf := range machineFiles {
		want[constructID(mf.Key)+"FailedAlarm"] = "a run of the " + mf.Key + " state machine failed; " +
			"inspect it and redrive it once the cause is fixed"
	}
	found := 0
	for id, props := range resourcesOfType(r.json, "AWS::CloudWatch::Alarm") {
		for prefix, description := range want {
			if !strings.HasPrefix(id, prefix) {
				continue
			}
			found++
			if props["AlarmDescription"] != description {
				t.Errorf("alarm %s has description %q, want %q", id, props["AlarmDescription"], description)
			}
		}
	}
	if found != len(want) {
		t.Errorf("found %d failed-run alarms, want %d", found, len(want))
	}
}
