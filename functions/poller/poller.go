// Package poller completes the registered long waits. It reads
// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO once per Snowflake account, however
// many runs wait on that account, and sends task success or failure for each
// wait whose endpoint is live, has failed, or has passed its deadline.
package poller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/storehealth"
	"github.com/repolink/repolink/shared/workflow"
)

// Tasks completes task tokens: the embedded engine or the Step Functions API.
type Tasks interface {
	SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error
	SendTaskFailure(ctx context.Context, token, errName, cause string) error
}

// TaskName is the callback task whose tokens the poller completes.
const TaskName = "await_endpoint"

// NearDeadline is how long before its deadline an open wait is logged as
// near it, so that an alarm can page an operator before the run fails.
const NearDeadline = time.Hour

// ErrTokenGone is the error that a Tasks implementation wraps for an unknown
// or already used token, so that the wait is dropped instead of retried.
var ErrTokenGone = errors.New("task token unknown or already used")

// Report is the outcome of one poll, counted by kind.
type Report struct {
	Waits     int `json:"waits"`
	Accounts  int `json:"accounts"`
	Queries   int `json:"queries"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Pending   int `json:"pending"`
	// Renewed counts CodeArtifact tokens replaced in their SECRET, and
	// ExpiryWarnings the other credentials found near expiry.
	// ExpiryNotifications counts the warnings whose notification was
	// stored for delivery to notify.url.
	Renewed             int `json:"renewed"`
	ExpiryWarnings      int `json:"expiry_warnings"`
	ExpiryNotifications int `json:"expiry_notifications"`
	Errors              int `json:"errors"`
}

// Poller is the scheduled job that completes registered waits.
type Poller struct {
	Env   *workflow.Env
	Tasks Tasks
	// Notices sends the notification that an index credential expires
	// soon. Without it the poller only logs a warning.
	Notices CredentialNotifier
	// NextAction returns how to replace the short-lived credential that a
	// request stored, as the deployment's notification words it. The
	// warning logs it under "next". When NextAction is nil, the warning
	// gives defaultNextAction, which every deployment supports.
	NextAction func(request.Request) string
	// StoreHealth, when set, records the outcomes of task completions and
	// wait deletions, which write to local stores. It logs a full or
	// read-only store in place of each failed write.
	StoreHealth *storehealth.Monitor
	// Polls, when set, stores the outcome of the latest endpoint query of
	// each wait that stays open, so that repolink status can show it. A
	// wait's record is written when its outcome changes, and otherwise at
	// most once per PollRecordInterval.
	//
	// NOTE: the Lambda and Cloud Functions pollers leave Polls nil, so
	// their deployments store no poll outcome. repolink status reads only
	// the local SQLite wait store, and nothing would read a record in the
	// DynamoDB or Firestore wait store.
	Polls workflow.WaitPollRecorder

	// mu guards failing and recorded.
	mu sync.Mutex
	// failing is the run of failed endpoint queries of each account, by
	// the key that Poll groups waits by. It lasts as long as the Poller,
	// so a poller built for each poll logs every failure as the first.
	failing map[string]*failedPolls
	// recorded is the last poll outcome written to Polls for each wait,
	// by task token.
	recorded map[string]recordedPoll
}

// PollRecordInterval is the longest time for which the poller leaves a
// wait's stored poll outcome unchanged while later polls have the same
// outcome. The stored failure count can be that much behind.
const PollRecordInterval = time.Minute

// maxPollErrorLength bounds the error text of a stored poll outcome, in
// bytes.
const maxPollErrorLength = 300

// recordedPoll is a poll outcome that the poller wrote to Polls.
type recordedPoll struct {
	outcome string
	at      time.Time
}

// FailureLogInterval is the number of failed endpoint queries in a row of
// one account per warning about them. The poller warns at the first
// failure and at every FailureLogInterval-th one.
const FailureLogInterval = 10

// failedPolls is a run of failed endpoint queries of one account.
type failedPolls struct {
	count int
	since time.Time
	last  error
}

// Verdict is the poller's conclusion about one wait.
type Verdict int

// Verdicts.
const (
	Waiting Verdict = iota
	Live
	Failed
)

// LiveEndpointState is the endpoint_state of a live endpoint.
const LiveEndpointState = "CREATED"

// LiveStatuses maps the cloud of a route, as request.Request.RouteCloud
// returns it, to the status of a live endpoint in
// SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO. Judge compares statuses without
// case, but the poller reports a live endpoint with these spellings, and the
// provision state machine accepts only them.
var LiveStatuses = map[string]string{"aws": "Available", "azure": "APPROVED", "gcp": "ACCEPTED"}

// LiveStatus returns the spelling of LiveStatuses that status matches
// without case on cloud. For a wait without a cloud it tries the live
// status of every cloud.
func LiveStatus(cloud, status string) (string, bool) {
	if live, ok := LiveStatuses[cloud]; ok {
		return live, strings.EqualFold(live, status)
	}
	if cloud != "" {
		return "", false
	}
	for _, live := range LiveStatuses {
		if strings.EqualFold(live, status) {
			return live, true
		}
	}
	return "", false
}

// IsLiveReport reports whether a task result with endpointState and status
// is what the poller sends for a live endpoint on cloud: CREATED and the
// cloud's entry of LiveStatuses, with the same case. The provision state
// machine goes on only after such a report.
func IsLiveReport(cloud, endpointState, status string) bool {
	live, ok := LiveStatus(cloud, status)
	return ok && live == status && endpointState == LiveEndpointState
}

// Judge maps Snowflake's endpoint_state and the cloud's status to a verdict
// for a wait on cloud. On AWS the status moves pendingAcceptance → pending →
// available; only rejected, failed, expired and deleted are terminal. An
// unknown status, or the live status of another cloud, keeps the wait open.
func Judge(cloud, endpointState, status string) Verdict {
	state := strings.ToUpper(endpointState)
	switch strings.ToLower(status) {
	case "rejected", "failed", "expired", "deleted", "disconnected", "closed", "needs_attention":
		return Failed
	}
	if _, live := LiveStatus(cloud, status); live && state == LiveEndpointState {
		return Live
	}
	if state == "FAILED" || state == "DELETING" || state == "PENDING_DELETION" {
		return Failed
	}
	return Waiting
}

// failureCause returns the task failure cause for an endpoint that Judge
// found Failed, with the fix to try next.
func failureCause(w workflow.Wait, info provisionendpoint.EndpointInfo) string {
	switch {
	case strings.EqualFold(info.Status, "NEEDS_ATTENTION"):
		return fmt.Sprintf("the service attachment %s needs producer action (status NEEDS_ATTENTION), such as a larger NAT subnet or a higher connection limit; fix it, then redrive the run",
			w.ServiceID)
	case w.Cloud == "aws" && strings.EqualFold(info.EndpointState, "FAILED"):
		// AWS creates an interface endpoint only in the availability zones
		// that the endpoint service's load balancer is enabled in, so a
		// Snowflake VPC with a subnet in another zone fails to connect.
		return fmt.Sprintf("Snowflake endpoint to %s is %s with status %s. One cause is a load balancer that is not enabled in every availability zone that Snowflake's VPC uses. "+
			"List one subnet in each availability zone of the region in $.aws.subnet_ids, tear the request down and run it again, because a redrive keeps the zones of the existing load balancer",
			w.ServiceID, info.EndpointState, info.Status)
	}
	return fmt.Sprintf("Snowflake endpoint to %s is %s with status %s; check the connection on the provider side, deprovision the endpoint, and redrive the run",
		w.ServiceID, info.EndpointState, info.Status)
}

// CredentialCheckTimeout bounds the renewals and expiry warnings of one
// poll. A poll with a deadline gives them at most half its time, so that
// the endpoint queries keep the rest, such as 35 of the 55 seconds of the
// Lambda poller. Records not reached are checked on the next poll.
const CredentialCheckTimeout = 20 * time.Second

// Poll checks the recorded credential expiries, when the environment has
// a registry of them, and then runs one pass over all open waits. The
// credential checks run first with their own time limit, so that neither
// slow endpoint queries nor a failure to list the waits delays a renewal.
// A failing account is logged and counted, and the other accounts are
// still polled. A failure to list the waits is returned with the report of
// the credential checks.
func (p *Poller) Poll(ctx context.Context) (Report, error) {
	var report Report
	p.checkCredentialsWithin(ctx, &report)

	waits, err := p.Env.Waits.List(ctx)
	if err != nil {
		report.Errors++
		return report, fmt.Errorf("list waits: %w", err)
	}
	report.Waits = len(waits)

	groups := map[string][]workflow.Wait{}
	var order []string
	for _, w := range waits {
		key := strings.ToLower(w.Snowflake.Account) + "/" + strings.ToLower(w.Snowflake.User)
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], w)
	}
	report.Accounts = len(order)

	for _, key := range order {
		group := groups[key]
		infos, err := p.endpoints(ctx, group[0])
		report.Queries++
		run := p.recordPoll(key, group, err)
		if err != nil {
			report.Errors++
			for _, w := range group {
				poll := workflow.WaitPoll{Error: firstLine(err), FailedPolls: run.count, FailingSince: run.since}
				p.expire(ctx, w, run, poll, &report)
			}
			continue
		}
		for _, w := range group {
			p.settle(ctx, w, infos, &report)
		}
	}
	p.forgetRecorded(waits)
	return report, nil
}

// checkCredentialsWithin runs checkCredentials with CredentialCheckTimeout,
// or half the time left to ctx when that is shorter.
func (p *Poller) checkCredentialsWithin(ctx context.Context, report *Report) {
	limit := CredentialCheckTimeout
	if deadline, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(deadline)/2)
	}
	checkCtx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	p.checkCredentials(checkCtx, report)
}

func (p *Poller) endpoints(ctx context.Context, w workflow.Wait) ([]provisionendpoint.EndpointInfo, error) {
	conn, err := p.Env.Snowflake(ctx, w.Snowflake)
	if err != nil {
		return nil, err
	}
	return provisionendpoint.Endpoints(ctx, conn)
}

// settle completes one wait from the account's endpoint list. It judges
// the endpoint that provisionendpoint.Current picks, so that an endpoint
// that a teardown deprovisioned does not fail the wait for a newer one to
// a service with the same ID.
func (p *Poller) settle(ctx context.Context, w workflow.Wait, infos []provisionendpoint.EndpointInfo, report *Report) {
	if info := provisionendpoint.Current(infos, w.ServiceID); info != nil {
		switch Judge(w.Cloud, info.EndpointState, info.Status) {
		case Live:
			// Snowflake may spell the values in another case, and the
			// state machine compares them exactly.
			status, _ := LiveStatus(w.Cloud, info.Status)
			output, _ := json.Marshal(workflow.EndpointLive{EndpointState: LiveEndpointState, Status: status})
			p.complete(ctx, w, report, func() error { return p.Tasks.SendTaskSuccess(ctx, w.Token, output) })
			report.Succeeded++
			return
		case Failed:
			cause := failureCause(w, *info)
			p.complete(ctx, w, report, func() error { return p.Tasks.SendTaskFailure(ctx, w.Token, workflow.ErrRejected, TaskName+": "+cause) })
			report.Failed++
			return
		}
		if !isKnownWaiting(info.Status) {
			p.logger().Warn("unknown endpoint status; still waiting", "execution", w.Execution, "service", w.ServiceID, "status", info.Status)
		}
		p.expire(ctx, w, nil, workflow.WaitPoll{EndpointState: info.EndpointState, Status: info.Status}, report)
		return
	}
	p.expire(ctx, w, nil, workflow.WaitPoll{NotListed: true}, report)
}

// expire fails a wait whose deadline has passed. It counts a wait whose
// deadline has not passed as pending and stores poll as its latest poll
// outcome. failing is the run of failed endpoint queries of the wait's
// account, or nil when the last query succeeded.
func (p *Poller) expire(ctx context.Context, w workflow.Wait, failing *failedPolls, poll workflow.WaitPoll, report *Report) {
	now := p.Env.Now()
	if now.Before(w.Deadline) {
		report.Pending++
		p.storePoll(ctx, w, poll, now, report)
		if w.Deadline.Sub(now) < NearDeadline {
			// The deployed alarm counts these records.
			p.logger().Warn("wait near deadline", "execution", w.Execution, "service", w.ServiceID,
				"deadline", w.Deadline.UTC().Format(time.RFC3339))
		}
		return
	}
	cause := fmt.Sprintf("the endpoint to %s for %s was not live by %s. "+
		"Check its status with SELECT SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO() and the connection on the endpoint service, "+
		"fix what keeps it pending, then redrive the run to wait again",
		w.ServiceID, w.Host, w.Deadline.UTC().Format("2006-01-02 15:04 MST"))
	if failing != nil {
		cause += fmt.Sprintf(". The last %d queries of the endpoints failed: %v", failing.count, failing.last)
	}
	p.complete(ctx, w, report, func() error { return p.Tasks.SendTaskFailure(ctx, w.Token, workflow.ErrTimeout, TaskName+": "+cause) })
	report.Failed++
}

// recordPoll counts the outcome err of the endpoint query of the account
// with key and logs the first failure, every FailureLogInterval-th failure
// in a row and the first success after failures. It returns the run of
// failures, or nil after a success.
func (p *Poller) recordPoll(key string, group []workflow.Wait, err error) *failedPolls {
	p.mu.Lock()
	defer p.mu.Unlock()
	log := p.logger()
	account := group[0].Snowflake.Account
	run := p.failing[key]
	if err == nil {
		if run != nil {
			log.Info("poll endpoints recovered", "account", account, "failed_polls", run.count,
				"failing_since", run.since.UTC().Format(time.RFC3339))
			delete(p.failing, key)
		}
		return nil
	}
	if run == nil {
		if p.failing == nil {
			p.failing = map[string]*failedPolls{}
		}
		run = &failedPolls{since: p.Env.Now()}
		p.failing[key] = run
	}
	run.count++
	run.last = err
	if run.count == 1 || run.count%FailureLogInterval == 0 {
		log.Warn("poll endpoints failed", "account", account, "waits", len(group), "failed_polls", run.count,
			"failing_since", run.since.UTC().Format(time.RFC3339), "error", err)
	}
	copied := *run
	return &copied
}

// storePoll writes poll, taken at now, as the latest poll outcome of the
// open wait w, unless the outcome written last for w is the same and less
// than PollRecordInterval old. A failed write is counted and logged, and
// the next poll tries again.
func (p *Poller) storePoll(ctx context.Context, w workflow.Wait, poll workflow.WaitPoll, now time.Time, report *Report) {
	if p.Polls == nil {
		return
	}
	poll.Token, poll.Execution, poll.At = w.Token, w.Execution, now
	// The failure count is left out, because it changes on every failed
	// poll.
	outcome := fmt.Sprintf("%q %q %t %q", poll.EndpointState, poll.Status, poll.NotListed, poll.Error)
	p.mu.Lock()
	last, ok := p.recorded[w.Token]
	p.mu.Unlock()
	if ok && last.outcome == outcome && now.Sub(last.at) < PollRecordInterval {
		return
	}

	err := p.Polls.RecordPoll(ctx, poll)
	if err != nil {
		report.Errors++
	}
	if !p.StoreHealth.Record(err) && err != nil {
		p.logger().Warn("store poll outcome failed", "execution", w.Execution, "error", err)
	}
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.recorded == nil {
		p.recorded = map[string]recordedPoll{}
	}
	p.recorded[w.Token] = recordedPoll{outcome: outcome, at: now}
}

// forgetRecorded drops the written poll outcomes of waits that are not
// among open.
func (p *Poller) forgetRecorded(open []workflow.Wait) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.recorded) == 0 {
		return
	}
	tokens := make(map[string]bool, len(open))
	for _, w := range open {
		tokens[w.Token] = true
	}
	for token := range p.recorded {
		if !tokens[token] {
			delete(p.recorded, token)
		}
	}
}

// firstLine returns the first line of err's message, cut to
// maxPollErrorLength bytes on a character boundary.
func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	line = strings.TrimSpace(line)
	if len(line) <= maxPollErrorLength {
		return line
	}
	cut := maxPollErrorLength - len("...")
	for cut > 0 && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return line[:cut] + "..."
}

// complete sends the outcome and drops the wait once it is delivered or the
// token is gone.
func (p *Poller) complete(ctx context.Context, w workflow.Wait, report *Report, send func() error) {
	if err := send(); err != nil && !errors.Is(err, ErrTokenGone) {
		report.Errors++
		if !p.StoreHealth.Record(err) {
			p.logger().Warn("complete wait failed", "execution", w.Execution, "error_type", workflow.NameOf(err), "error", err)
		}
		return
	}
	err := p.Env.Waits.Delete(ctx, w.Token)
	if err != nil {
		report.Errors++
	}
	if !p.StoreHealth.Record(err) && err != nil {
		p.logger().Warn("delete wait failed", "execution", w.Execution, "error", err)
	}
}

func isKnownWaiting(status string) bool {
	switch strings.ToLower(status) {
	case "pending", "pendingacceptance", "available", "approved", "accepted", "no connection", "":
		return true
	}
	return false
}

func (p *Poller) logger() *slog.Logger {
	if p.Env.Logger != nil {
		return p.Env.Logger
	}
	return slog.New(slog.DiscardHandler)
}
