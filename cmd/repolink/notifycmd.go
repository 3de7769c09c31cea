package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/notify"
)

// notifyStore is the file name of the notification store in a state
// directory.
const notifyStore = "notify.db"

// readNotificationViews returns the delivery state of the notifications of
// every run of execution name in the state directory dir. It returns none
// when dir has no notification store, and creates none.
func readNotificationViews(ctx context.Context, dir, name string) ([]notify.View, error) {
	path := filepath.Join(dir, notifyStore)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	store, err := notify.OpenStoreReader(ctx, path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	return readViews(ctx, store, name)
}

// readViews returns the views of the notifications of execution name in
// store.
func readViews(ctx context.Context, store *notify.Store, name string) ([]notify.View, error) {
	runs, err := store.Runs(ctx, name)
	if err != nil {
		return nil, err
	}
	views := make([]notify.View, 0, len(runs))
	for _, rec := range runs {
		views = append(views, notify.NewView(rec))
	}
	return views, nil
}

// writeNotifications writes one notification: line for each view of the
// notifications of execution name. flags are the store flags of the
// suggested repolink notify command, as storeFlagsOf returns them, because
// notify rejects --sandbox.
func writeNotifications(w io.Writer, name string, views []notify.View, flags string) {
	latest := -1
	for _, v := range views {
		latest = max(latest, v.RedriveCount)
	}
	for _, v := range views {
		printText(w, "notification:  %s\n", notificationText(name, v, latest, flags))
	}
}

// notificationText describes the delivery state of one notification on
// one line, and for a failed one the command that sends it again. latest
// is the highest redrive count with a notification, which notify sends
// when no --redrive-count is given.
func notificationText(name string, v notify.View, latest int, flags string) string {
	run := ""
	if v.RedriveCount > 0 {
		run = fmt.Sprintf("redrive %d: ", v.RedriveCount)
	}
	switch v.State {
	case notify.StateDelivered:
		text := fmt.Sprintf("%sdelivered to %s", run, v.Receiver)
		if v.DeliveredAt != nil {
			text += " at " + v.DeliveredAt.Format(execview.TimeLayout)
		}
		return text + " after " + attempts(v.Attempts)
	case notify.StatePending:
		text := fmt.Sprintf("%spending to %s", run, v.Receiver)
		if v.NextAttemptAt != nil {
			text += ", next attempt at " + v.NextAttemptAt.Format(execview.TimeLayout)
		}
		if v.Attempts > 0 {
			text += fmt.Sprintf(", last of %s: %s", attempts(v.Attempts), v.LastError)
		}
		return text
	case notify.StateFailed:
		resend := fmt.Sprintf("'repolink notify%s", flags)
		if v.RedriveCount > 0 || v.RedriveCount != latest {
			resend += fmt.Sprintf(" --redrive-count %d", v.RedriveCount)
		}
		return fmt.Sprintf("%sfailed to %s after %s: %s; run %s %s' to send it again",
			run, v.Receiver, attempts(v.Attempts), v.LastError, resend, name)
	default:
		return fmt.Sprintf("%s%s: %s", run, v.State, v.LastError)
	}
}

const notifyUsageNotes = `
notify makes the failed notification of a closed execution pending again
with a new set of attempts. With REPOLINK_WEBHOOK_SECRET set it sends the
notification itself, retrying for up to 2 minutes. Without it, or when
the notification is still pending after that, repolink up on the state
directory sends it. It works while repolink up runs on the same state
directory.
`

// notifyCommand sends the failed notification of an execution again.
func notifyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("notify", "notify [--state-dir DIR] [--redrive-count N] NAME", stderr)
	stateDir := stateDirFlag(fs)
	redriveCount := fs.Int("redrive-count", -1, "the run whose notification to send, as its redrive count; -1 is the latest run that has one")
	addUsageNotes(fs, notifyUsageNotes)
	name, err := parseName(fs, args, nil)
	if err != nil {
		return err
	}
	secret, err := webhookSecretFromEnv()
	if err != nil {
		return err
	}

	eng, dir, x, err := openStoredExecution(ctx, *stateDir, name)
	if err != nil {
		return err
	}
	defer eng.Close()

	store, err := openNotifyStore(dir, name)
	if err != nil {
		return err
	}
	defer store.Close()
	statusFlags := storeFlagsOf(hintFlags(dir, *stateDir))
	rec, err := resendNotification(ctx, store, dir, name, *redriveCount, statusFlags)
	if err != nil {
		return err
	}
	x.RedriveCount = rec.RedriveCount
	return deliverResent(ctx, eng, store, x, dir, *stateDir, statusFlags, secret, stdout)
}

// openNotifyStore opens the notification store in the state directory
// dir, or returns a usage error naming execution name when dir has none.
func openNotifyStore(dir, name string) (*notify.Store, error) {
	path := filepath.Join(dir, notifyStore)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, usagef("execution %s has no notification: %s has no notification store", name, dir)
	}
	return notify.OpenStore(path, time.Now())
}

// resendNotification makes the failed notification of the run of
// execution name with redriveCount pending again in store, the
// notification store of the state directory dir, or that of its latest
// run with a notification when redriveCount is negative, and returns it as
// it was before. flags are the flags of a suggested status command.
func resendNotification(ctx context.Context, store *notify.Store, dir, name string, redriveCount int, flags string) (notify.Record, error) {
	runs, err := store.Runs(ctx, name)
	if err != nil {
		return notify.Record{}, err
	}
	var rec notify.Record
	found := false
	for _, r := range runs {
		if redriveCount < 0 || r.RedriveCount == redriveCount {
			rec, found = r, true
		}
	}
	if !found {
		if redriveCount < 0 {
			return rec, usagef("execution %s has no notification: its request has no $.notify.url, or it closed before "+
				"repolink started recording notifications in %s", name, dir)
		}
		return rec, usagef("execution %s has no notification for redrive count %d; 'repolink status%s %s' lists its notifications",
			name, redriveCount, flags, name)
	}
	if err := store.Resend(ctx, name, rec.RedriveCount, time.Now()); err != nil {
		if errors.Is(err, notify.ErrNotFailed) {
			return rec, usagef("the notification of %s is %s, and only a failed notification is sent again; "+
				"'repolink status%s %s' shows its state", name, rec.State, flags, name)
		}
		return rec, err
	}
	return rec, nil
}

// deliverResent sends the notification of x that resendNotification made
// pending in store, when this process has the webhook secret to sign it
// (secret is "" when it has none), and prints the outcome. statusFlags are
// the flags of a suggested status command. A notification still pending at
// the end is left to repolink up, which signs with its own copy of the
// secret.
func deliverResent(ctx context.Context, eng *engine.Engine, store *notify.Store, x engine.Execution, dir, stateDir, statusFlags, secret string, stdout io.Writer) error {
	statusCmd := fmt.Sprintf("'repolink status%s %s'", statusFlags, x.Name)
	if secret == "" {
		printText(stdout, "notification of %s is pending again. %s is not set, so repolink up on this state directory "+
			"sends it at its next notify interval; %s shows the outcome\n", x.Name, envWebhookSecret, statusCmd)
		return nil
	}

	mode, _ := readStateMode(dir)
	n, err := notify.New(notify.Config{Store: store, Executions: eng, Secret: []byte(secret), Sandbox: mode == modeSandbox,
		CommandFlags: hintFlags(dir, stateDir), TicketSystem: ticketSystemsIn(dir)})
	if err != nil {
		return err
	}
	rec, _, err := n.Send(ctx, x, localNotifyWait)
	if err != nil {
		return fmt.Errorf("send notification of %s: %w; repolink up on this state directory retries it", x.Name, err)
	}
	switch rec.State {
	case notify.StateDelivered:
		printText(stdout, "notification of %s delivered to %s\n", x.Name, notify.ReceiverHost(rec.URL))
		return nil
	case notify.StateFailed:
		msg := fmt.Sprintf("notification of %s to %s failed again after %s: %s", x.Name, notify.ReceiverHost(rec.URL),
			attempts(rec.Attempts), rec.LastError)
		fmt.Fprintln(stdout, msg)
		return &failedError{msg: msg}
	default:
		printText(stdout, "notification of %s to %s not delivered after %s: %s; repolink up on this state directory "+
			"retries it, and %s shows the outcome\n", x.Name, notify.ReceiverHost(rec.URL), attempts(rec.Attempts), rec.LastError, statusCmd)
		return nil
	}
}
