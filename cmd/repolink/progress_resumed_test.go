package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

func TestProgressShowsOnlyOwnSteps(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out)
	p.setFlags(true, "state")
	p.begin("YAML-1", "sandbox")

	exited := func(execution, id string) engine.Event {
		details, err := json.Marshal(map[string]any{
			"output": map[string]any{"resources": map[string]any{"repository": map[string]any{"action": "updated", "id": id}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return engine.Event{Execution: execution, Type: "TaskStateExited", State: "Repository", Timestamp: time.Now(), Details: details}
	}
	for _, ev := range []engine.Event{
		{Execution: "DEFAULT-1", Type: "TaskStateEntered", State: "Repository", Timestamp: time.Now()},
		exited("DEFAULT-1", "PLATFORM.PACKAGES.OTHER"),
		exited("DEFAULT-1", "PLATFORM.PACKAGES.OTHER_AGAIN"),
		exited("YAML-1", "PLATFORM.PACKAGES.OWN"),
	} {
		p.event(ev)
	}

	got := out.String()
	if strings.Contains(got, "PLATFORM.PACKAGES.OTHER") {
		t.Errorf("output shows a step of the resumed execution:\n%s", got)
	}
	if n := strings.Count(got, "execution DEFAULT-1, left open by an earlier process, resumed too"); n != 1 {
		t.Errorf("resumed execution named %d times, want once:\n%s", n, got)
	}
	if !strings.Contains(got, "'repolink history --state-dir state DEFAULT-1'") {
		t.Errorf("output does not say how to follow the resumed execution:\n%s", got)
	}
	if !strings.Contains(got, "PLATFORM.PACKAGES.OWN") {
		t.Errorf("output does not show the execution's own step:\n%s", got)
	}
}
