package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/repolink/repolink/functions/awaitendpoint"
	"github.com/repolink/repolink/shared/sandbox"
	"github.com/repolink/repolink/statemachines"
)

// waitLimits bound the endpoint wait as shipped: the poller fails a wait at
// its deadline, and the engine or Step Functions fails the AwaitEndpoint
// task at its TimeoutSeconds.
type waitLimits struct {
	Deadline time.Duration
	Timeout  time.Duration
}

// shippedWaitLimits reads the wait deadline that applies when the
// environment sets none, and AwaitEndpoint's TimeoutSeconds from the
// provision state machine.
func shippedWaitLimits() (waitLimits, error) {
	var definition struct {
		States map[string]struct {
			TimeoutSeconds int
		}
	}
	if err := json.Unmarshal(statemachines.Provision, &definition); err != nil {
		return waitLimits{}, fmt.Errorf("read the provision state machine: %w", err)
	}
	return waitLimits{
		Deadline: awaitendpoint.DefaultDeadline,
		Timeout:  time.Duration(definition.States["AwaitEndpoint"].TimeoutSeconds) * time.Second,
	}, nil
}

// delayRow is one line of the table of realistic delays.
type delayRow struct {
	Name  string
	Value time.Duration
}

// DelayRows lists sandbox.RealisticDelays.
func (r report) DelayRows() []delayRow {
	d := sandbox.RealisticDelays
	return []delayRow{
		{"EC2 instance running after launch", d.InstanceRunning},
		{"load balancer active after creation", d.LoadBalancerActive},
		{"target healthy after registration", d.TargetHealthy},
		{"endpoint connection available after acceptance", d.ConnectionAvailable},
		{"Snowflake endpoint CREATED after the connection is first seen available", d.EndpointCreated},
	}
}

// row is one line of the summary table.
type row struct {
	Measure, Result, Anchor, Target string
}

// miss explains a missed target.
type miss struct {
	Measure, Why string
}

// verdict returns the text of the target column.
func verdict(target string, met bool) string {
	if met {
		return target + ": met"
	}
	return target + ": **missed**"
}

func (r report) Ratio() float64 { return r.Engine.PerSecond / r.Peer.PerSecond }

// FloorRatio compares the rate of writing the history alone with the peer.
func (r report) FloorRatio() float64 { return r.Engine.FloorPerSecond / r.Peer.PerSecond }

// DurableRatio compares the rate of the writes that any durable engine
// needs with the peer.
func (r report) DurableRatio() float64 { return r.Engine.DurablePerSecond / r.Peer.PerSecond }

// LoopRun returns the polling-loop run for wait, or a zero run.
func (r report) LoopRun(wait time.Duration) loopRun {
	for _, run := range r.Loop.Runs {
		if run.Wait == wait {
			return run
		}
	}
	return loopRun{}
}

// LoopFormula is the number of transitions of the polling loop for wait:
// a Choice and a Wait state per interval.
func (r report) LoopFormula(wait time.Duration) int {
	if r.Loop.Interval <= 0 {
		return 0
	}
	return 2 * int(wait/r.Loop.Interval)
}

// RealisticMedian returns the realistic run with the median time beyond
// the critical path without the sandbox's first-sight lag, the lower one of
// the middle two for an even count.
func (r report) RealisticMedian() realisticRun {
	runs := slices.Clone(r.Provision.Realistic)
	if len(runs) == 0 {
		return realisticRun{}
	}
	slices.SortFunc(runs, func(a, b realisticRun) int {
		return int(a.BeyondWithoutFirstSight() - b.BeyondWithoutFirstSight())
	})
	return runs[(len(runs)-1)/2]
}

func (r report) queriesMet() bool {
	return r.Polls.Warm.EndpointsQueries == int64(r.Polls.Accounts) && r.Polls.Warm.Queries == int64(r.Polls.Accounts)
}

func waitMet(w waitRun) bool {
	return w.Status == "SUCCEEDED" && w.Transitions.Billed <= targetTransitions
}

func (r report) realisticMet() bool {
	m := r.RealisticMedian()
	return m.BeyondWithoutFirstSight() <= m.Target()
}

// realisticOver counts the realistic runs over the target.
func (r report) realisticOver() int {
	n := 0
	for _, run := range r.Provision.Realistic {
		if run.BeyondWithoutFirstSight() > run.Target() {
			n++
		}
	}
	return n
}

func bootstrapMet(size int64) bool { return float64(size) <= targetBootstrapMB*1e6 }

// Rows returns the summary table.
func (r report) Rows() []row {
	rows := []row{
		{
			"executions per second, embedded engine",
			fmt.Sprintf("%.0f", r.Engine.PerSecond),
			fmt.Sprintf("%s: %.0f (engine %.2fx)", r.Peer.Implementation, r.Peer.PerSecond, r.Ratio()),
			verdict(fmt.Sprintf("at least %.0fx", targetRatio), r.Ratio() >= targetRatio),
		},
		{
			"executions per second, writing only their history to SQLite as the engine stores it (one row per execution per write batch)",
			fmt.Sprintf("%.0f", r.Engine.FloorPerSecond),
			fmt.Sprintf("%s: %.0f (history alone %.2fx)", r.Peer.Implementation, r.Peer.PerSecond, r.FloorRatio()),
			"",
		},
		{
			"executions per second, writing only what a durable engine must (one commit per task outcome, history compressed in one row)",
			fmt.Sprintf("%.0f", r.Engine.DurablePerSecond),
			fmt.Sprintf("%s: %.0f (these writes alone %.2fx)", r.Peer.Implementation, r.Peer.PerSecond, r.DurableRatio()),
			"",
		},
		{
			fmt.Sprintf("memory that %d executions waiting on task tokens add (RSS)", r.Waits.Executions),
			fmt.Sprintf("%.1f MiB", r.Waits.RSSAdded),
			"",
			verdict(fmt.Sprintf("at most %.0f MiB", targetWaitsMiB), r.Waits.RSSAdded <= targetWaitsMiB),
		},
		{
			fmt.Sprintf("Snowflake queries per poll, %d waits over %d accounts", r.Polls.Waits, r.Polls.Accounts),
			fmt.Sprint(r.Polls.Warm.Queries),
			fmt.Sprintf("one query per wait: %d", r.Polls.Naive.Queries),
			verdict(fmt.Sprintf("%d, the number of accounts", r.Polls.Accounts), r.queriesMet()),
		},
	}
	for _, w := range r.Provision.Waits {
		result := fmt.Sprint(w.Transitions.Billed)
		if w.Status != "SUCCEEDED" {
			result = fmt.Sprintf("%d, then the run %s after %s of waiting", w.Transitions.Billed, strings.ToLower(w.Status), span(w.Awaited))
		}
		rows = append(rows, row{
			fmt.Sprintf("state transitions per provision run, %s endpoint wait, no other cloud delays", hours(w.Wait)),
			result,
			r.loopAnchor(w.Wait),
			verdict(fmt.Sprintf("at most %d", targetTransitions), waitMet(w)),
		})
	}
	m := r.RealisticMedian()
	rows = append(rows,
		row{
			"state transitions per provision run, realistic cloud delays (median run)",
			fmt.Sprintf("%d (%d states entered, %d retries)", m.Transitions.Billed, m.Transitions.Entered, m.Transitions.Retries),
			"",
			verdict(fmt.Sprintf("at most %d", targetTransitions), m.Transitions.Billed <= targetTransitions),
		},
		row{
			fmt.Sprintf("wall time of a sandbox run, no cloud delays (median of %d)", len(r.Provision.Zero.Seconds)),
			fmt.Sprintf("%.2f s", r.Provision.Zero.Median),
			"",
			verdict(fmt.Sprintf("under %.0f s", targetZeroSeconds), r.Provision.Zero.Median < targetZeroSeconds),
		},
		row{
			fmt.Sprintf("time beyond the critical path, realistic cloud delays (median of %d)", len(r.Provision.Realistic)),
			fmt.Sprintf("%s (%s with the sandbox's first-sight lag)", seconds(m.BeyondWithoutFirstSight()), seconds(m.BeyondAtWallSpeed())),
			fmt.Sprintf("critical path: %s", seconds(m.Critical)),
			r.realisticVerdict(),
		},
	)
	for _, arch := range []string{"arm64", "amd64"} {
		size := r.Lambda.Sizes[arch]
		rows = append(rows, row{
			fmt.Sprintf("Lambda bootstrap size, %s, stripped", arch),
			fmt.Sprintf("%.1f MB (%.1f MiB)", float64(size)/1e6, float64(size)/(1<<20)),
			"",
			verdict(fmt.Sprintf("at most %.0f MB", targetBootstrapMB), bootstrapMet(size)),
		})
	}
	for _, init := range r.Lambda.Inits {
		rows = append(rows, row{
			fmt.Sprintf("Lambda bootstrap init time, %s, REPOLINK_HANDLER=%s (median of %d)", r.Lambda.Arch, init.Handler, len(init.Seconds)),
			fmt.Sprintf("%.0f ms", init.Median*1000),
			"",
			verdict(fmt.Sprintf("at most %.0f ms", targetInitSeconds*1000), init.Median <= targetInitSeconds),
		})
	}
	return rows
}

// realisticVerdict judges the median run and counts the runs over the target.
func (r report) realisticVerdict() string {
	m := r.RealisticMedian()
	text := verdict(fmt.Sprintf("at most %s, one poll interval plus 5%% of the critical path", seconds(m.Target())), r.realisticMet())
	if over := r.realisticOver(); over > 0 && r.realisticMet() {
		text += fmt.Sprintf(" by the median, but %d of %d runs were over", over, len(r.Provision.Realistic))
	}
	return text
}

// loopAnchor describes the 30-second polling loop for the same wait:
// measured when the engine ran it to the end, by formula otherwise.
func (r report) loopAnchor(wait time.Duration) string {
	loop := r.LoopRun(wait)
	if loop.Status == "SUCCEEDED" {
		return fmt.Sprintf("%s polling loop: %d (measured)", r.LoopName(), loop.Transitions)
	}
	return fmt.Sprintf("%s polling loop: %d (formula)", r.LoopName(), r.LoopFormula(wait))
}

// LoopName names the polling loop by its interval: "30-second".
func (r report) LoopName() string {
	return fmt.Sprintf("%g-second", r.Loop.Interval.Seconds())
}

// Misses explains every missed target.
func (r report) Misses() []miss {
	var out []miss
	if r.Ratio() < targetRatio {
		explanation := "The engine is durable and aws-local-stepfunctions is not. The engine writes every execution's history " +
			"to SQLite, groups the writes of many transitions into shared transactions, and runs the Pass, Choice and Task " +
			"entry transitions of a cursor in one request. But a task function runs only after its TaskStarted event " +
			"committed, and its outcome commits before anything that depends on it is published. aws-local-stepfunctions " +
			"keeps executions as JavaScript objects and writes nothing, so a transition costs it microseconds."
		if r.Engine.FloorPerSecond > 0 {
			explanation += r.floorExplanation()
		}
		if r.Engine.DurablePerSecond > 0 {
			explanation += fmt.Sprintf(" The durability rules are that a task that completed never runs again, so each "+
				"task outcome commits before the next task starts, and that the history lives in SQLite. An estimate of "+
				"the writes that an engine must make to keep them, with no state machine work at all, ran at %.0f "+
				"executions/s, %.2fx the peer, with the history compressed to %d bytes per execution.",
				r.Engine.DurablePerSecond, r.DurableRatio(), r.Engine.CompressedBytes)
			if r.DurableRatio() < targetRatio {
				explanation += fmt.Sprintf(" Below %.0fx for the writes alone, the %.0fx target cannot be met on this machine "+
					"by an engine that keeps those rules.", targetRatio, targetRatio)
			} else {
				explanation += fmt.Sprintf(" So the writes alone do not rule out %.0fx. An engine that reaches it would keep "+
					"executions in memory and make the Pass, Choice and Task transitions between two task outcomes without "+
					"SQL. It would write one row per task outcome and the history compressed, as these writes do. All of that, state "+
					"machine work included, would have to fit in the %.0f%% of the time that these writes leave.",
					targetRatio, 100*(1-targetRatio*r.Peer.PerSecond/r.Engine.DurablePerSecond))
			}
		}
		out = append(out, miss{"Engine throughput", explanation})
	}
	if r.Waits.RSSAdded > targetWaitsMiB {
		out = append(out, miss{"Memory of waiting executions", fmt.Sprintf("%d waiting executions added %.1f MiB of resident memory and %.1f MiB of Go heap.",
			r.Waits.Executions, r.Waits.RSSAdded, r.Waits.HeapAfter-r.Waits.HeapBefore)})
	}
	if !r.queriesMet() {
		out = append(out, miss{"Snowflake queries per poll", fmt.Sprintf("A poll over %d accounts sent %d query requests, %d of them for SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO.",
			r.Polls.Accounts, r.Polls.Warm.Queries, r.Polls.Warm.EndpointsQueries)})
	}
	for _, w := range r.Provision.Waits {
		if waitMet(w) {
			continue
		}
		why := fmt.Sprintf("The run with a %s endpoint wait took %d transitions.", hours(w.Wait), w.Transitions.Billed)
		if w.Status != "SUCCEEDED" {
			why = fmt.Sprintf("The run cannot wait %s: it ended %s with the error %s after %s in AwaitEndpoint and %d transitions. "+
				"The poller fails a wait at its deadline, %s after the wait is registered unless the environment sets another "+
				"(REPOLINK_WAIT_DEADLINE on Lambda; repolink run and repolink up set none).",
				words(w.Wait), w.Status, w.Error, span(w.Awaited), w.Transitions.Billed, span(r.WaitLimits.Deadline))
			if r.WaitLimits.Timeout > 0 {
				why += fmt.Sprintf(" AwaitEndpoint's TimeoutSeconds also fails the task after %s.", span(r.WaitLimits.Timeout))
			}
			why += fmt.Sprintf(" A %s wait needs the limits raised; the transitions do not grow with the wait, as the runs "+
				"with shorter waits show.", hours(w.Wait))
		}
		out = append(out, miss{fmt.Sprintf("Transitions with a %s wait", hours(w.Wait)), why})
	}
	if m := r.RealisticMedian(); m.Transitions.Billed > targetTransitions {
		out = append(out, miss{"Transitions with realistic cloud delays", fmt.Sprintf("%d states entered and %d NotReady retries.",
			m.Transitions.Entered, m.Transitions.Retries)})
	}
	if r.Provision.Zero.Median >= targetZeroSeconds {
		out = append(out, miss{"Wall time with no cloud delays", fmt.Sprintf("The median run took %.2f s; the runs took %s s.",
			r.Provision.Zero.Median, joinSeconds(r.Provision.Zero.Seconds))})
	}
	if !r.realisticMet() {
		out = append(out, miss{"Time beyond the critical path", r.beyondExplanation()})
	}
	for _, arch := range []string{"arm64", "amd64"} {
		if size := r.Lambda.Sizes[arch]; !bootstrapMet(size) {
			out = append(out, miss{"Bootstrap size, " + arch, r.sizeExplanation(arch, size)})
		}
	}
	for _, init := range r.Lambda.Inits {
		if init.Median > targetInitSeconds {
			out = append(out, miss{"Init time, " + init.Handler, fmt.Sprintf("The starts took %s s.", joinSeconds(init.Seconds))})
		}
	}
	return out
}

// floorExplanation compares the engine with the history floor of the
// same run.
func (r report) floorExplanation() string {
	text := fmt.Sprintf(" The same run measured what storing the history alone costs. Each execution's %d events and "+
		"%.1f KB of event details were stored as the engine stored them, in %.1f event_parts rows of %.1f KB in all, "+
		"one row per write batch that changed the execution. Written in bulk (64 rows per statement, one transaction "+
		"for all %d executions), they ran at %.0f executions/s, %.2fx the peer.",
		r.Engine.Events, float64(r.Engine.HistoryBytes)/1000, r.Engine.Parts, float64(r.Engine.PartBytes)/1000,
		r.Engine.Executions, r.Engine.FloorPerSecond, r.FloorRatio())
	share := 100 * r.Engine.PerSecond / r.Engine.FloorPerSecond
	if r.Engine.PerSecond < r.Engine.FloorPerSecond {
		text += fmt.Sprintf(" The engine writes the same rows in one transaction per write batch, together with the "+
			"state of each execution, and reached %.0f%% of that rate.", share)
	} else {
		text += fmt.Sprintf(" The engine, which writes the same rows and more, ran at %.0f%% of that rate, so in this "+
			"run the history floor bounds nothing; other load on the machine can slow either measurement.", share)
	}
	if r.FloorRatio() < targetRatio {
		text += fmt.Sprintf(" Below %.0fx for the history alone, the %.0fx target cannot be met on this machine by an "+
			"engine that stores its history this way.", targetRatio, targetRatio)
	} else {
		text += fmt.Sprintf(" So storing the history this way does not by itself rule out %.0fx.", targetRatio)
	}
	return text
}

// beyondSources splits a realistic run's time beyond the critical path:
// the states that wait for a cloud delay with NotReady retries, the
// sandbox's first-sight lag, AwaitEndpoint after the endpoint was CREATED,
// and the other states. The other states include AwaitEndpoint's time that
// is neither, such as its registration.
func beyondSources(run realisticRun) (retries, firstSight, detection, other time.Duration) {
	for _, step := range run.Steps {
		switch {
		case step.State == "AwaitEndpoint":
			other += step.Beyond() - run.FirstSight - run.Detection
		case step.Delay > 0:
			retries += step.Beyond()
		default:
			other += step.Duration
		}
	}
	return retries, run.FirstSight, run.Detection, other
}

// BeyondNote explains where the time beyond the critical path goes.
func (r report) BeyondNote() string {
	m := r.RealisticMedian()
	retries, _, _, other := beyondSources(m)
	text := "The states that wait for a cloud delay retry on NotReady at intervals that grow by half from 2 s " +
		"(2, 3, 4.5, ... s, at most 60 s), so a step sees its resource ready up to half the time it already waited " +
		"plus 2 s, or 60 s, after it is. AwaitEndpoint ends " +
		"at the first poll after the endpoint is CREATED, up to one poll interval late. The sandbox Snowflake starts " +
		"the endpoint's own delay only when a query first sees the connection available, which during the wait is " +
		"the poller's next poll. Snowflake itself does not wait for a query, so this first-sight lag is left out of " +
		"the result."
	if r.quantizedDetection() {
		text += " It also makes the endpoint turn CREATED at a poll, because the endpoint's delay is a whole number " +
			"of poll intervals. The poll that should see it CREATED comes at that moment or a moment too early, so the " +
			"detection takes either nothing or a whole poll interval, where against Snowflake it would take anything " +
			"in between."
	}
	return text + fmt.Sprintf(" With half a poll interval for the detection, the median run's retries and other "+
		"states put the time beyond the critical path at an estimated %s on average, and %s at most. Other load on "+
		"the machine stretches the rest, because the scaled clock multiplies every wall-clock delay of the engine "+
		"and the sandbox by the scale.", seconds(retries+other+m.Poll/2), seconds(retries+other+m.Poll))
}

// quantizedDetection reports whether the endpoint's delay is a whole
// number of poll intervals.
func (r report) quantizedDetection() bool {
	poll := r.RealisticMedian().Poll
	return poll > 0 && sandbox.RealisticDelays.EndpointCreated%poll == 0
}

// beyondExplanation splits the median realistic run's time beyond the
// critical path by where it was spent.
func (r report) beyondExplanation() string {
	m := r.RealisticMedian()
	retries, _, detection, other := beyondSources(m)
	text := fmt.Sprintf("The median run spent %s beyond the critical path without the sandbox's first-sight lag, %s over "+
		"the target. Of that, %s went to the retries of the states that wait for a cloud delay, %s to AwaitEndpoint after "+
		"the endpoint was CREATED, and %s to the other states. The NotReady retries take %s of the %s allowed, because "+
		"their intervals grow to tens of seconds while the load balancer provisions.",
		seconds(m.BeyondWithoutFirstSight()), seconds(m.BeyondWithoutFirstSight()-m.Target()),
		seconds(retries), seconds(detection), seconds(other), seconds(retries), seconds(m.Target()))
	if retries+other+m.Poll > m.Target() {
		text += " A detection that takes a whole poll interval does not fit in the rest."
	}
	estimate := retries + other + m.Poll/2
	met := "within"
	if estimate > m.Target() {
		met = "over"
	}
	text += fmt.Sprintf(" With half a poll interval for the detection, as against Snowflake on average, the estimate "+
		"is %s, %s the target.", seconds(estimate), met)
	if r.quantizedDetection() {
		text += " The method section explains why the sandbox's detection takes nothing or a whole poll interval."
	}
	return text
}

// sizeExplanation names the largest modules of the bootstrap.
func (r report) sizeExplanation(arch string, size int64) string {
	var parts []string
	for _, m := range r.Lambda.Modules[:min(4, len(r.Lambda.Modules))] {
		parts = append(parts, fmt.Sprintf("%s %.1f MB", m.Module, float64(m.Bytes)/1e6))
	}
	return fmt.Sprintf("The %s bootstrap is %.2f MB, %.2f MB over. One binary serves every step and service handler, so it links "+
		"the Snowflake driver with its Arrow result decoder, the AWS SDK clients, and everything the handlers import. "+
		"By code and read-only data the largest modules are %s.",
		arch, float64(size)/1e6, float64(size)/1e6-targetBootstrapMB, strings.Join(parts, ", "))
}

// headlines are the lines that the report prints at the end.
func (r report) headlines() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Snowflake queries per poll (%d waits, %d accounts): %d vs %d for one query per wait: %.0fx fewer\n",
		r.Polls.Waits, r.Polls.Accounts, r.Polls.Warm.Queries, r.Polls.Naive.Queries, ratio(r.Polls.Naive.Queries, r.Polls.Warm.Queries))

	hour := r.LoopRun(time.Hour)
	for _, w := range r.Provision.Waits {
		anchor := r.LoopFormula(w.Wait)
		if w.Wait == time.Hour && hour.Status == "SUCCEEDED" {
			anchor = hour.Transitions
		}
		if w.Status != "SUCCEEDED" {
			fmt.Fprintf(&b, "state transitions per run, %s wait: the run %s after %s of waiting and %d transitions; a %s polling loop takes %d\n",
				hours(w.Wait), strings.ToLower(w.Status), span(w.Awaited), w.Transitions.Billed, r.LoopName(), anchor)
			continue
		}
		fmt.Fprintf(&b, "state transitions per run, %s wait: %d vs %d for a %s polling loop: %.0fx fewer\n",
			hours(w.Wait), w.Transitions.Billed, anchor, r.LoopName(), ratio(int64(anchor), int64(w.Transitions.Billed)))
	}

	m := r.RealisticMedian()
	fmt.Fprintf(&b, "realistic runs: %d transitions, %s beyond a %s critical path by the median, %d of %d runs over (target %s)\n",
		m.Transitions.Billed, seconds(m.BeyondWithoutFirstSight()), seconds(m.Critical), r.realisticOver(), len(r.Provision.Realistic), seconds(m.Target()))
	fmt.Fprintf(&b, "sandbox run with no cloud delays: %.2f s median (target under %.0f s)\n", r.Provision.Zero.Median, targetZeroSeconds)
	fmt.Fprintf(&b, "engine %.0f executions/s vs %s %.0f: %.2fx (target %.0fx); %d token waits add %.1f MiB RSS (target %.0f MiB)\n",
		r.Engine.PerSecond, r.Peer.Implementation, r.Peer.PerSecond, r.Ratio(), targetRatio, r.Waits.Executions, r.Waits.RSSAdded, targetWaitsMiB)
	fmt.Fprintf(&b, "Lambda bootstrap: arm64 %.1f MB, amd64 %.1f MB (target %.0f MB)", float64(r.Lambda.Sizes["arm64"])/1e6,
		float64(r.Lambda.Sizes["amd64"])/1e6, targetBootstrapMB)
	for _, init := range r.Lambda.Inits {
		fmt.Fprintf(&b, "; init %s %.0f ms", init.Handler, init.Median*1000)
	}
	fmt.Fprintf(&b, " (target %.0f ms)\n", targetInitSeconds*1000)
	return b.String()
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// seconds formats a duration in seconds with one decimal.
func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// hours formats a wait as an adjective: "1-hour", "23-hour", "7-day".
func hours(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d-day", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d-hour", d/time.Hour)
	}
	return fmt.Sprintf("%.1f-hour", d.Hours())
}

// words formats a wait as a noun: "1 hour", "23 hours", "7 days".
func words(d time.Duration) string {
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	if d == time.Hour {
		return "1 hour"
	}
	return fmt.Sprintf("%g hours", d.Hours())
}

// span formats a long duration in hours with one decimal.
func span(d time.Duration) string { return fmt.Sprintf("%.1f h", d.Hours()) }

func joinSeconds(values []float64) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%.2f", v)
	}
	return strings.Join(parts, ", ")
}

func joinMilliseconds(values []float64) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%.0f", v*1000)
	}
	return strings.Join(parts, ", ")
}
