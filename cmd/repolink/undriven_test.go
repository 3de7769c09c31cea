package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// TestUndrivenExecutionAdvice leaves an execution open with no process to
// run it, as after a kill -9 of 'run', and checks that redrive, teardown
// and status name the commands that resume or stop it.
func TestUndrivenExecutionAdvice(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := writeModeFile(dir, modeOf(true)); err != nil {
		t.Fatal(err)
	}
	eng := provisionStore(t, dir)
	name, err := startExecution(ctx, eng, exampleRequest(t, "KILLED-2"))
	if err != nil {
		t.Fatal(err)
	}
	eng.Close()

	resume := []string{
		"execution " + name + " is open (in ",
		"nothing runs it now",
		"'repolink run --sandbox --state-dir " + dir + " FILE' with the request file that started it",
		"'repolink history --state-dir " + dir + " " + name + "'",
		"'repolink up --sandbox --state-dir " + dir + "'",
		"'repolink stop --state-dir " + dir + " " + name + "'",
	}
	stop := "'repolink stop --state-dir " + dir + " " + name + "'"
	commands := []struct {
		args []string
		// drop is the expected advice on dropping the execution.
		drop string
	}{
		// A stop followed by a redrive resumes the execution, so redrive
		// offers it as a way to resume, and a stop alone drops it.
		{[]string{"redrive", "--sandbox", "--state-dir", dir, name},
			"To drop it, stop it with " + stop + " and do not redrive it"},
		{[]string{"teardown", "--sandbox", "--state-dir", dir, name},
			"To drop it, stop it with " + stop + ", then run 'repolink teardown --sandbox --state-dir " + dir + " " + name + "' again"},
	}
	for _, c := range commands {
		t.Run(c.args[0], func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != exitInvalid {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
			}
			for _, want := range append(resume, c.drop) {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if strings.Contains(errOut, "wait for it to close") {
				t.Errorf("stderr still advises a wait that never ends:\n%s", errOut)
			}
		})
	}

	t.Run("redrive resume", func(t *testing.T) {
		_, _, errOut := runCLI(t, "redrive", "--sandbox", "--state-dir", dir, name)
		resume, drop, found := strings.Cut(errOut, "To drop it")
		if !found {
			t.Fatalf("stderr has no drop advice:\n%s", errOut)
		}
		want := "or stop it with " + stop + " and then run 'repolink redrive --sandbox --state-dir " + dir + " " + name + "' again, " +
			"which resumes it from the step it stopped in"
		if !strings.Contains(resume, want) {
			t.Errorf("resume advice lacks %q:\n%s", want, resume)
		}
		if strings.Contains(drop, "repolink redrive") {
			t.Errorf("drop advice suggests a redrive, which resumes the execution:\n%s", drop)
		}
	})

	t.Run("status", func(t *testing.T) {
		code, out, errOut := runCLI(t, "status", "--state-dir", dir, name)
		if code != exitOK {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
		}
		if !strings.Contains(out, "next:          execution "+name+" is open") {
			t.Errorf("stdout lacks the next line:\n%s", out)
		}
		for _, want := range resume {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("status json", func(t *testing.T) {
		code, out, errOut := runCLI(t, "status", "--output", "json", "--state-dir", dir, name)
		if code != exitOK {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
		}
		var v statusView
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("status output is not JSON: %v\n%s", err, out)
		}
		if v.Status != engine.StatusRunning {
			t.Errorf("status = %s, want RUNNING", v.Status)
		}
		if !strings.HasPrefix(v.Next, "execution "+name+" is open") {
			t.Errorf("next = %q, want the resume advice", v.Next)
		}
		for _, want := range resume {
			if !strings.Contains(v.Next, want) {
				t.Errorf("next lacks %q: %s", want, v.Next)
			}
		}
	})
}

// TestDrivenExecutionWaitAdvice holds the runner lease as a live 'run'
// process does, and checks that redrive still advises a wait for the
// execution and status prints no next line.
func TestDrivenExecutionWaitAdvice(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := writeModeFile(dir, modeOf(true)); err != nil {
		t.Fatal(err)
	}
	eng := provisionStore(t, dir)
	name, err := startExecution(ctx, eng, exampleRequest(t, "LIVE-1"))
	if err != nil {
		t.Fatal(err)
	}
	eng.Close()

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, engineStore))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO runner (id, owner, expires_at) VALUES (1, 'other-process', ?)`, time.Now().Add(time.Hour).UnixNano()); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "redrive", "--sandbox", "--state-dir", dir, name)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	if !strings.Contains(errOut, "is still running") || !strings.Contains(errOut, "wait for it to close") {
		t.Errorf("stderr lacks the wait advice:\n%s", errOut)
	}
	if strings.Contains(errOut, "nothing runs it now") {
		t.Errorf("stderr calls a driven execution undriven:\n%s", errOut)
	}

	code, out, errOut = runCLI(t, "status", "--state-dir", dir, name)
	if code != exitOK {
		t.Fatalf("status exit %d, want %d\nstderr:\n%s", code, exitOK, errOut)
	}
	if strings.Contains(out, "next:") {
		t.Errorf("status of a driven execution prints a next line:\n%s", out)
	}

	code, out, errOut = runCLI(t, "status", "--output", "json", "--state-dir", dir, name)
	if code != exitOK {
		t.Fatalf("status --output json exit %d, want %d\nstderr:\n%s", code, exitOK, errOut)
	}
	if strings.Contains(out, `"next"`) {
		t.Errorf("status JSON of a driven execution has a next field:\n%s", out)
	}
}
