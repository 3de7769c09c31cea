package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/repolink/repolink/shared/privatefile"
)

// modeFile is the file in the state directory that records whether the
// directory belongs to the sandbox or to the real clouds. The first command
// that creates a sandbox world or an engine store in the directory writes it.
const modeFile = "mode"

// Modes of a state directory.
const (
	modeSandbox = "sandbox"
	modeCloud   = "cloud"
)

// modeOf returns the mode for the --sandbox flag.
func modeOf(sandbox bool) string {
	if sandbox {
		return modeSandbox
	}
	return modeCloud
}

// readStateMode returns the mode of a state directory, or "" for a
// directory with no sandbox world and no executions yet. A directory from before the
// mode file existed is a sandbox directory when it has a sandbox world,
// and a cloud directory when it has an engine store without one. A wait
// store alone does not count, because preflight and invoke open one
// without starting an execution.
func readStateMode(dir string) (string, error) {
	data, err := privatefile.ReadFile(filepath.Join(dir, modeFile))
	if err == nil {
		mode := strings.TrimSpace(string(data))
		if mode != modeSandbox && mode != modeCloud {
			return "", usagef("%s contains the invalid mode %q; write sandbox or cloud into it, or use another --state-dir",
				filepath.Join(dir, modeFile), mode)
		}
		return mode, nil
	}
	if errors.Is(err, privatefile.ErrNotRegular) {
		return "", usagef("%v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read state directory mode: %w", err)
	}
	if exists(filepath.Join(dir, "sandbox")) {
		return modeSandbox, nil
	}
	if exists(filepath.Join(dir, engineStore)) {
		return modeCloud, nil
	}
	return "", nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// checkStateMode returns a usage error when the state directory belongs to
// the other mode, so that executions and resources of the sandbox never
// reach the real clouds, and the other way round.
func checkStateMode(dir string, sandbox bool) error {
	mode, err := readStateMode(dir)
	if err != nil {
		return err
	}
	return compareModes(dir, mode, modeOf(sandbox))
}

func compareModes(dir, recorded, requested string) error {
	switch {
	case recorded == "" || recorded == requested:
		return nil
	case recorded == modeSandbox:
		return usagef("state directory %s belongs to the sandbox; add --sandbox, or use another --state-dir for the real clouds", dir)
	default:
		return usagef("state directory %s belongs to the real clouds; remove --sandbox, or use another --state-dir for the sandbox", dir)
	}
}

// claimStateMode checks the mode of the state directory like
// checkStateMode and records it when the directory has none yet.
func claimStateMode(dir string, sandbox bool) error {
	recorded, err := readStateMode(dir)
	if err != nil {
		return err
	}
	requested := modeOf(sandbox)
	if err := compareModes(dir, recorded, requested); err != nil {
		return err
	}
	if exists(filepath.Join(dir, modeFile)) {
		return nil
	}
	won, err := writeModeFile(dir, requested)
	if err != nil {
		return err
	}
	if won {
		return nil
	}
	// Another process recorded a mode first, which must match too.
	return checkStateMode(dir, sandbox)
}

// writeModeFile creates the mode file unless it exists, and reports whether
// this call created it. The file appears with its content in one step, so a
// concurrent reader never sees it empty.
func writeModeFile(dir, mode string) (bool, error) {
	created, err := privatefile.CreateExclusive(filepath.Join(dir, modeFile), []byte(mode+"\n"))
	if err != nil {
		return false, fmt.Errorf("record state directory mode: %w", err)
	}
	return created, nil
}

// hintFlags returns the flags that a suggested redrive or teardown needs
// for the state directory: --sandbox when it belongs to the sandbox, and
// --state-dir as the user gave it. A directory whose mode cannot be read
// gets no --sandbox, and the suggested command then reports the problem.
func hintFlags(dir, stateDir string) string {
	mode, _ := readStateMode(dir)
	return commandFlags(mode == modeSandbox, stateDir)
}
