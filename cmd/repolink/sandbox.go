package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/sandbox"
)

const sandboxUsage = `Usage: repolink sandbox COMMAND [--state-dir DIR]

Commands:
  reset   stop the sandbox's proxy VMs, remove its world and remove the
          executions of the state directory with their ticket records and
          notifications, so that the next run starts afresh. In a sandbox
          directory it also removes defaults.db and credentials.db, whose
          records name objects of the sandbox Snowflake. When preflight or
          invoke without --sandbox also wrote records there, reset changes
          nothing and prints the reason. It prints what it removed. The
          directory must contain repolink state: a mode file, a sandbox/
          world or a store such as engine.db

Run 'repolink sandbox COMMAND --help' for the flags of a command.
`

// stateEntries are the files and directories that mark a repolink state
// directory. Lock files and the sandbox address file do not count, because
// they record no execution and no sandbox world.
var stateEntries = []string{modeFile, "sandbox/", engineStore, "waits.db", "webhook.db", "notify.db", "reservations.db"}

// containsState reports whether dir contains one of stateEntries.
func containsState(dir string) bool {
	for _, name := range stateEntries {
		if exists(filepath.Join(dir, strings.TrimSuffix(name, "/"))) {
			return true
		}
	}
	return false
}

func sandboxCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, sandboxUsage)
		return usagef("sandbox needs a command, such as reset")
	}
	switch args[0] {
	case "reset":
	case "-h", "-help", "--help":
		// As for every other command, --help prints the usage on stderr.
		fmt.Fprint(stderr, sandboxUsage)
		return nil
	case "help":
		// As 'repolink help' does, the help command prints the usage on
		// stdout.
		fmt.Fprint(stdout, sandboxUsage)
		return nil
	default:
		return usagef("unknown sandbox command %q; run 'repolink sandbox --help' for the list", args[0])
	}

	fs := newFlagSet("sandbox reset", "sandbox reset [--state-dir DIR]", stderr)
	stateDir := stateDirFlag(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	// Flag parsing stops at the first argument that is not a flag, so in
	// "reset DIR --state-dir DIR" the flag would go unread and the reset
	// would remove the default directory.
	if fs.NArg() != 0 {
		return usagef("sandbox reset takes no arguments; got %q; name the state directory with --state-dir DIR before any other argument\nnothing was changed",
			strings.Join(fs.Args(), " "))
	}

	// Reset removes and rewrites files under the directory, and a link
	// there could point it at files outside.
	dir, err := stateDirOf(*stateDir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err != nil {
		return usagef("state directory %s does not exist; nothing to reset", dir)
	}
	if !containsState(dir) {
		return usagef("state directory %s contains no repolink state: none of %s was found; pass the --state-dir that run or up used\nnothing was changed",
			dir, strings.Join(stateEntries, ", "))
	}
	// Reset removes the executions too, which in a cloud directory record
	// real resources.
	mode, err := readStateMode(dir)
	if err != nil {
		return err
	}
	if mode == modeCloud {
		return usagef("state directory %s belongs to the real clouds, so it has no sandbox world, and its executions record real resources; pass the --state-dir of the sandbox", dir)
	}
	lock, err := lockSandbox(dir)
	if err != nil {
		return err
	}
	defer lock.release()

	if mode == modeSandbox {
		if err := checkNoCloudRecords(dir); err != nil {
			return err
		}
	}
	removed, keptStores, err := resetSandboxDir(dir, mode)
	if err != nil {
		return err
	}

	if len(removed) == 0 {
		printText(stdout, "removed nothing from %s: it contains no sandbox world and no store; the next run starts afresh\n", dir)
	} else {
		printText(stdout, "removed %s from %s; the next run starts afresh\n", strings.Join(removed, ", "), dir)
	}
	if len(keptStores) > 0 {
		printText(stdout, "kept %s: no sandbox ran in %s, so their records describe real cloud objects\n", strings.Join(keptStores, ", "), dir)
	}
	return nil
}

// executionStores are the stores that reset removes in every directory it
// accepts. Executions refer to resources of the old world, so they go, and
// so do the webhook's ticket records, the notifications and the endpoint
// reservations, which name those executions' requests, and the intake
// index of the executions.
var executionStores = []string{engineStore, "waits.db", "webhook.db", "notify.db", reservationStore, intakeIndexFile}

// sandboxRecordStores are the stores whose records name Snowflake objects:
// the levels on which runs set the default repository, and the expiries of
// the index credentials in SECRETs. In a sandbox directory these are
// objects of the old world. A record left behind would make a run in the
// new world unset a default that no run there set, or make up's poller
// renew a SECRET of the old world. Without a mode and a world, only
// preflight and invoke without --sandbox can have written them, so their
// records describe real objects and stay.
// A directory where such a command wrote records before a sandbox run
// claimed it contains records of both, which reset cannot tell apart, so
// cloudRecordsFile marks it and reset rejects it.
var sandboxRecordStores = []string{"defaults.db", "credentials.db"}

// resetSandboxDir removes the sandbox world and the stores of dir, given
// its recorded mode, and returns the names of the entries it removed and
// of the stores with records that it kept.
func resetSandboxDir(dir, mode string) (removed, keptStores []string, err error) {
	world := filepath.Join(dir, "sandbox")
	hadWorld := exists(world)
	if err := sandbox.Reset(world); err != nil {
		return nil, nil, err
	}
	if hadWorld {
		removed = append(removed, "sandbox/")
	}

	stores := executionStores
	if mode == modeSandbox {
		stores = append(slices.Clip(stores), sandboxRecordStores...)
		// sandboxCommand rejects a marked directory that still has one of
		// these stores, so the mark is out of date once they go.
		if err := os.Remove(filepath.Join(dir, cloudRecordsFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, nil, fmt.Errorf("remove %s: %w", cloudRecordsFile, err)
		}
	} else {
		for _, name := range sandboxRecordStores {
			if exists(filepath.Join(dir, name)) {
				keptStores = append(keptStores, name)
			}
		}
	}
	for _, name := range stores {
		path := filepath.Join(dir, name)
		found := exists(path) || exists(path+"-wal") || exists(path+"-shm")
		if err := removeDB(path); err != nil {
			return removed, keptStores, err
		}
		if found {
			removed = append(removed, name)
		}
	}
	return removed, keptStores, nil
}

// cloudRecordsFile is the file that marks a state directory in which
// preflight or invoke without --sandbox opened the sandboxRecordStores, so
// that they may contain records of real cloud objects.
const cloudRecordsFile = "cloud-records"

// markCloudRecords creates cloudRecordsFile in dir unless it exists.
func markCloudRecords(dir string) error {
	path := filepath.Join(dir, cloudRecordsFile)
	if exists(path) {
		return nil
	}
	text := "preflight or invoke without --sandbox wrote records of real cloud objects into " +
		strings.Join(sandboxRecordStores, " and ") + " in this directory\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return fmt.Errorf("mark records of real cloud objects: %w", err)
	}
	return nil
}

// checkNoCloudRecords returns a usage error when the sandbox directory dir
// is marked with cloudRecordsFile and still has one of the
// sandboxRecordStores, because reset would delete records of real cloud
// objects with the sandbox's records.
func checkNoCloudRecords(dir string) error {
	if !exists(filepath.Join(dir, cloudRecordsFile)) {
		return nil
	}
	var found []string
	for _, name := range sandboxRecordStores {
		if exists(filepath.Join(dir, name)) {
			found = append(found, name)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return usagef("state directory %s contains records of real cloud objects: preflight or invoke without --sandbox wrote them into %s "+
		"before a sandbox run used the directory, and reset cannot tell them from the sandbox's records\nnothing was changed. "+
		"To keep the records, move %s with their -wal and -shm files out of %s, or else delete them. "+
		"Then run sandbox reset again, which also removes %s",
		dir, strings.Join(found, " and "), strings.Join(found, " and "), dir, filepath.Join(dir, cloudRecordsFile))
}
