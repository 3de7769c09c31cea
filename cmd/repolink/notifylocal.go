package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/notify"
	"github.com/repolink/repolink/shared/request"
)

// localNotifyWait bounds how long run, redrive and teardown keep retrying
// a notification after the execution closed, before they exit.
const localNotifyWait = 2 * time.Minute

// localNotifier sends the notification of an execution that run, redrive
// or teardown ran in this process, because no repolink up serves the state
// directory to send it. It uses up's notification store, notify.db, so
// that a repolink up started later retries what is still pending and does
// not send a run's notification twice.
type localNotifier struct {
	dir     string
	sandbox bool
	// flags are the command flags that the notification's next field
	// needs, as commandFlags returns them.
	flags string
}

// checkRequest warns once on stderr when this command will not send the
// notification of req's execution. In sandbox mode that is so for a
// notify.url whose host is not a loopback address. Otherwise it is so when
// REPOLINK_WEBHOOK_SECRET is not set, because this process cannot sign the
// notification. run, redrive and teardown call it once their execution has
// started, so that a rejected command gets no warning.
func (l localNotifier) checkRequest(req request.Request, stderr io.Writer) {
	if req.Notify == nil || req.Notify.URL == "" {
		return
	}
	if host, skipped := l.sandboxSkips(req.Notify.URL); skipped {
		printText(stderr, "repolink: warning: $.notify.url host %s is not a loopback address, and sandbox mode sends "+
			"notifications only to loopback receivers, such as http://127.0.0.1:PORT/, because a sandbox run builds "+
			"nothing real. No notification of this execution is sent\n", host)
		return
	}
	if os.Getenv(envWebhookSecret) != "" {
		return
	}
	// repolink up sends the notifications of the executions that closed
	// after notify.db was created, so creating it now, before this
	// execution closes, lets an up started later send this one.
	store, err := notify.OpenStore(filepath.Join(l.dir, "notify.db"), time.Now())
	if err != nil {
		printText(stderr, "repolink: warning: the request has $.notify.url, but %s is not set, so no notification is sent "+
			"when the execution closes, and repolink up cannot send it later, because the notification store did not open: %v\n",
			envWebhookSecret, err)
		return
	}
	store.Close()
	printText(stderr, "repolink: warning: the request has $.notify.url, but %s is not set, so this command does not send "+
		"the notification when the execution closes. A repolink up started on this state directory with %s set sends it; "+
		"set the variable to the webhook secret that the receiver checks\n", envWebhookSecret, envWebhookSecret)
}

// sandboxSkips reports whether this command, in sandbox mode, skips the
// notify.url raw, as notify.SandboxSkips does, and returns its host.
func (l localNotifier) sandboxSkips(raw string) (string, bool) {
	if !l.sandbox {
		return "", false
	}
	return notify.SandboxSkips(raw)
}

// send delivers the notification of closed execution x, when its request
// has a notify.url, and prints the receiver's host and then the outcome
// on stderr. The notifier gets no logger, so that its per-attempt log
// does not repeat the outcome line.
func (l localNotifier) send(ctx context.Context, eng *engine.Engine, x engine.Execution, stderr io.Writer) {
	// The command rejected a set but invalid secret before it started.
	secret, err := webhookSecretFromEnv()
	if err != nil || secret == "" || x.Status == engine.StatusRunning {
		return
	}
	store, err := notify.OpenStore(filepath.Join(l.dir, "notify.db"), time.Now())
	if err != nil {
		printText(stderr, "repolink: notification of %s not sent: %v\n", x.Name, err)
		return
	}
	defer store.Close()

	n, err := notify.New(notify.Config{Store: store, Executions: eng, Secret: []byte(secret), Sandbox: l.sandbox,
		CommandFlags: l.flags, TicketSystem: ticketSystemsIn(l.dir)})
	if err != nil {
		printText(stderr, "repolink: notification of %s not sent: %v\n", x.Name, err)
		return
	}

	target := notifyURL(x.Input)
	_, skipped := l.sandboxSkips(target)
	if target != "" && !skipped {
		printText(stderr, "repolink: sending the notification of %s to %s; retrying for up to %s, interrupt to leave it to repolink up\n",
			x.Name, hostOf(target), localNotifyWait)
	}
	rec, ok, err := n.Send(ctx, x, localNotifyWait)
	if !ok {
		return
	}
	// checkRequest has already warned that the sandbox skips this receiver.
	if skipped && err == nil && rec.State == notify.StateSkipped {
		return
	}
	host := hostOf(rec.URL)
	switch {
	case err != nil:
		printText(stderr, "repolink: notification of %s to %s not delivered: %v; repolink up on this state directory retries it\n", x.Name, host, err)
	case rec.State == notify.StateDelivered:
		printText(stderr, "repolink: notification of %s delivered to %s\n", x.Name, host)
	case rec.State == notify.StateSkipped:
		printText(stderr, "repolink: notification of %s not sent: %s\n", x.Name, rec.LastError)
	case rec.State == notify.StateFailed:
		printText(stderr, "repolink: notification of %s to %s failed after %s: %s\n", x.Name, host, attempts(rec.Attempts), rec.LastError)
	default:
		printText(stderr, "repolink: notification of %s to %s not delivered after %s: %s; repolink up on this state directory retries it\n",
			x.Name, host, attempts(rec.Attempts), rec.LastError)
	}
}

// attempts returns n with the noun attempt, in the singular for 1.
func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// hostOf returns the host of a notify URL, because its path or query may
// carry a token.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "$.notify.url"
	}
	return u.Host
}

// notifyURL returns the notify.url in a workflow document, or "" when the
// request has none.
func notifyURL(input []byte) string {
	var doc struct {
		Request struct {
			Notify struct {
				URL string `json:"url"`
			} `json:"notify"`
		} `json:"request"`
	}
	if json.Unmarshal(input, &doc) != nil {
		return ""
	}
	return doc.Request.Notify.URL
}
