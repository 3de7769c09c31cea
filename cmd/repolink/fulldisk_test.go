package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sqlitefile"
)

// fullDiskChild names the state directory on a small tmpfs when the test
// binary runs as the child that runOnSmallTmpfs starts.
const fullDiskChild = "REPOLINK_TEST_FULL_DISK_DIR"

// TestRunFullDiskStops checks that a sandbox run whose state directory
// fills up stops with an error that names the directory and advises freeing
// space, instead of retrying without end. The child runs in a private mount
// namespace with a 1 MiB tmpfs, which needs root and unshare(1).
func TestRunFullDiskStops(t *testing.T) {
	if fullDiskDir(t) != "" {
		runFullDiskChild(t)
	}
}

// fullDiskDir runs the calling test again as a child on a small tmpfs by
// runOnSmallTmpfs and returns "". In that child it returns the state
// directory instead. It skips the test without root or unshare(1).
func fullDiskDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv(fullDiskChild); dir != "" {
		return dir
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs in a private mount namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare(1) to make a private mount namespace")
	}
	runOnSmallTmpfs(t, unshare, t.Name())
	return ""
}

// runOnSmallTmpfs runs the test named test again in a child process, in a
// private mount namespace with a 1 MiB tmpfs, and passes it the path of a
// state directory on that tmpfs in fullDiskChild.
func runOnSmallTmpfs(t *testing.T, unshare, test string) {
	t.Helper()
	mount := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script := fmt.Sprintf("mount -t tmpfs -o size=1m tmpfs %s && exec %s -test.run '^%s$' -test.v",
		mount, os.Args[0], test)
	cmd := exec.CommandContext(ctx, unshare, "-m", "sh", "-c", script)
	cmd.Env = append(os.Environ(), fullDiskChild+"="+filepath.Join(mount, "st"))
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the command on a full disk did not stop within 2 minutes:\n%s", out)
	}
	if err != nil {
		t.Fatalf("child test failed: %v\n%s", err, out)
	}
}

// runFullDiskChild runs the example request on the state directory that
// the parent test mounted, and checks how the run ends.
func runFullDiskChild(t *testing.T) {
	dir := os.Getenv(fullDiskChild)
	var stdout, stderr bytes.Buffer
	err := runCommand(context.Background(), []string{"--sandbox", "--sandbox-latency", "none", "--state-dir", dir,
		"../../examples/aws-privatelink.json"}, &stdout, &stderr)
	if err == nil {
		t.Fatalf("run on a 1 MiB state directory succeeded; the test needs a full disk\n%s", stdout.String())
	}
	msg := err.Error()
	for _, want := range []string{dir, "is full", "free space", "again to resume"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if n := strings.Count(stderr.String(), "disk is full"); n > 0 {
		t.Errorf("stderr repeats the full disk %d times besides the error:\n%s", n, stderr.String())
	}
}

// TestRunByServiceFullDisk checks that a run sent to the repolink up that
// serves a full state directory fails with the error that names the
// directory and advises freeing space, as a local run does.
func TestRunByServiceFullDisk(t *testing.T) {
	dir := fullDiskDir(t)
	if dir == "" {
		return
	}

	// The store and the service lock take the place of a repolink up that
	// serves dir.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	provisionStore(t, dir)
	lock, err := lockStateDir(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	fillFileSystem(t, dir)

	var stdout, stderr bytes.Buffer
	err = runCommand(context.Background(), []string{"--state-dir", dir, "../../examples/public.json"}, &stdout, &stderr)
	if err == nil {
		t.Fatalf("run on a full state directory succeeded\n%s", stdout.String())
	}
	msg := err.Error()
	for _, want := range []string{dir, "is full", "free space"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

// TestCommandsFullDiskStore checks that the commands that change the
// engine store of a full state directory fail with the error that names the
// directory and advises freeing space, and that a command that changes
// nothing, such as a heartbeat with an unknown token, gives its own error.
// They do so whether or not repolink up serves the directory, and whether
// or not the store was open when the file system filled.
func TestCommandsFullDiskStore(t *testing.T) {
	dir := fullDiskDir(t)
	if dir == "" {
		return
	}

	open, closed := fullStores(t, dir)

	commands := []struct {
		name string
		run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
		arg  string
		// full is set for a command that writes, whose error must name the
		// full file system. When full is false, the error must contain
		// want instead.
		full bool
		want string
	}{
		{"redrive", redriveCommand, "FD-1", true, ""},
		{"teardown", teardownCommand, "FD-1", true, ""},
		{"stop", stopCommand, "FD-2", true, ""},
		{"send-task-heartbeat", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return taskCommand(ctx, "send-task-heartbeat", args, stdout, stderr)
		}, "unknown-token", false, "token is unknown"},
	}
	ctx := context.Background()
	for _, store := range []string{open, closed} {
		for _, served := range []bool{false, true} {
			var lock *serviceLock
			if served {
				var err error
				if lock, err = lockStateDir(store, false); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range commands {
				var stdout, stderr bytes.Buffer
				err := c.run(ctx, []string{"--state-dir", store, c.arg}, &stdout, &stderr)
				if err == nil {
					t.Errorf("%s on full %s (served %t) succeeded\n%s", c.name, store, served, stdout.String())
					continue
				}
				wants := []string{c.want}
				if c.full {
					wants = []string{store, "is full", "free space"}
				}
				for _, want := range wants {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s on %s (served %t): error %q lacks %q", c.name, store, served, err, want)
					}
				}
			}
			if lock != nil {
				lock.release()
			}
		}
	}
}

// TestSandboxCommandsFullDisk checks that plan, preflight and invoke, whose
// sandbox writes its world into a full state directory, fail with the
// error that names the directory and advises freeing space.
func TestSandboxCommandsFullDisk(t *testing.T) {
	dir := fullDiskDir(t)
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(input, documentOf(t, exampleRequest(t, "FD-1")), 0o600); err != nil {
		t.Fatal(err)
	}
	fillFileSystem(t, dir)

	commands := []struct {
		name string
		run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
		args []string
	}{
		{"plan", planCommand, []string{"../../examples/public.json"}},
		{"preflight", preflightCommand, []string{"../../examples/public.json"}},
		{"invoke", invokeCommand, []string{"--input", input, "preflight"}},
	}
	for _, c := range commands {
		var stdout, stderr bytes.Buffer
		args := append([]string{"--sandbox", "--state-dir", dir}, c.args...)
		err := c.run(context.Background(), args, &stdout, &stderr)
		if err == nil {
			t.Errorf("%s on full %s succeeded\n%s", c.name, dir, stdout.String())
			continue
		}
		for _, want := range []string{dir, "is full", "free space"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q lacks %q", c.name, err, want)
			}
		}
	}
}

// TestReadCommandsFullDisk checks that list, status and history show the
// executions of a full state directory, whether or not the store was open
// when the file system filled.
func TestReadCommandsFullDisk(t *testing.T) {
	dir := fullDiskDir(t)
	if dir == "" {
		return
	}

	open, closed := fullStores(t, dir)

	for _, store := range []string{open, closed} {
		for _, c := range readCommandsOnFD1() {
			stdout, err := c.runOn(store)
			if err != nil {
				t.Errorf("%s on full %s: %v", c.name, store, err)
				continue
			}
			if !strings.Contains(stdout, c.want) {
				t.Errorf("%s on full %s: output lacks %q:\n%s", c.name, store, c.want, stdout)
			}
		}
	}
}

// TestReadCommandsFullDiskOlderStore checks that list, status and history
// show the executions of a full state directory whose store has an older
// format, which they cannot migrate there, and leave the store file as it
// was.
func TestReadCommandsFullDiskOlderStore(t *testing.T) {
	dir := fullDiskDir(t)
	if dir == "" {
		return
	}

	store := filepath.Join(dir, "older")
	if err := storeWithStoppedExecution(t, store).Close(); err != nil {
		t.Fatal(err)
	}
	dropColumn(t, filepath.Join(store, engineStore), "machines", "created_at")
	fillFileSystem(t, dir)

	for _, c := range readCommandsOnFD1() {
		stdout, err := c.runOn(store)
		if err != nil {
			t.Errorf("%s on full older store: %v", c.name, err)
			continue
		}
		if !strings.Contains(stdout, c.want) {
			t.Errorf("%s on full older store: output lacks %q:\n%s", c.name, c.want, stdout)
		}
	}
	if n := columnCount(t, filepath.Join(store, engineStore), "machines", "created_at"); n != 0 {
		t.Errorf("machines has %d created_at columns after the read commands, want the older format left as it was", n)
	}
}

// readCommand is a command that only reads the state directory, with its
// arguments after --state-dir and a text that its output must contain.
type readCommand struct {
	name string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	args []string
	want string
}

// readCommandsOnFD1 returns list, status and history, each with a text of
// its output on a store that storeWithStoppedExecution wrote.
func readCommandsOnFD1() []readCommand {
	return []readCommand{
		{"list", listCommand, nil, "FD-1"},
		{"status", statusCommand, []string{"FD-1"}, "ABORTED"},
		{"history", historyCommand, []string{"FD-1"}, "ExecutionAborted"},
	}
}

// runOn runs c on the state directory dir and returns its standard output.
func (c readCommand) runOn(dir string) (string, error) {
	var stdout, stderr bytes.Buffer
	args := append([]string{"--state-dir", dir}, c.args...)
	err := c.run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), err
}

// dropColumn removes column from table in the SQLite file at path, so that
// the store has the format of an engine from before that column.
func dropColumn(t *testing.T, path, table, column string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", table, column)); err != nil {
		t.Fatal(err)
	}
}

// columnCount returns how many columns named column table has in the
// SQLite file at path, read without writing.
func columnCount(t *testing.T, path, table, column string) int {
	t.Helper()
	db, err := sqlitefile.OpenReader(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// storeWithStoppedExecution creates the engine store in dir with the
// stopped provision execution FD-1, and returns the open store.
func storeWithStoppedExecution(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	eng := provisionStore(t, dir)
	ctx := context.Background()
	if _, err := eng.Start(ctx, provisionMachine, "FD-1", documentOf(t, exampleRequest(t, "FD-1"))); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stop(ctx, "FD-1", "", ""); err != nil {
		t.Fatal(err)
	}
	return eng
}

// fullStores creates two engine stores under dir, each with the stopped
// execution FD-1 and the running execution FD-2, which no process runs, and
// then fills the file system of dir. The store in open stays open, as in a
// running repolink up, so that SQLite keeps its write-ahead log and
// shared-memory files. A later open then needs no space for them, and its
// first write fails with SQLITE_FULL. The store in closed was closed, so
// SQLite removed those files, and a later open fails to grow a new
// shared-memory file.
func fullStores(t *testing.T, dir string) (open, closed string) {
	t.Helper()
	open = filepath.Join(dir, "open")
	closed = filepath.Join(dir, "closed")
	for _, store := range []string{open, closed} {
		eng := storeWithStoppedExecution(t, store)
		if _, err := eng.Start(context.Background(), provisionMachine, "FD-2", documentOf(t, exampleRequest(t, "FD-2"))); err != nil {
			t.Fatal(err)
		}
		if store == closed {
			if err := eng.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	fillFileSystem(t, dir)
	return open, closed
}

// fillFileSystem writes a file in dir until the file system of dir has no
// space left.
func fillFileSystem(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill file system of %s: %v", dir, err)
			}
			return
		}
	}
}
