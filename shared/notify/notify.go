// Package notify posts the result of each closed execution, and the warning
// that a stored index credential expires soon, to the request's notify.url,
// signed like the request webhook, with retries and backoff. It
// records every notification and its delivery state in SQLite, so that a
// restarted service goes on where the last one stopped.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/noredirect"
	"github.com/repolink/repolink/shared/notify/payload"
	"github.com/repolink/repolink/shared/publicaddr"
	"github.com/repolink/repolink/shared/storehealth"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// Events of a notification.
const (
	EventSucceeded     = payload.EventSucceeded
	EventNeedsOperator = payload.EventNeedsOperator
	EventTornDown      = payload.EventTornDown
)

// State machines whose runs send notifications.
const (
	MachineProvision     = payload.MachineProvision
	MachineTeardown      = payload.MachineTeardown
	MachineEgressRefresh = "egress-refresh"
)

// Notification is the JSON body posted to notify.url.
type Notification = payload.Notification

// Executions lists the executions of the engine that closed at or after a
// time, the earliest first, and returns the history of one execution.
type Executions interface {
	ClosedSince(ctx context.Context, since time.Time) ([]engine.Execution, error)
	History(ctx context.Context, name string) ([]engine.Event, error)
}

// scanOverlap is how far before the latest stop time that Scan saw the
// next Scan starts, so that an execution whose stop time is a little
// earlier but that committed later is not missed. Records are added once
// per run, so seeing an execution twice changes nothing.
const scanOverlap = 5 * time.Second

// Retry policy defaults.
const (
	DefaultMaxAttempts = 10
	DefaultBaseDelay   = 2 * time.Second
	DefaultMaxDelay    = 5 * time.Minute
	// requestTimeout bounds one delivery attempt.
	requestTimeout = 10 * time.Second
	// claimFor is how long a notifier holds a record for one attempt. It
	// exceeds requestTimeout, so the claim outlasts the attempt, and the
	// claim of a process that exited during an attempt ends after it.
	claimFor = requestTimeout + 5*time.Second
	// claimPoll is how often Send looks again at a record that another
	// notifier on the store is attempting.
	claimPoll = 100 * time.Millisecond
	// releaseTimeout bounds the store write that gives up the claim of an
	// abandoned attempt.
	releaseTimeout = 5 * time.Second
	// DefaultShutdownGrace is the default of Config.ShutdownGrace.
	DefaultShutdownGrace = 5 * time.Second
)

// HeaderDeliveryID is the header that carries the delivery ID of a
// notification, the same on every attempt (see Store.DeliveryID).
const HeaderDeliveryID = "X-Repolink-Delivery-ID"

// Config configures a Notifier.
type Config struct {
	Store      *Store
	Executions Executions
	// Secret signs every notification. It must not be empty.
	Secret []byte
	// Sandbox calls only loopback receivers and records any other URL as
	// skipped. Outside sandbox mode only https:// URLs are called.
	Sandbox bool
	// CommandFlags are the flags that the repolink command in a
	// notification's next field needs for this state directory, such as
	// " --sandbox --state-dir /srv/repolink", with a leading space.
	CommandFlags string
	// TicketSystem returns the name of the ticket system, such as Jira,
	// whose delivery to the webhook started the provision execution
	// named execution, or "" when none did. A changed request of such a
	// run comes from a ticket update, so its next field advises that and
	// no request file. Nil means that no run came from a ticket.
	TicketSystem func(ctx context.Context, execution string) (string, error)
	// Client sends the notifications; nil means a client with a 10 second
	// timeout that, outside sandbox mode, connects only to public addresses
	// (see publicaddr.Transport). Redirects are never followed, so a signed
	// body goes only to the URL in the request.
	Client *http.Client
	Now    func() time.Time
	Logger *slog.Logger
	// MaxAttempts, BaseDelay and MaxDelay set the retry policy: the delay
	// doubles from BaseDelay up to MaxDelay. Zero values take the defaults.
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	// MaxConcurrent is the maximum number of deliveries that Run and
	// Deliver have in flight at once, across receivers. Zero takes
	// DefaultMaxConcurrent.
	MaxConcurrent int
	// ShutdownGrace is how long the attempts in flight when Run's context
	// ends may still run to record their outcome. Run starts no attempt
	// after its context ends. Zero takes DefaultShutdownGrace, and a
	// negative value abandons the attempts at once.
	ShutdownGrace time.Duration
	// StoreHealth, when set, records the outcomes of Run's scans and
	// deliveries, which write to the notification store. Run then leaves
	// the logging of a full or read-only store to StoreHealth and does not
	// log each failed pass.
	StoreHealth *storehealth.Monitor
}

// Notifier finds closed executions and delivers their notifications.
type Notifier struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu   sync.Mutex
	mark time.Time // start of the next Scan, unless the store's start is later

	queue *deliveryQueue
}

// New checks the configuration and returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("notification secret is empty; notifications are signed like the webhook, so set REPOLINK_WEBHOOK_SECRET")
	}
	if cfg.Store == nil || cfg.Executions == nil {
		return nil, errors.New("notifier needs a store and executions")
	}
	if cfg.Client == nil && !cfg.Sandbox {
		cfg.Client = &http.Client{Timeout: requestTimeout, Transport: publicaddr.Transport()}
	}
	cfg.Client = noredirect.Client(cfg.Client, requestTimeout)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = DefaultBaseDelay
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = DefaultMaxDelay
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.ShutdownGrace == 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{cfg: cfg, log: log, wake: make(chan struct{}, 1), queue: newDeliveryQueue(cfg.MaxConcurrent)}, nil
}

// Wake makes Run look for closed executions at once, such as after the
// engine reported that an execution closed.
func (n *Notifier) Wake() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run looks for closed executions and starts the delivery of due
// notifications every interval and on Wake, until ctx is done. It does not
// wait for the deliveries that it started before it looks again, so a slow
// receiver delays only its own notifications. When ctx is done, Run starts
// no further attempt and gives the attempts in flight Config.ShutdownGrace
// to finish. It then abandons the rest, which leaves their notifications
// pending in the store, and returns once every delivery has stopped.
func (n *Notifier) Run(ctx context.Context, interval time.Duration) {
	attemptCtx, cancelAttempts := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAttempts()
	stopGrace := context.AfterFunc(ctx, func() {
		if queued := n.queue.size(); queued > 0 {
			n.log.Info("notifier stopping; attempts in flight may finish", "queued_or_in_flight", queued,
				"grace", n.cfg.ShutdownGrace.String())
		}
		time.AfterFunc(n.cfg.ShutdownGrace, cancelAttempts)
	})
	defer stopGrace()

	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	defer n.queue.wait()
	for {
		if err := n.Scan(ctx); err != nil && ctx.Err() == nil && !n.cfg.StoreHealth.Record(err) {
			n.log.Warn("look for closed executions failed", "error", err)
		}
		if _, err := n.startDue(ctx, attemptCtx); err != nil && ctx.Err() == nil && !n.cfg.StoreHealth.Record(err) {
			n.log.Warn("deliver notifications failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-n.wake:
		}
	}
}

// Scan records a notification for every execution that closed since the
// store was created and has a notify.url, once per run (a redrive is a new
// run). It reads only the executions that closed since a little before the
// latest stop time that the last Scan saw.
func (n *Notifier) Scan(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	since, err := n.cfg.Store.since(ctx)
	if err != nil {
		return err
	}
	if n.mark.After(since) {
		since = n.mark
	}
	execs, err := n.cfg.Executions.ClosedSince(ctx, since)
	if err != nil {
		return err
	}
	now := n.cfg.Now()
	for _, x := range execs {
		if x.Status == engine.StatusRunning || x.StoppedAt.Before(since) {
			continue
		}
		if mark := x.StoppedAt.Add(-scanOverlap); mark.After(n.mark) {
			n.mark = mark
		}
		if _, err := n.record(ctx, x, now); err != nil {
			return err
		}
	}
	return nil
}

// record stores the notification of closed execution x, once per run, and
// reports whether x's request has a notify.url.
func (n *Notifier) record(ctx context.Context, x engine.Execution, now time.Time) (bool, error) {
	var doc workflow.Document
	if json.Unmarshal(x.Input, &doc) != nil || doc.Request.Notify == nil || doc.Request.Notify.URL == "" {
		return false, nil
	}
	var resources json.RawMessage
	if x.Status != engine.StatusSucceeded {
		var err error
		if resources, err = n.lastResources(ctx, x.Name); err != nil {
			return true, err
		}
	}
	body, err := json.Marshal(Build(x, doc, resources, n.cfg.CommandFlags, n.ticketSystem(ctx, x)))
	if err != nil {
		return true, fmt.Errorf("encode notification of %s: %w", x.Name, err)
	}
	rec := Record{Execution: x.Name, RedriveCount: x.RedriveCount, URL: doc.Request.Notify.URL,
		Body: body, State: StatePending, NextAt: now}
	if reason := n.skipReason(rec.URL); reason != "" {
		rec.State, rec.LastError = StateSkipped, reason
	}
	added, err := n.cfg.Store.add(ctx, rec, now)
	if err != nil {
		return true, err
	}
	if added && rec.State == StateSkipped {
		n.log.Info("notification skipped", "execution", x.Name, "redrive_count", x.RedriveCount, "reason", rec.LastError)
	}
	return true, nil
}

// Send records the notification of closed execution x and delivers it,
// with the retries of Deliver, until it is delivered, skipped or failed, or
// until wait has passed. When the next retry falls after wait, Send makes
// a last attempt as wait ends. It returns the record in its last
// state, and false when x's request has no notify.url. A notification that
// is still pending stays in the store, so a later notifier on the same
// store, such as that of repolink up, retries it.
func (n *Notifier) Send(ctx context.Context, x engine.Execution, wait time.Duration) (Record, bool, error) {
	if x.Status == engine.StatusRunning {
		return Record{}, false, fmt.Errorf("execution %s is still running, so it has no notification yet", x.Name)
	}
	deadline := n.cfg.Now().Add(wait)
	ok, err := n.record(ctx, x, n.cfg.Now())
	if err != nil || !ok {
		return Record{}, ok, err
	}
	lastAttempted := false
	for {
		rec, err := n.cfg.Store.Get(ctx, x.Name, x.RedriveCount)
		if err != nil {
			return Record{}, true, err
		}
		if rec.State != StatePending {
			return rec, true, nil
		}
		now := n.cfg.Now()
		delay := rec.NextAt.Sub(now)
		if delay <= 0 {
			if n.attempt(ctx, rec, true) {
				continue
			}
			// Another notifier on the store, such as that of another
			// process, attempts it now, so Send waits for its outcome.
			if !now.Before(deadline) {
				return rec, true, nil
			}
			select {
			case <-ctx.Done():
				return rec, true, ctx.Err()
			case <-time.After(min(claimPoll, deadline.Sub(now))):
			}
			continue
		}
		// A retry due after the deadline is replaced by a last attempt at
		// the deadline, so that Send retries for the whole of wait. The
		// record keeps the later retry time for the next notifier.
		last := rec.NextAt.After(deadline)
		if last {
			delay = deadline.Sub(n.cfg.Now())
			if lastAttempted || delay <= 0 {
				return rec, true, nil
			}
		}
		select {
		case <-ctx.Done():
			return rec, true, ctx.Err()
		case <-time.After(delay):
		}
		if last {
			lastAttempted = true
			n.attempt(ctx, rec, false)
		}
	}
}

// ticketSystem returns Config.TicketSystem of the provision execution x,
// or "" for other executions. A failed read is logged and returns "", so
// the notification goes out with the advice for a run without a ticket
// rather than not at all.
func (n *Notifier) ticketSystem(ctx context.Context, x engine.Execution) string {
	if n.cfg.TicketSystem == nil || (x.Machine != "" && x.Machine != MachineProvision) {
		return ""
	}
	system, err := n.cfg.TicketSystem(ctx, x.Name)
	if err != nil {
		n.log.Warn("read the ticket system that started the execution failed; the next field gives the advice for a run without a ticket",
			"execution", x.Name, "error", err)
		return ""
	}
	return system
}

// skipReason returns the reason a URL is not called, or "" when it is.
func (n *Notifier) skipReason(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "$.notify.url is not a valid URL"
	}
	if n.cfg.Sandbox {
		if !IsLoopback(u.Host) {
			return "sandbox mode calls only receivers on a loopback address, such as http://127.0.0.1:PORT/"
		}
		return ""
	}
	if u.Scheme != "https" {
		return "$.notify.url must use https:// outside sandbox mode"
	}
	if problem := publicaddr.HostProblem(u.Hostname()); problem != "" {
		return "$.notify.url host is " + problem + ", which is called only in sandbox mode"
	}
	return ""
}

// SandboxSkips reports whether a notifier in sandbox mode skips the notify
// URL raw because its host is not a loopback address, and returns that
// host with its port. It returns false for a URL without a host, which the
// notifier skips as invalid instead.
func SandboxSkips(raw string) (host string, skipped bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", false
	}
	return u.Host, !IsLoopback(u.Host)
}

// IsLoopback reports whether host is localhost or a loopback IP address.
// It accepts host in the form of a URL host or an HTTP Host header, so
// with or without a port, and with an IPv6 address in brackets or without.
func IsLoopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// lastResources returns $.resources as the last finished state of
// execution name left it, or nil when no state output has them.
func (n *Notifier) lastResources(ctx context.Context, name string) (json.RawMessage, error) {
	events, err := n.cfg.Executions.History(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", name, err)
	}
	details := make([]json.RawMessage, len(events))
	for i, ev := range events {
		details[i] = ev.Details
	}
	return execview.LastResources(details), nil
}

// Build returns the notification of a closed execution. resources are
// $.resources as the last finished state of a run that did not succeed left
// them, or nil. flags are the command flags of the state directory, as in
// Config.CommandFlags, and Build also adds them to the repolink commands that
// the cause quotes. ticketSystem names the ticket system whose delivery
// started x, as Config.TicketSystem returns it, or is "".
func Build(x engine.Execution, doc workflow.Document, resources json.RawMessage, flags, ticketSystem string) Notification {
	return payload.Build(payload.Run{
		Machine:      x.Machine,
		Name:         x.Name,
		RequestID:    doc.Request.ID,
		Status:       x.Status,
		RedriveCount: x.RedriveCount,
		StartedAt:    x.StartedAt,
		StoppedAt:    x.StoppedAt,
		Output:       x.Output,
		Error:        x.Error,
		Cause:        workflow.AddCommandFlags(x.Cause, flags),
		State:        x.CurrentState,
		Next:         nextAction(x, flags, ticketSystem, doc.Request.ID),
		Resources:    resources,
	})
}

// nextAction returns the operator's next action for the closed execution
// x of the request with ID ticket. In the sandbox, a run that found no
// free place among the account's private endpoints is advised to reset the
// sandbox first. ticketSystem is as for Build.
func nextAction(x engine.Execution, flags, ticketSystem, ticket string) string {
	cmds := nextCommands(x, flags)
	if ticketSystem != "" && cmds.Rerun != "" {
		// The operator of a ticket has no request file, and the ticket
		// key is the request ID, so a changed request comes from the
		// ticket. No command starts the unchanged request from a ticket
		// again, so the advice that needs one names none.
		cmds.Rerun = workflow.RerunByTicket(ticketSystem, ticket)
		cmds.Run = ""
	}
	next := workflow.NextActionForCause(x.Status, x.Error, x.Cause, cmds)
	return workflow.SandboxLimitNext(x.Error, x.Cause, flags, cmds.Run, next)
}

// nextCommands returns the commands that continue a closed execution. A
// changed request of a provision run starts again through the webhook or
// repolink run, and repolink teardown removes what it built. A changed
// request of an egress-refresh run starts again outside repolink's
// commands. Other runs, such as a teardown, take their request from a
// provision run, so only a redrive continues them.
func nextCommands(x engine.Execution, flags string) workflow.NextCommands {
	cmds := workflow.NextCommands{Redrive: fmt.Sprintf("run 'repolink redrive%s %s'", flags, x.Name)}
	switch x.Machine {
	case "", MachineProvision:
		cmds.Rerun = fmt.Sprintf("%s, or run 'repolink run%s REQUEST' with the changed request file", workflow.RerunByWebhook, flags)
		cmds.Teardown = fmt.Sprintf("run 'repolink teardown%s %s'", flags, x.Name)
		cmds.Run = fmt.Sprintf("run 'repolink run%s REQUEST' with the request file", flags)
	case MachineEgressRefresh:
		cmds.Rerun = workflow.RerunEgressRefresh
	}
	return cmds
}

// Deliver sends every due notification once and schedules a retry for those
// that failed with a status or error worth retrying. It sends them as Run
// does, concurrently across receivers and in order to each receiver, and
// returns when they are done. A notification that Run is delivering at the
// time is left to Run.
func (n *Notifier) Deliver(ctx context.Context) error {
	started, err := n.startDue(ctx, ctx)
	started.Wait()
	if err != nil {
		return err
	}
	return ctx.Err()
}

// attempt posts the pending notification rec once, when it can claim rec,
// and stores the outcome. With due, the next attempt of rec must be due
// now. It reports whether it posted, which it does not when another
// notifier on the store attempts rec or attempted it since rec was read.
func (n *Notifier) attempt(ctx context.Context, rec Record, due bool) bool {
	started := n.cfg.Now()
	claimedAttempts, claimedUntil := rec.Attempts, started.Add(claimFor)
	claimed, err := n.cfg.Store.claim(ctx, rec, started, claimedUntil, due)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Error("claim notification failed", "execution", rec.Execution, "redrive_count", rec.RedriveCount, "error", err)
		}
		return false
	}
	if !claimed {
		return false
	}
	status, err := n.post(ctx, rec)
	if ctx.Err() != nil {
		n.abandon(rec, claimedUntil)
		return true
	}
	rec.Attempts++
	now := n.cfg.Now()
	rec.LastStatus = status
	rec.LastError = ""
	log := n.log.With("execution", rec.Execution, "redrive_count", rec.RedriveCount, "attempt", rec.Attempts)

	switch {
	case err == nil && status >= 200 && status < 300:
		rec.State, rec.DeliveredAt = StateDelivered, now
		log.Info("notification delivered", "status", status)
	case err == nil && !retryable(status):
		rec.State = StateFailed
		rec.LastError = fmt.Sprintf("receiver responded %d", status)
		log.Error("notification rejected by receiver", "status", status)
	case rec.Attempts >= n.cfg.MaxAttempts:
		rec.State = StateFailed
		rec.LastError = describe(status, err)
		log.Error("notification failed; no attempts left", "status", status, "error", rec.LastError)
	default:
		rec.LastError = describe(status, err)
		rec.NextAt = now.Add(n.backoff(rec.Attempts))
		log.Warn("notification failed; will retry", "status", status, "error", rec.LastError, "retry_at", rec.NextAt)
	}
	stored, err := n.cfg.Store.update(ctx, rec, claimedAttempts, claimedUntil)
	switch {
	case err != nil:
		log.Error("record notification attempt failed", "error", err)
	case !stored:
		log.Warn("notification attempt outlived its claim; another attempt's outcome is kept", "claimed_until", claimedUntil)
	}
	return true
}

// abandon releases the claim of an attempt on rec whose context ended
// before the outcome was known, so the attempt neither counts nor fails
// rec, and the next notifier on the store attempts it at once. It uses a
// context of its own, because the attempt's context has ended.
func (n *Notifier) abandon(rec Record, claimedUntil time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	log := n.log.With("execution", rec.Execution, "redrive_count", rec.RedriveCount)
	released, err := n.cfg.Store.release(ctx, rec, rec.Attempts, claimedUntil)
	switch {
	case err != nil:
		log.Warn("release abandoned notification attempt failed; the claim lapses on its own", "error", err,
			"claimed_until", claimedUntil)
	case released:
		log.Info("notification attempt abandoned; the notification stays pending")
	}
}

// post sends one signed attempt and returns the response status.
func (n *Notifier) post(ctx context.Context, rec Record) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rec.URL, bytes.NewReader(rec.Body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "repolink-notify")
	req.Header.Set(HeaderDeliveryID, n.cfg.Store.DeliveryID(rec.Execution, rec.RedriveCount))
	webhook.SetSignature(req.Header, n.cfg.Secret, n.cfg.Now(), rec.Body)
	res, err := n.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, nil
}

// retryable reports whether a failed response may succeed later: server
// errors, 408, 425 and 429. Other statuses, redirects included, fail at
// once.
func retryable(status int) bool {
	return status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooEarly || status == http.StatusTooManyRequests
}

// backoff returns the delay after the given number of failed attempts.
func (n *Notifier) backoff(attempts int) time.Duration {
	delay := n.cfg.BaseDelay
	for i := 1; i < attempts && delay < n.cfg.MaxDelay; i++ {
		delay *= 2
	}
	return min(delay, n.cfg.MaxDelay)
}

// describe returns the error of an attempt without the URL, because a
// notify URL may carry a token in its query.
func describe(status int, err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Op + ": " + urlErr.Err.Error()
	}
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("receiver responded %d", status)
}
