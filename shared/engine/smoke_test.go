package engine

import (
	"testing"
	"testing/synctest"
)

func TestSmoke(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := testEngine(t, `{"StartAt":"A","States":{
			"A":{"Type":"Task","Resource":"${echo}","ResultPath":"$.r","Next":"W"},
			"W":{"Type":"Wait","Seconds":60,"Next":"B"},
			"B":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.p","End":true}}}`,
			map[string]TaskFunc{"echo": echoTask()})
		runEngine(t, e)
		x := execute(t, e, "one", `{"a":1}`)
		t.Logf("%+v %s", x, x.Output)
		t.Log(eventTypes(t, e, "one"))
	})
}
