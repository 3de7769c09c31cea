package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/sandbox"
)

// storeReadInterval is how often, in wall-clock time, the engine reads its
// store for work that another process wrote when it runs on a scaled clock.
// It matches the engine's default poll interval.
const storeReadInterval = 200 * time.Millisecond

// maxClockScale is the largest --sandbox-clock-scale. The sandbox issues
// its HTTPS certificates for 365 days of wall time (pyindex.CA.Issue).
// Preflight checks them on the scaled clock, which gets ahead of the wall
// clock by the scale times the wall time since the state directory's
// first run. So at this scale a state directory passes that check for
// about one hour of wall time. A scale of 1e9 fails the check during the
// first run. A scale of 1e12 also overflows time.Duration in the scaled
// clock within milliseconds and makes the engine's timers busy loops.
// NOTE: even below this scale, a state directory's certificate check fails
// once 365 days of its clock have passed, after about 365/scale days of
// wall time.
const maxClockScale = 365 * 24

// sandboxTiming holds the run flags that make bench uses to run the sandbox
// faster than the wall clock. They mean nothing against real clouds, so a
// run without --sandbox rejects them.
type sandboxTiming struct {
	scale         *float64
	endpointDelay *optionalDuration
}

func addSandboxTimingFlags(fs *flag.FlagSet) sandboxTiming {
	t := sandboxTiming{
		scale: fs.Float64("sandbox-clock-scale", 1,
			"factor by which the sandbox clouds, the engine's timers, the poller and the wait deadline run faster than the wall clock, "+
				fmt.Sprintf("from 1 to %d; --poll-interval is then on that clock. ", maxClockScale)+
				"A state directory keeps the scale of the run that created it: "+
				"later runs on it must give the same scale, and other commands on it use that scale (needs --sandbox)"),
		endpointDelay: &optionalDuration{},
	}
	fs.Var(t.endpointDelay, "sandbox-endpoint-delay",
		fmt.Sprintf("how long, as a `duration` on the sandbox clock such as 30m, the sandbox Snowflake reports a new endpoint "+
			"as pending after its connection is available, at most %d days (default: the delay of --sandbox-latency, "+
			"%s for default, %s for none, %s for realistic; needs --sandbox)",
			maxEndpointDelay/(24*time.Hour), sandbox.DefaultDelays.EndpointCreated, sandbox.ZeroDelays.EndpointCreated, sandbox.RealisticDelays.EndpointCreated))
	return t
}

// optionalDuration is the value of a duration flag that has no default of
// its own, so that its help states the default in words.
type optionalDuration struct {
	d   time.Duration
	set bool
}

func (o *optionalDuration) String() string {
	if o == nil || !o.set {
		return ""
	}
	return o.d.String()
}

func (o *optionalDuration) Set(value string) error {
	d, err := time.ParseDuration(value)
	if err != nil {
		return errors.New("parse error; use a duration such as 90s or 30m")
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	o.d, o.set = d, true
	return nil
}

// options checks the timing flags and sets the sandbox delays and clock of
// opts. latency is the value of --sandbox-latency: default, none or
// realistic (sandbox.RealisticDelays, for make bench).
func (t sandboxTiming) options(latency string, sandboxMode bool, opts *runtimeOptions) error {
	if !sandboxMode {
		// Name only the flags that were given.
		var used []string
		if *t.scale != 1 {
			used = append(used, "--sandbox-clock-scale")
		}
		if t.endpointDelay.set {
			used = append(used, "--sandbox-endpoint-delay")
		}
		if latency == "realistic" {
			used = append(used, "--sandbox-latency realistic")
		}
		if len(used) > 0 {
			return usagef("%s only works with --sandbox; add --sandbox or remove it", strings.Join(used, " and "))
		}
	}
	if t.endpointDelay.d > maxEndpointDelay {
		return usagef("--sandbox-endpoint-delay must be %s at most, not %s", maxEndpointDelay, t.endpointDelay.d)
	}
	if err := checkClockScale(*t.scale); err != nil {
		return err
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
	if t.endpointDelay.set {
		delays.EndpointCreated = t.endpointDelay.d
	}
	opts.delays = &delays
	if *t.scale != 1 {
		opts.clock = sandbox.NewScaledClock(*t.scale)
	}
	return nil
}

// checkClockScale returns a usage error unless scale is a valid
// --sandbox-clock-scale: a finite number from 1 to maxClockScale.
func checkClockScale(scale float64) error {
	// A NaN fails every comparison, so the check is written to pass only
	// the valid range.
	if scale >= 1 && scale <= maxClockScale {
		return nil
	}
	return usagef("--sandbox-clock-scale must be a number from 1 to %d, not %g", maxClockScale, scale)
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
