package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// errHelp is returned after --help printed the usage of a command.
var errHelp = errors.New("help requested")

// defaultStateDir is where state lives unless --state-dir says otherwise.
const defaultStateDir = ".repolink"

// newFlagSet returns a flag set that prints its usage to stderr and turns
// parse errors into usage errors.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: repolink %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usagef("%v", err)
	}
	return nil
}

// stateDirFlag registers --state-dir.
func stateDirFlag(fs *flag.FlagSet) *string {
	return fs.String("state-dir", defaultStateDir, "directory for the engine store and the sandbox world")
}

// prepareStateDir creates the state directory, readable by its owner only
// because the sandbox world and the engine store live in it.
func prepareStateDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("state directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("create state directory %s: %w", dir, err)
	}
	return abs, nil
}

// parseInterspersed parses flags that may come before and after the
// positional arguments, as in "send-task-failure TOKEN --error E", and
// returns the positional arguments. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// commandFlags returns the flags that a suggested follow-up command needs
// to act on the same state directory and sandbox.
func commandFlags(sandbox bool, stateDir string) string {
	var flags string
	if sandbox {
		flags += " --sandbox"
	}
	if stateDir != defaultStateDir {
		flags += " --state-dir " + stateDir
	}
	return flags
}
