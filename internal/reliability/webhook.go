package reliability

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/webhook"
)

// Webhook suite limits.
const (
	// upStartTimeout bounds the start of repolink up, until /healthz
	// responds.
	upStartTimeout = 60 * time.Second
	// upStopTimeout bounds the stop after SIGTERM. repolink up waits up to
	// 10 s for open HTTP requests.
	upStopTimeout = 30 * time.Second
	// notificationTimeout bounds the wait for the notification of the one
	// ticket whose execution the suite waits for.
	notificationTimeout = 60 * time.Second
	// rejectsPerKind is how many deliveries of each refused kind are mixed
	// into the load, among its first refusedWithin deliveries, so that they
	// are sent even when the budget ends the load early.
	rejectsPerKind = 25
	refusedWithin  = 1000
	// checkReserve is the part of the suite's budget kept for listing the
	// executions and stopping repolink up after the load.
	checkReserve = 45 * time.Second
	// ticketHost is the repository host of the load's requests, which the
	// sandbox index must serve.
	ticketHost = "pypi.public.example.com"
)

// deliveryKind is a kind of delivery in the load and the status codes
// that the webhook must respond with.
type deliveryKind struct {
	name  string
	codes []int
}

var (
	kindSigned       = &deliveryKind{"signed deliveries", []int{http.StatusAccepted, http.StatusOK}}
	kindUnsigned     = &deliveryKind{"unsigned", []int{http.StatusUnauthorized}}
	kindWrongSig     = &deliveryKind{"wrong signature", []int{http.StatusUnauthorized}}
	kindStale        = &deliveryKind{"stale timestamp", []int{http.StatusUnauthorized}}
	kindOversized    = &deliveryKind{"oversized body", []int{http.StatusRequestEntityTooLarge}}
	refusedKinds     = []*deliveryKind{kindUnsigned, kindWrongSig, kindStale, kindOversized}
	listenLinePrefix = regexp.MustCompile(`"msg":"repolink up started".*?"listen":"([^"]+)"`)
)

// delivery is one POST /v1/requests.
type delivery struct {
	kind   *deliveryKind
	ticket string
}

// deliveryResult is the webhook's response to one delivery.
type deliveryResult struct {
	delivery
	code    int
	latency time.Duration
	err     error
	// unsent marks a delivery that the load did not send before its
	// deadline, and cutOff one that the deadline cut off before the
	// response.
	unsent bool
	cutOff bool
}

// runWebhook starts repolink up on the sandbox, sends it signed deliveries
// with duplicates and refused deliveries mixed in, and counts the
// executions they started.
func runWebhook(ctx context.Context, s *session) {
	start := time.Now()
	secret, token := randomHex(32), randomHex(32)
	s.secrets.add("webhook secret", secret)
	s.secrets.add("operations API token", token)
	stateDir := s.dir(SuiteWebhook, "service")

	receiver, err := startReceiver(s.dir("notifications"), []byte(secret))
	if err != nil {
		s.report.fail(SuiteWebhook, "notification receiver", 0, err.Error())
		return
	}
	defer receiver.close()

	up, addr, err := startUp(ctx, s, stateDir, secret, token)
	if err != nil {
		s.report.fail(SuiteWebhook, "repolink up", time.Since(start), err.Error())
		return
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = up.kill()
			up.wait()
		}
	}()
	base := "http://" + addr
	client := &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: s.cfg.Concurrency, DisableCompression: true},
	}
	template, err := loadTemplate(s.example("public.json"))
	if err == nil {
		_, err = request.Parse(body(template, "REL-00001", receiver.url()))
	}
	if err != nil {
		s.report.fail(SuiteWebhook, "request template", 0, err.Error())
		return
	}

	checkNotification(ctx, s, client, base, template, receiver, []byte(secret))

	loadCtx, cancelLoad := context.WithCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		loadCtx, cancelLoad = context.WithDeadline(ctx, deadline.Add(-checkReserve))
	}
	loadStart := time.Now()
	plan, _ := planDeliveries(s.cfg)
	results := sendAll(loadCtx, client, base, []byte(secret), template, plan, s.cfg.Concurrency)
	cancelLoad()
	reportResults(s, results, time.Since(loadStart))
	checkStarted(ctx, s, stateDir, results)

	stopped = true
	stopStart := time.Now()
	_ = up.terminate()
	done := make(chan childResult, 1)
	go func() { done <- up.wait() }()
	select {
	case res := <-done:
		s.report.check(SuiteWebhook, "stop on SIGTERM", time.Since(stopStart), "", exitProblems(res))
	case <-time.After(upStopTimeout):
		_ = up.kill()
		<-done
		s.report.fail(SuiteWebhook, "stop on SIGTERM", time.Since(stopStart), fmt.Sprintf("repolink up did not stop within %s of SIGTERM", upStopTimeout))
	}
	w, err := readWorld(stateDir)
	if err == nil {
		s.secrets.addWorld(w)
	}
}

func exitProblems(res childResult) []string {
	if res.code != 0 {
		return []string{"repolink up did not exit cleanly: " + res.describe()}
	}
	return nil
}

// startUp starts repolink up on a free loopback port and waits until its
// /healthz results. It reads the port from the start log line.
func startUp(ctx context.Context, s *session, stateDir, secret, token string) (*child, string, error) {
	env := childEnv("REPOLINK_WEBHOOK_SECRET="+secret, "REPOLINK_API_TOKEN="+token)
	up, err := s.startChild(ctx, "webhook-up", env, s.cfg.Binary, "up", "--sandbox", "--sandbox-latency", "none",
		"--listen", "127.0.0.1:0", "--state-dir", stateDir, "--sandbox-hosts", ticketHost)
	if err != nil {
		return nil, "", err
	}
	deadline := time.Now().Add(upStartTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if m := listenLinePrefix.FindStringSubmatch(up.stderr.String()); m != nil {
			resp, err := http.Get("http://" + m[1] + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return up, m[1], nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = up.kill()
	res := up.wait()
	return nil, "", fmt.Errorf("repolink up did not serve /healthz within %s: %s", upStartTimeout, res.describe())
}

// loadTemplate reads the request that every delivery sends with its own
// ticket ID.
func loadTemplate(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read request template: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("decode request template %s: %w", path, err)
	}
	return doc, nil
}

// body returns the template with ticket as its ID and, when notify is set,
// a notify.url. Each ticket gets a repository name of its own, because a
// request that names another request's Snowflake objects is rejected.
func body(template map[string]any, ticket, notify string) []byte {
	doc := make(map[string]any, len(template)+1)
	for k, v := range template {
		doc[k] = v
	}
	doc["id"] = ticket
	if repo, ok := template["repository"].(map[string]any); ok {
		own := maps.Clone(repo)
		own["name"] = strings.ToLower(strings.ReplaceAll(ticket, "-", "_")) + "_pypi"
		doc["repository"] = own
	}
	if notify != "" {
		doc["notify"] = map[string]any{"url": notify}
	}
	data, _ := json.Marshal(doc)
	return data
}

// planDeliveries returns the deliveries in a seeded random order: one per
// unique ticket and the duplicates, with rejectsPerKind of each refused kind
// mixed into the first refusedWithin.
func planDeliveries(cfg Config) (plan []delivery, unique int) {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 3))
	unique = cfg.Deliveries - int(float64(cfg.Deliveries)*cfg.Duplicates)
	for i := range unique {
		plan = append(plan, delivery{kindSigned, fmt.Sprintf("REL-%05d", i+1)})
	}
	for range cfg.Deliveries - unique {
		plan = append(plan, delivery{kindSigned, fmt.Sprintf("REL-%05d", rng.IntN(unique)+1)})
	}
	rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	for _, kind := range refusedKinds {
		for i := range rejectsPerKind {
			at := rng.IntN(min(len(plan), refusedWithin) + 1)
			d := delivery{kind, fmt.Sprintf("REFUSED-%s-%02d", strings.ReplaceAll(kind.name, " ", "-"), i+1)}
			plan = slices.Insert(plan, at, d)
		}
	}
	return plan, unique
}

// sendAll sends the plan with concurrency deliveries in flight.
func sendAll(ctx context.Context, client *http.Client, base string, secret []byte, template map[string]any, plan []delivery, concurrency int) []deliveryResult {
	results := make([]deliveryResult, len(plan))
	forEach(ctx, concurrency, len(plan), func(i int) {
		if ctx.Err() != nil {
			results[i] = deliveryResult{delivery: plan[i], unsent: true}
			return
		}
		results[i] = send(ctx, client, base, secret, template, plan[i])
	})
	return results
}

func send(ctx context.Context, client *http.Client, base string, secret []byte, template map[string]any, d delivery) deliveryResult {
	data := body(template, d.ticket, "")
	now := time.Now()
	if d.kind == kindOversized {
		data = bytes.Replace(data, []byte(`"id":`), []byte(`"padding":"`+strings.Repeat("x", webhook.MaxRequestBody)+`","id":`), 1)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/requests", bytes.NewReader(data))
	if err != nil {
		return deliveryResult{delivery: d, err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	switch d.kind {
	case kindUnsigned:
	case kindWrongSig:
		webhook.SetSignature(req.Header, []byte("not-the-webhook-secret"), now, data)
	case kindStale:
		webhook.SetSignature(req.Header, secret, now.Add(-2*webhook.MaxAge), data)
	default:
		webhook.SetSignature(req.Header, secret, now, data)
	}
	resp, err := client.Do(req)
	if err != nil && ctx.Err() != nil {
		// The load's deadline cut the delivery off, so the webhook was not
		// too slow for the client's own timeout.
		return deliveryResult{delivery: d, cutOff: true}
	}
	if err != nil {
		return deliveryResult{delivery: d, err: err, latency: time.Since(now)}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return deliveryResult{delivery: d, code: resp.StatusCode, latency: time.Since(now)}
}

// reportResults records one result per delivery kind: every delivery of
// the kind got one of the kind's status codes, and none got a 5xx.
func reportResults(s *session, results []deliveryResult, took time.Duration) {
	for _, kind := range append([]*deliveryKind{kindSigned}, refusedKinds...) {
		codes := map[int]int{}
		var latencies []time.Duration
		var problems []string
		errs, sent, unsent, started := 0, 0, 0, 0
		for _, a := range results {
			if a.kind != kind {
				continue
			}
			if a.unsent || a.cutOff {
				unsent++
				continue
			}
			sent++
			if a.code == http.StatusAccepted {
				started++
			}
			if a.err != nil {
				errs++
				if errs <= 3 {
					problems = append(problems, fmt.Sprintf("%s: %v", a.ticket, a.err))
				}
				continue
			}
			codes[a.code]++
			latencies = append(latencies, a.latency)
		}
		if errs > 0 {
			problems = append(problems, fmt.Sprintf("%d deliveries got no response", errs))
		}
		if unsent > 0 {
			problems = append(problems, fmt.Sprintf("only %d of %d deliveries got a response before the suite's budget ran out: "+
				"the webhook took %.1f deliveries and started %.1f executions per second",
				sent, sent+unsent, float64(sent)/took.Seconds(), float64(started)/took.Seconds()))
		}
		for code, n := range codes {
			switch {
			case code >= 500:
				problems = append(problems, fmt.Sprintf("%d deliveries got status %d", n, code))
			case !slices.Contains(kind.codes, code):
				problems = append(problems, fmt.Sprintf("%d deliveries got status %d, want one of %v", n, code, kind.codes))
			}
		}
		detail := fmt.Sprintf("%s; latency %s", formatCodes(codes), formatLatency(latencies))
		if kind == kindSigned {
			detail += fmt.Sprintf("; %d deliveries in %s, %d in flight", sent, took.Round(100*time.Millisecond), s.cfg.Concurrency)
		}
		s.report.check(SuiteWebhook, kind.name, 0, detail, problems)
	}
}

func formatCodes(codes map[int]int) string {
	keys := make([]int, 0, len(codes))
	for code := range codes {
		keys = append(keys, code)
	}
	sort.Ints(keys)
	var parts []string
	for _, code := range keys {
		parts = append(parts, fmt.Sprintf("%d × %d", codes[code], code))
	}
	if len(parts) == 0 {
		return "no results"
	}
	return strings.Join(parts, ", ")
}

func formatLatency(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none measured"
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1))].Round(time.Millisecond) }
	return fmt.Sprintf("p50 %s, p99 %s, max %s", at(0.5), at(0.99), ds[len(ds)-1].Round(time.Millisecond))
}

// checkStarted lists the executions and checks that every ticket with a
// 2xx response started exactly one, that no ticket that was not sent
// started any, and that no refused delivery started any. A ticket whose
// deliveries got no response, an error status or were cut off may have
// started one or none.
func checkStarted(ctx context.Context, s *session, stateDir string, results []deliveryResult) {
	start := time.Now()
	executions, err := s.listExecutions(ctx, "webhook-list", stateDir)
	if err != nil {
		s.report.fail(SuiteWebhook, "executions per ticket", 0, err.Error())
		return
	}
	perTicket := map[string]int{}
	for _, x := range executions {
		perTicket[x.RequestID]++
	}
	delivered := map[string]bool{}
	maybe := map[string]bool{}
	for _, a := range results {
		switch {
		case a.kind != kindSigned || a.unsent:
		case a.err == nil && a.code/100 == 2:
			delivered[a.ticket] = true
		default:
			// The webhook may have started the execution before the
			// response was lost, failed or cut off.
			maybe[a.ticket] = true
		}
	}

	var problems []string
	started := 0
	for ticket, n := range perTicket {
		switch {
		case strings.HasPrefix(ticket, "REFUSED-"):
			problems = append(problems, fmt.Sprintf("refused delivery %s started %d executions", ticket, n))
		case !strings.HasPrefix(ticket, "REL-"):
		case n != 1:
			problems = append(problems, fmt.Sprintf("ticket %s started %d executions", ticket, n))
		case !delivered[ticket] && !maybe[ticket]:
			problems = append(problems, fmt.Sprintf("ticket %s started an execution but was never delivered", ticket))
		default:
			started++
		}
	}
	missing := 0
	for ticket := range delivered {
		if perTicket[ticket] == 0 {
			missing++
		}
	}
	if missing > 0 {
		problems = append(problems, fmt.Sprintf("%d delivered tickets started no execution", missing))
	}
	detail := fmt.Sprintf("%d executions for %d unique tickets with a 2xx response", started, len(delivered))
	s.report.check(SuiteWebhook, "executions per ticket", time.Since(start), detail, limitLines(problems, 10))
}

// checkNotification sends one ticket with a notify.url and waits for the
// signed notification of its closed execution.
func checkNotification(ctx context.Context, s *session, client *http.Client, base string, template map[string]any, rcv *receiver, secret []byte) {
	start := time.Now()
	data := body(template, "NOTIFY-1", rcv.url())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/requests", bytes.NewReader(data))
	if err != nil {
		s.report.fail(SuiteWebhook, "notification", 0, err.Error())
		return
	}
	webhook.SetSignature(req.Header, secret, time.Now(), data)
	resp, err := client.Do(req)
	if err != nil {
		s.report.fail(SuiteWebhook, "notification", time.Since(start), "send the ticket with a $.notify.url: "+err.Error())
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		s.report.fail(SuiteWebhook, "notification", time.Since(start), fmt.Sprintf("the ticket with a $.notify.url got %d, want 202", resp.StatusCode))
		return
	}
	got, err := rcv.await(ctx, notificationTimeout)
	if err != nil {
		s.report.fail(SuiteWebhook, "notification", time.Since(start), err.Error())
		return
	}
	var problems []string
	if !got.signed {
		problems = append(problems, "the notification's signature does not verify with the webhook secret")
	}
	s.report.check(SuiteWebhook, "notification", time.Since(start), fmt.Sprintf("event %q for %s", got.event, got.execution), problems)
}

// receiver takes repolink's notifications on a loopback port and keeps
// their bodies in a file for the secret scan.
type receiver struct {
	srv    *http.Server
	ln     net.Listener
	secret []byte
	file   string

	mu   sync.Mutex
	got  []notification
	wake chan struct{}
}

type notification struct {
	event, execution string
	signed           bool
}

func startReceiver(dir string, secret []byte) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for notifications: %w", err)
	}
	r := &receiver{ln: ln, secret: secret, file: filepath.Join(dir, "received.jsonl"), wake: make(chan struct{}, 1)}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) url() string { return "http://" + r.ln.Addr().String() + "/notify" }

func (r *receiver) close() { _ = r.srv.Close() }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	data, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var doc struct {
		Event     string `json:"event"`
		Execution string `json:"execution"`
	}
	_ = json.Unmarshal(data, &doc)
	n := notification{event: doc.Event, execution: doc.Execution,
		signed: webhook.VerifyTimestamped(r.secret, req.Header, data, time.Now()) == nil}

	r.mu.Lock()
	r.got = append(r.got, n)
	if f, err := os.OpenFile(r.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
		_, _ = f.Write(append(data, '\n'))
		f.Close()
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

// await returns the first notification, waiting up to timeout.
func (r *receiver) await(ctx context.Context, timeout time.Duration) (notification, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if len(r.got) > 0 {
			n := r.got[0]
			r.mu.Unlock()
			return n, nil
		}
		r.mu.Unlock()
		select {
		case <-r.wake:
		case <-deadline.C:
			return notification{}, fmt.Errorf("no notification within %s", timeout)
		case <-ctx.Done():
			return notification{}, errors.New(budgetLeft(ctx))
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = cryptorand.Read(b)
	return hex.EncodeToString(b)
}
