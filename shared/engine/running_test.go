package engine

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRunning(t *testing.T) {
	e := testEngine(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, nil)
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		if _, err := e.Start(ctx, "m", name, json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Stop(ctx, "b", "", ""); err != nil {
		t.Fatal(err)
	}

	running, err := e.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range running {
		if x.Status != StatusRunning {
			t.Errorf("Running returned %s with status %s", x.Name, x.Status)
		}
		names = append(names, x.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "c"}) {
		t.Errorf("Running = %v, want [a c]", names)
	}

	// The query reads the running executions through their index, not
	// every execution in the store.
	rows, err := e.db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT x.name FROM executions x
		LEFT JOIN cursors c ON c.execution = x.name AND c.parent = 0
		WHERE x.status = 'RUNNING' ORDER BY x.started_at DESC, x.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "executions_running") {
		t.Errorf("query plan does not use executions_running:\n%s", strings.Join(plan, "\n"))
	}
}

func TestListMachine(t *testing.T) {
	definition := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	e := testEngine(t, definition, nil)
	ctx := context.Background()
	if err := e.Define("n", []byte(definition)); err != nil {
		t.Fatal(err)
	}
	started := map[string]Execution{}
	for _, run := range []struct{ machine, name string }{{"m", "a"}, {"n", "b"}, {"m", "c"}} {
		x, err := e.Start(ctx, run.machine, run.name, json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		started[run.name] = x
	}

	names := func(list []Execution) []string {
		var out []string
		for _, x := range list {
			out = append(out, x.Name)
		}
		slices.Sort(out)
		return out
	}
	all, err := e.ListMachine(ctx, "m", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(all); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("ListMachine(m) = %v, want [a c]", got)
	}
	inputs, err := e.ListMachineInputs(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(inputs); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("ListMachineInputs(m) = %v, want [a c]", got)
	}
	for _, x := range inputs {
		want := started[x.Name]
		if x.Machine != "m" || string(x.Input) != "{}" || x.Status != want.Status || !x.StartedAt.Equal(want.StartedAt) {
			t.Errorf("ListMachineInputs(m) item %+v, want machine m, input {}, status %s, started %v", x, want.Status, want.StartedAt)
		}
	}
	later, err := e.ListMachine(ctx, "m", started["a"].StartedAt)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(later); !slices.Equal(got, []string{"c"}) {
		t.Errorf("ListMachine(m, after a started) = %v, want [c]", got)
	}

	// The query reads the machine's executions through their index.
	var plan []string
	rows, err := e.db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT x.name FROM executions x
		LEFT JOIN cursors c ON c.execution = x.name AND c.parent = 0
		WHERE x.machine = ? AND x.started_at > ? ORDER BY x.started_at DESC, x.name`, "m", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "executions_machine") {
		t.Errorf("query plan does not use executions_machine:\n%s", strings.Join(plan, "\n"))
	}
}

func TestStopRejectsLongErrorCause(t *testing.T) {
	e := testEngine(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, nil)
	ctx := context.Background()
	if _, err := e.Start(ctx, "m", "run", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, errName, cause, want string
	}{
		{"long error", strings.Repeat("e", MaxErrorChars+1), "", "error has 257 characters"},
		{"long cause", "", strings.Repeat("c", MaxCauseChars+1), "cause has 32769 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Stop(ctx, "run", tt.errName, tt.cause)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Stop error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	x, err := e.Describe(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusRunning {
		t.Errorf("status after rejected stops = %s, want RUNNING", x.Status)
	}
}
