package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/repolink/repolink/shared/sandbox"
)

func sandboxCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "reset" {
		return usagef("usage: repolink sandbox reset [--state-dir DIR]")
	}

	fs := newFlagSet("sandbox reset", "sandbox reset [--state-dir DIR]", stderr)
	stateDir := stateDirFlag(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}

	dir, err := filepath.Abs(*stateDir)
	if err != nil {
		return usagef("state directory %s: %v", *stateDir, err)
	}
	if _, err := os.Stat(dir); err != nil {
		return usagef("state directory %s does not exist; nothing to reset", dir)
	}
	lock, err := lockSandbox(dir)
	if err != nil {
		return err
	}
	defer lock.release()

	if err := sandbox.Reset(filepath.Join(dir, "sandbox")); err != nil {
		return err
	}
	// Executions refer to resources of the old world, so they go too.
	for _, name := range []string{"engine.db", "waits.db"} {
		if err := removeDB(filepath.Join(dir, name)); err != nil {
			return err
		}
	}

	fmt.Fprintf(stdout, "sandbox world and executions in %s removed; the next run starts afresh\n", dir)
	return nil
}
