// Command repolink connects a Python package index to a Snowflake artifact
// repository over private connectivity, as a state machine of small steps.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/repolink/repolink/shared/privatefile"
)

// Exit statuses shared by every subcommand.
const (
	exitOK      = 0
	exitFailed  = 1
	exitInvalid = 2
	// exitInterrupted is 128 plus the number of SIGINT, the status that
	// shells report for a command that an interrupt ended. SIGTERM gets it
	// too, so that scripts test for one status.
	exitInterrupted = 130
)

// usageError marks invalid input or an impossible operation: exit status 2.
// printed means that the message has already been printed, with the usage
// of the command after it.
type usageError struct {
	msg     string
	printed bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// failedError marks an operation that ran and failed: exit status 1. Its
// message has already been printed.
type failedError struct{ msg string }

func (e *failedError) Error() string { return e.msg }

// interruptedError marks a command that an interrupt or SIGTERM ended
// before its execution closed: exit status 130. The execution keeps its
// state. The message with the commands that resume or follow it has
// already been printed.
type interruptedError struct{}

func (e *interruptedError) Error() string { return "interrupted" }

const usage = `repolink connects a Python package index to a Snowflake artifact repository.

Usage:
  repolink run [--sandbox] [--state-dir DIR] REQUEST   provision what REQUEST asks for
  repolink preflight [--sandbox] REQUEST               check the package index, Snowflake and the cloud from here
  repolink plan [--sandbox] REQUEST                    show what a run would create, update or adopt; changes nothing
  repolink up [--sandbox] [--listen ADDR]              serve the webhook, the poller and the operations API; needs
                                                       REPOLINK_WEBHOOK_SECRET, and REPOLINK_API_TOKEN outside
                                                       sandbox mode
  repolink list                                        list executions
  repolink status NAME                                 show an execution: status, step, resources, error
  repolink history NAME                                show an execution's history events
  repolink redrive [--sandbox] NAME                    resume a FAILED, TIMED_OUT or ABORTED execution from the
                                                       step it stopped in; a request file in place of NAME
                                                       names its request's latest execution
  repolink stop NAME [--error E] [--cause C]           abort a running execution
  repolink notify NAME [--redrive-count N]             send the failed notification of an execution again;
                                                       N picks an earlier run of a redriven execution
  repolink send-task-success TOKEN --output-json J     complete a waiting task with the result J
  repolink send-task-failure TOKEN --error E [--cause C]
                                                       fail a waiting task
  repolink send-task-heartbeat TOKEN                   restart a waiting task's heartbeat timeout
  repolink invoke [--sandbox] STEP --input FILE        run one step by hand and print its output
  repolink teardown [--sandbox] NAME                   remove what provision execution NAME built; NAME must be
                                                       its request's latest execution, which a request file in
                                                       place of NAME names
  repolink sandbox reset [--state-dir DIR]             start the sandbox world afresh
  repolink version [--output text|json]                print the version

Every command but version takes --state-dir DIR (default .repolink); list, status,
history, plan, preflight, stop and version take --output json. Run 'repolink help COMMAND' or
'repolink COMMAND --help' for the flags of a command.

A state directory belongs to the sandbox or to the real clouds: the first run,
up, redrive or teardown on it records which; preflight, invoke and plan only
check it. Commands in the other mode exit with status 2.

Exit status: 0 succeeded, 1 the operation failed, 2 invalid input, command line
or an operation that cannot be done (the message says what to change), 130 run,
redrive or teardown was interrupted and its execution stays open (the message
says how to resume it).
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(runProcess(os.Args[1:]))
}

// runProcess runs the command line args on the standard streams of the
// process and returns the exit status. An interrupt or SIGTERM cancels the
// command's context.
func runProcess(args []string) int {
	// A reader that closes standard output early, such as head, must not
	// kill a run halfway through building. With SIGPIPE delivered to a
	// channel, a write to the closed pipe returns EPIPE instead, and
	// closedPipeWriter drops the rest of the output, so every command goes
	// on to its end and exits as it would on a terminal. Notify rather than
	// Ignore, because child processes inherit an ignored signal.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, &closedPipeWriter{w: os.Stdout}, os.Stderr)
}

// closedPipeWriter writes to w until a write fails with EPIPE because the
// reader closed the pipe. From then on it reports every write as done and
// drops it. Other write errors are returned as they are.
type closedPipeWriter struct {
	w      io.Writer
	closed atomic.Bool
}

func (c *closedPipeWriter) Write(p []byte) (int, error) {
	if c.closed.Load() {
		return len(p), nil
	}
	n, err := c.w.Write(p)
	if errors.Is(err, syscall.EPIPE) {
		c.closed.Store(true)
		return len(p), nil
	}
	return n, err
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitInvalid
	}
	return exitCode(dispatch(ctx, args, stdout, stderr), stderr)
}

// dispatch runs the command that args[0] names with the rest of args.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var err error
	switch args[0] {
	case "run":
		err = runCommand(ctx, args[1:], stdout, stderr)
	case "up":
		err = upCommand(ctx, args[1:], stdout, stderr)
	case "plan":
		err = planCommand(ctx, args[1:], stdout, stderr)
	case "preflight":
		err = preflightCommand(ctx, args[1:], stdout, stderr)
	case "list":
		err = listCommand(ctx, args[1:], stdout, stderr)
	case "status":
		err = statusCommand(ctx, args[1:], stdout, stderr)
	case "history":
		err = historyCommand(ctx, args[1:], stdout, stderr)
	case "redrive":
		err = redriveCommand(ctx, args[1:], stdout, stderr)
	case "stop":
		err = stopCommand(ctx, args[1:], stdout, stderr)
	case "notify":
		err = notifyCommand(ctx, args[1:], stdout, stderr)
	case "send-task-success", "send-task-failure", "send-task-heartbeat":
		err = taskCommand(ctx, args[0], args[1:], stdout, stderr)
	case "teardown":
		err = teardownCommand(ctx, args[1:], stdout, stderr)
	case "invoke":
		err = invokeCommand(ctx, args[1:], stdout, stderr)
	case "sandbox":
		err = sandboxCommand(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		err = versionCommand(ctx, args[1:], stdout, stderr)
	case "help":
		err = helpCommand(ctx, args[1:], stdout)
	case "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("unknown command %q; run 'repolink help' for the list", args[0])
	}
	return err
}

func exitCode(err error, stderr io.Writer) int {
	var usageErr *usageError
	var failed *failedError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &usageErr):
		if !usageErr.printed {
			fmt.Fprintln(stderr, "repolink:", terminalLines(err.Error()))
		}
		return exitInvalid
	case errors.Is(err, privatefile.ErrNotRegular):
		// A state file that is a symbolic link or a FIFO is invalid
		// input, wherever a command finds it.
		fmt.Fprintln(stderr, "repolink:", terminalLines(err.Error()))
		return exitInvalid
	case errors.As(err, &failed):
		return exitFailed
	case errors.As(err, new(*interruptedError)):
		return exitInterrupted
	default:
		fmt.Fprintln(stderr, "repolink:", terminalLines(err.Error()))
		return exitFailed
	}
}
