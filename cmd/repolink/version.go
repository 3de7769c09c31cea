package main

import (
	"context"
	"fmt"
	"io"
)

// versionCommand prints the version of repolink, as text or as a JSON
// object such as {"version": "1.2.0"}.
func versionCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version [--output text|json]", stderr)
	output := outputFlag(fs)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := checkOutput(*output); err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("version takes no arguments; got %d", len(positional))
	}
	if *output == "json" {
		return writeJSONTo(stdout, struct {
			Version string `json:"version"`
		}{version})
	}
	fmt.Fprintln(stdout, "repolink", version)
	return nil
}
