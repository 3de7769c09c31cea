package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sandbox"
)

// storeReadInterval is how often, in wall-clock time, the engine reads its
// store for work that another process wrote when it runs on a scaled clock.
// It matches the engine's default poll interval.
const storeReadInterval = 200 * time.Millisecond

// sandboxTiming holds the run flags that make bench uses to run the sandbox
// faster than the wall clock. They mean nothing against real clouds, so the
// usage text leaves them out.
type sandboxTiming struct {
	scale         *float64
	endpointDelay *time.Duration
}

// hiddenTimingFlags are the names of the sandboxTiming flags.
var hiddenTimingFlags = []string{"sandbox-clock-scale", "sandbox-endpoint-delay"}

func addSandboxTimingFlags(fs *flag.FlagSet) sandboxTiming {
	return sandboxTiming{
		scale: fs.Float64("sandbox-clock-scale", 1,
			"run the sandbox clouds, the engine's timers, the poller and the wait deadline this many times faster than the wall clock; --poll-interval is then on that clock"),
		endpointDelay: fs.Duration("sandbox-endpoint-delay", -1,
			"how long the sandbox Snowflake reports a new endpoint as pending after its connection is available, on the sandbox clock; negative keeps the latency profile's value"),
	}
}

// options checks the timing flags and sets the sandbox delays and clock of
// opts. latency is the value of --sandbox-latency: default, none or
// realistic (sandbox.RealisticDelays, for make bench).
func (t sandboxTiming) options(latency string, sandboxMode bool, opts *runtimeOptions) error {
	if !sandboxMode {
		// Name only the flags that were given, because the timing flags
		// are hidden from the usage text.
		var used []string
		if *t.scale != 1 {
			used = append(used, "--sandbox-clock-scale")
		}
		if *t.endpointDelay >= 0 {
			used = append(used, "--sandbox-endpoint-delay")
		}
		if latency == "realistic" {
			used = append(used, "--sandbox-latency realistic")
		}
		if len(used) > 0 {
			return usagef("%s only works with --sandbox; add --sandbox or remove it", strings.Join(used, " and "))
		}
	}
	if *t.endpointDelay > maxEndpointDelay {
		return usagef("--sandbox-endpoint-delay must be %s at most, not %s", maxEndpointDelay, *t.endpointDelay)
	}
	if *t.scale < 1 {
		return usagef("--sandbox-clock-scale must be 1 or more, not %g", *t.scale)
	}
	var delays sandbox.Delays
	switch latency {
	case "default":
		delays = sandbox.DefaultDelays
	case "none":
		delays = *sandbox.ZeroDelays
	case "realistic":
		delays = *sandbox.RealisticDelays
	}
	if *t.endpointDelay >= 0 {
		delays.EndpointCreated = *t.endpointDelay
	}
	opts.delays = &delays
	if *t.scale != 1 {
		opts.clock = sandbox.NewScaledClock(*t.scale)
	}
	return nil
}

// hideFlags makes the usage of fs list every flag except names.
func hideFlags(fs *flag.FlagSet, synopsis string, stderr io.Writer, names ...string) {
	hidden := map[string]bool{}
	for _, name := range names {
		hidden[name] = true
	}
	fs.Usage = func() {
		visible := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
		visible.SetOutput(stderr)
		fs.VisitAll(func(f *flag.Flag) {
			if !hidden[f.Name] {
				visible.Var(f.Value, f.Name, f.Usage)
				visible.Lookup(f.Name).DefValue = f.DefValue
			}
		})
		fmt.Fprintf(stderr, "Usage: repolink %s\n\nFlags:\n", synopsis)
		visible.PrintDefaults()
	}
}

// scaledEngineClock runs the engine on a sandbox.ScaledClock: due times
// come from its Now, and a timer of d lasts d divided by its factor.
type scaledEngineClock struct{ *sandbox.ScaledClock }

func (c scaledEngineClock) NewTimer(d time.Duration) engine.Timer {
	return wallTimer{time.NewTimer(c.Wall(d))}
}

type wallTimer struct{ t *time.Timer }

func (w wallTimer) C() <-chan time.Time { return w.t.C }
func (w wallTimer) Stop() bool          { return w.t.Stop() }
