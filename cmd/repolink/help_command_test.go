package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestHelpCommandPrintsCommandUsage(t *testing.T) {
	// No command may create a state directory when it only prints help.
	t.Chdir(t.TempDir())
	names := []string{"sandbox"}
	for name := range usageCommands(t) {
		names = append(names, name)
	}
	slices.Sort(names)

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			args := strings.Fields(name)
			code, out, errOut := runCLI(t, append([]string{"help"}, args...)...)
			if code != exitOK {
				t.Fatalf("help %s exit %d, want %d; stderr: %s", name, code, exitOK, errOut)
			}
			if errOut != "" {
				t.Errorf("help %s wrote to stderr: %s", name, errOut)
			}
			if !strings.HasPrefix(out, "Usage: repolink "+name) {
				t.Errorf("help %s does not print the usage of %s:\n%s", name, name, out)
			}

			flagCode, flagOut, flagErr := runCLI(t, append(args, "--help")...)
			if flagCode != exitOK {
				t.Fatalf("%s --help exit %d, want %d", name, flagCode, exitOK)
			}
			if want := flagOut + flagErr; out != want {
				t.Errorf("help %s prints:\n%s\nwant what %s --help prints:\n%s", name, out, name, want)
			}
		})
	}

	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("help created %d entries in the working directory, such as %s", len(entries), entries[0].Name())
	}
}

func TestHelpWithoutCommandPrintsUsage(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"help", "help"}, {"help", "--help"}, {"--help"}} {
		code, out, errOut := runCLI(t, args...)
		if code != exitOK {
			t.Errorf("%s exit %d, want %d; stderr: %s", strings.Join(args, " "), code, exitOK, errOut)
		}
		if out != usage {
			t.Errorf("%s does not print the general usage:\n%s", strings.Join(args, " "), out)
		}
	}
}

func TestHelpRejectsUnknownCommand(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"help", "nosuch"}, `unknown command "nosuch"; run 'repolink help' for the list`},
		{[]string{"help", "sandbox", "nosuch"}, `unknown sandbox command "nosuch"`},
		{[]string{"help", "run", "plan"}, `help takes one command name, such as 'repolink help run'; got "run plan"`},
		{[]string{"help", "--state-dir"}, `not the flag "--state-dir"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != exitInvalid {
				t.Errorf("exit %d, want %d", code, exitInvalid)
			}
			if out != "" {
				t.Errorf("stdout is not empty:\n%s", out)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.want)
			}
		})
	}
}
