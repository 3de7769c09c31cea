package main

import (
	"errors"
	"io/fs"
	"os"
)

// checkRequestFileArg returns a usage error when arg, the request file
// argument of command, names nothing, such as an execution name given in
// place of a file. plan, preflight and run share its wording.
func checkRequestFileArg(command, arg string) error {
	if arg == "" {
		return usagef("the request file name is empty; %s takes a request file (JSON or YAML), such as examples/public.json", command)
	}
	// Lstat, so that a link whose target is missing reaches the reader,
	// which names the target.
	if _, err := os.Lstat(arg); errors.Is(err, fs.ErrNotExist) {
		return usagef("file %s does not exist; %s takes a request file (JSON or YAML), such as examples/public.json", arg, command)
	}
	return nil
}
