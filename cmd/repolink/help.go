package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// helpCommand prints the general usage to stdout, or with a command name
// the usage of that command, which is what COMMAND --help prints. Only
// sandbox takes a second name, its subcommand, as in 'help sandbox reset'.
func helpCommand(ctx context.Context, args []string, stdout io.Writer) error {
	switch {
	case len(args) == 0 || (len(args) == 1 && isHelpName(args[0])):
		fmt.Fprint(stdout, usage)
		return nil
	case len(args) == 2 && args[0] == "sandbox":
	case len(args) != 1:
		return usagef("help takes one command name, such as 'repolink help run'; got %q", strings.Join(args, " "))
	}
	if strings.HasPrefix(args[0], "-") {
		return usagef("help takes a command name, not the flag %q; run 'repolink help' for the list of commands", args[0])
	}

	// The command prints its usage to stdout here, because the usage is
	// the output that help was requested for. It returns before it reads any
	// other argument or touches a state directory.
	err := dispatch(ctx, append(append([]string{}, args...), "--help"), stdout, stdout)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// isHelpName reports whether name requests the general usage.
func isHelpName(name string) bool {
	switch name {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}
