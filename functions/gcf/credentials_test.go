package gcf

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	firestore "google.golang.org/api/firestore/v1"
	"google.golang.org/api/option"

	"github.com/repolink/repolink/functions/internal/gcpsandbox"
	"github.com/repolink/repolink/functions/internal/sfsandbox"
	"github.com/repolink/repolink/functions/poller"
	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/simtest"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// Values of the credential fixture. The access token and the signing key
// are credentials: no Firestore document, log record or notification may
// contain them.
const (
	arAccessToken    = "ya29.sandbox-access-token-5d1e"
	arTokenSecret    = "projects/corp-packages-prod/secrets/ar-access-token"
	signingKeyValue  = "sandbox-signing-key-93b0"
	signingKeySecret = "projects/corp-packages-prod/secrets/repolink-webhook"
	credentialsProj  = "corp-packages-prod"
	credentialsColl  = "waits"
)

// signedReceiver is a notify.url on 127.0.0.1 that responds with status,
// 200 when zero, and keeps the bodies whose signature is valid and that it
// accepted. It counts the requests with an invalid signature.
type signedReceiver struct {
	now func() time.Time

	mu       sync.Mutex
	status   int
	bodies   []string
	unsigned int
}

func (r *signedReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := webhook.VerifyTimestamped([]byte(signingKeyValue), req.Header, body, r.now()); err != nil {
		r.unsigned++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.status != 0 {
		w.WriteHeader(r.status)
		return
	}
	r.bodies = append(r.bodies, string(body))
}

func (r *signedReceiver) respond(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

func (r *signedReceiver) received() (bodies []string, unsigned int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...), r.unsigned
}

// credentialFixture is a Cloud Functions deployment with a Firestore waits
// collection and a signing key on the sandbox GCP front end, the sandbox
// Snowflake, and a request whose index credential is an Artifact Registry
// access token with a notify.url on 127.0.0.1.
type credentialFixture struct {
	opts  gcpadapter.Options
	vars  func(string) string
	sb    *sfsandbox.Sandbox
	clock *simtest.Clock
	recv  *signedReceiver
	doc   workflow.Document
}

func newCredentialFixture(t *testing.T) *credentialFixture {
	t.Helper()
	sim, opts := startGCPSim(t)
	for name, value := range map[string]string{arTokenSecret: arAccessToken, signingKeySecret: signingKeyValue} {
		if err := sim.PutSecret(name, value); err != nil {
			t.Fatal(err)
		}
	}

	f := &credentialFixture{
		opts: opts,
		vars: environment(map[string]string{
			envWaitsCollection: credentialsColl,
			envProject:         credentialsProj,
			envSigningSecret:   "gcp-secretmanager:" + signingKeySecret + "/versions/latest",
		}),
		sb:    sfsandbox.Start(t),
		clock: simtest.NewClock(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)),
	}
	f.recv = &signedReceiver{now: f.clock.Now}
	receiver := httptest.NewServer(f.recv)
	t.Cleanup(receiver.Close)

	req := gcpsandbox.ExampleRequest(t)
	req.Snowflake = f.sb.Request.Snowflake
	req.Repository.IndexURL = "https://us-central1-python.pkg.dev/corp-packages-prod/pypi/simple/"
	req.Repository.Auth = request.Auth{Type: "password", Username: "oauth2accesstoken", PasswordRef: "gcp-secretmanager:" + arTokenSecret}
	req.Notify = &request.Notify{URL: receiver.URL + "/hooks/repolink"}
	f.doc = workflow.Document{Request: req, Execution: "run-1"}
	return f
}

// instance is one function instance of the deployment: its step
// environment, its poller and what it logs.
type instance struct {
	env    *workflow.Env
	poller *poller.Poller
	logs   *syncBuffer
}

// instance starts a function instance as init does, with its own
// Firestore clients, on the fixture's clock and Snowflake.
func (f *credentialFixture) instance(t *testing.T) *instance {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := newAdapters(logger, f.opts, stores{
		waits:         newWaitRegistry(f.vars, f.opts, true, logger),
		credentials:   newCredentialExpiries(f.vars, f.opts, logger),
		signingSecret: loadSigningSecretRef(f.vars, logger),
	})
	env := a.env()
	env.Now = f.clock.Now
	env.Snowflake = f.sb.Env.Snowflake
	p := a.newPoller(env, nil)
	notices, ok := p.Notices.(*credentialNotices)
	if !ok {
		t.Fatal("the deployment has no credential notifier although a collection and a signing key are set")
	}
	notices.now = f.clock.Now
	notices.allowLoopback = true
	return &instance{env: env, poller: p, logs: logs}
}

// runStep runs the handler name of inst with the fixture's document, as
// the workflow does, and fails the test unless it responds 200.
func (f *credentialFixture) runStep(t *testing.T, inst *instance, name string) {
	t.Helper()
	input, err := json.Marshal(f.doc)
	if err != nil {
		t.Fatal(err)
	}
	server := serve(t, inst.env, name)
	if status, body := post(t, server.URL, input); status != http.StatusOK {
		t.Fatalf("%s status = %d (body %s), want 200", name, status, body)
	}
}

// poll runs one poll of inst through the poller function.
func (f *credentialFixture) poll(t *testing.T, inst *instance) poller.Report {
	t.Helper()
	return runPoll(t, inst.poller, slog.New(slog.NewJSONHandler(inst.logs, nil)))
}

// records returns the credential expiry records in Firestore.
func (f *credentialFixture) records(t *testing.T) []workflow.CredentialExpiry {
	t.Helper()
	store, err := gcpadapter.NewCredentialExpiries(context.Background(), f.opts,
		gcpadapter.WaitsConfig{Project: credentialsProj, Collection: credentialsColl})
	if err != nil {
		t.Fatal(err)
	}
	list, err := store.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return list
}

// documents returns every document under the waits collection as JSON,
// read with the Firestore REST client.
func (f *credentialFixture) documents(t *testing.T) []string {
	t.Helper()
	service, err := firestore.NewService(context.Background(), append(f.opts.ClientOptions, option.WithEndpoint(f.opts.Endpoint+"/"))...)
	if err != nil {
		t.Fatal(err)
	}
	root := "projects/" + credentialsProj + "/databases/(default)/documents"
	var docs []string
	for _, parent := range []struct{ parent, collection string }{
		{root, credentialsColl},
		{root + "/" + credentialsColl + "/credential-expiries", "records"},
		{root + "/" + credentialsColl + "/credential-expiries", "notices"},
	} {
		resp, err := service.Projects.Databases.Documents.List(parent.parent, parent.collection).Context(context.Background()).Do()
		if err != nil {
			t.Fatalf("list %s/%s: %v", parent.parent, parent.collection, err)
		}
		for _, doc := range resp.Documents {
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, string(data))
		}
	}
	return docs
}

// checkNoCredential fails the test when text contains the access token or
// the signing key.
func checkNoCredential(t *testing.T, what, text string) {
	t.Helper()
	for _, secret := range []string{arAccessToken, signingKeyValue} {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains a credential value", what)
		}
	}
}

func TestSecretStepRecordsExpiryInFirestore(t *testing.T) {
	f := newCredentialFixture(t)
	inst := f.instance(t)
	f.runStep(t, inst, "secret")

	records := f.records(t)
	if len(records) != 1 {
		t.Fatalf("credential expiry records = %d, want 1", len(records))
	}
	got := records[0]
	if want := "PLATFORM.PACKAGES." + workflow.NamesFor(f.doc.Request).Secret; !strings.EqualFold(got.Secret, want) {
		t.Errorf("record secret = %q, want %q", got.Secret, want)
	}
	if got.Execution != "run-1" {
		t.Errorf("record execution = %q, want run-1", got.Execution)
	}
	if want := f.clock.Now().Add(time.Hour); !got.ExpiresAt.Equal(want) {
		t.Errorf("record expires_at = %s, want %s, an hour after the step", got.ExpiresAt, want)
	}
	if got.Renewable {
		t.Error("record of a stored access token is renewable")
	}

	docs := f.documents(t)
	if len(docs) != 1 {
		t.Errorf("documents under the waits collection = %d, want the record alone", len(docs))
	}
	for _, doc := range docs {
		checkNoCredential(t, "Firestore document", doc)
	}
	checkNoCredential(t, "the log", inst.logs.String())
}

func TestPollersWarnAndNotifyOnce(t *testing.T) {
	f := newCredentialFixture(t)
	first, second := f.instance(t), f.instance(t)
	f.runStep(t, first, "secret")

	// Less than a third of the hour is left.
	f.clock.Advance(45 * time.Minute)
	firstReport := f.poll(t, first)
	f.clock.Advance(time.Minute)
	secondReport := f.poll(t, second)

	if firstReport.ExpiryWarnings != 1 || firstReport.ExpiryNotifications != 1 || firstReport.Errors != 0 {
		t.Errorf("first poll report = %+v, want one warning, one notification and no error", firstReport)
	}
	if secondReport.ExpiryWarnings != 0 || secondReport.ExpiryNotifications != 0 || secondReport.Errors != 0 {
		t.Errorf("second poll report = %+v, want no warning, notification or error", secondReport)
	}
	warnings := len(first.logs.records(t, expiryWarning)) + len(second.logs.records(t, expiryWarning))
	if warnings != 1 {
		t.Errorf("expiry warnings logged by both pollers = %d, want 1", warnings)
	}

	bodies, unsigned := f.recv.received()
	if unsigned != 0 {
		t.Errorf("notifications with an invalid signature = %d, want 0", unsigned)
	}
	if len(bodies) != 1 {
		t.Fatalf("notifications received = %d, want 1", len(bodies))
	}
	var notice map[string]any
	if err := json.Unmarshal([]byte(bodies[0]), &notice); err != nil {
		t.Fatalf("notification %s is not JSON: %v", bodies[0], err)
	}
	if notice["event"] != "credential_expires_soon" {
		t.Errorf("notification event = %v, want credential_expires_soon", notice["event"])
	}
	if notice["request_id"] != f.doc.Request.ID {
		t.Errorf("notification request_id = %v, want %s", notice["request_id"], f.doc.Request.ID)
	}
	if want := f.clock.Now().Add(-46 * time.Minute).Add(time.Hour).UTC().Format(execview.TimeLayout); notice["expires_at"] != want {
		t.Errorf("notification expires_at = %v, want %s", notice["expires_at"], want)
	}

	if next, _ := notice["next"].(string); !strings.Contains(next, "_json_key_base64") || !strings.Contains(next, "new execution of the provision workflow") {
		t.Errorf("notification next = %q, want the service-account key and a new workflow execution", next)
	}
	checkNoCredential(t, "the notification", bodies[0])
	checkNoCredential(t, "the first poller's log", first.logs.String())
	checkNoCredential(t, "the second poller's log", second.logs.String())
	for _, doc := range f.documents(t) {
		checkNoCredential(t, "Firestore document", doc)
	}
}

func TestConcurrentPollersNotifyOnce(t *testing.T) {
	tests := []struct {
		name string
		// withoutCheckClaim reads the records straight, as a poll does
		// whose claim on the credential checks lapsed during a slow
		// POST, so that only the notification claim keeps a second send
		// out.
		withoutCheckClaim bool
		// wantWarnings is the number of logged warnings, or -1 when
		// every poll may log one.
		wantWarnings int
	}{
		{name: "check claim", wantWarnings: 1},
		{name: "notification claim alone", withoutCheckClaim: true, wantWarnings: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCredentialFixture(t)
			pollers := []*instance{f.instance(t), f.instance(t), f.instance(t)}
			f.runStep(t, pollers[0], "secret")
			f.clock.Advance(45 * time.Minute)
			if tt.withoutCheckClaim {
				for _, inst := range pollers {
					inst.poller.Env = inst.env
				}
			}

			var wg sync.WaitGroup
			reports := make([]poller.Report, len(pollers))
			for i, inst := range pollers {
				wg.Go(func() {
					var err error
					reports[i], err = inst.poller.Poll(context.Background())
					if err != nil {
						t.Errorf("poll %d: %v", i, err)
					}
				})
			}
			wg.Wait()

			bodies, unsigned := f.recv.received()
			if len(bodies) != 1 || unsigned != 0 {
				t.Errorf("notifications received = %d with %d unsigned, want 1 signed", len(bodies), unsigned)
			}
			warnings := 0
			for i, report := range reports {
				if report.Errors != 0 {
					t.Errorf("poll %d report = %+v, want no error", i, report)
				}
				warnings += len(pollers[i].logs.records(t, expiryWarning))
			}
			if tt.wantWarnings >= 0 && warnings != tt.wantWarnings {
				t.Errorf("expiry warnings logged by the pollers = %d, want %d", warnings, tt.wantWarnings)
			}
			records := f.records(t)
			if len(records) != 1 || records[0].WarnedAt.IsZero() {
				t.Errorf("records after the polls = %+v, want one with a warning time", records)
			}
		})
	}
}

func TestFailedNotificationRetriedOnNextPoll(t *testing.T) {
	f := newCredentialFixture(t)
	inst := f.instance(t)
	f.runStep(t, inst, "secret")
	f.clock.Advance(45 * time.Minute)

	f.recv.respond(http.StatusServiceUnavailable)
	report := f.poll(t, inst)
	if report.Errors != 1 || report.ExpiryNotifications != 0 {
		t.Errorf("report with the receiver unavailable = %+v, want one error and no notification", report)
	}
	if records := f.records(t); len(records) != 1 || !records[0].WarnedAt.IsZero() {
		t.Errorf("records after the failed notification = %+v, want one without a warning time", records)
	}

	// The claim was released, so the next poll sends at once.
	f.recv.respond(0)
	f.clock.Advance(time.Minute)
	report = f.poll(t, inst)
	if report.Errors != 0 || report.ExpiryNotifications != 1 {
		t.Errorf("report with the receiver back = %+v, want one notification and no error", report)
	}
	if bodies, _ := f.recv.received(); len(bodies) != 1 {
		t.Errorf("notifications received after the receiver is back = %d, want 1", len(bodies))
	}
}

func TestTeardownDeletesExpiryRecord(t *testing.T) {
	f := newCredentialFixture(t)
	inst := f.instance(t)
	f.runStep(t, inst, "secret")
	f.clock.Advance(45 * time.Minute)
	f.poll(t, inst)
	if len(f.documents(t)) != 2 {
		t.Fatalf("documents before teardown = %d, want the record and its notification claim", len(f.documents(t)))
	}

	f.runStep(t, inst, "teardown_snowflake")
	if records := f.records(t); len(records) != 0 {
		t.Errorf("records after teardown = %+v, want none", records)
	}
	if docs := f.documents(t); len(docs) != 0 {
		t.Errorf("documents after teardown = %d, want none", len(docs))
	}
}

func TestRequestMayNotReadSigningKey(t *testing.T) {
	f := newCredentialFixture(t)
	inst := f.instance(t)
	f.doc.Request.Repository.Auth.PasswordRef = "gcp-secretmanager:" + signingKeySecret

	input, err := json.Marshal(f.doc)
	if err != nil {
		t.Fatal(err)
	}
	status, body := post(t, serve(t, inst.env, "secret").URL, input)
	if status != http.StatusBadRequest {
		t.Errorf("secret status = %d (body %s), want 400", status, body)
	}
	if !strings.Contains(string(body), "reads for itself") {
		t.Errorf("secret body %s does not say that the secret is the service's own", body)
	}
	checkNoCredential(t, "the response", string(body))
	if records := f.records(t); len(records) != 0 {
		t.Errorf("records = %+v, want none", records)
	}
}

func TestNoNotifierWithoutSigningKey(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	opts := unreachableOptions()
	vars := environment(map[string]string{envWaitsCollection: credentialsColl, envProject: credentialsProj})
	a := newAdapters(logger, opts, stores{credentials: newCredentialExpiries(vars, opts, logger), signingSecret: loadSigningSecretRef(vars, logger)})
	if got := a.credentialNotices(); got != nil {
		t.Errorf("notifier without %s = %T, want nil", envSigningSecret, got)
	}
	if a.env().Credentials == nil {
		t.Error("step environment has no credential expiry records although the waits collection is set")
	}

	invalid := environment(map[string]string{envSigningSecret: "env:REPOLINK_WEBHOOK_KEY"})
	if got := loadSigningSecretRef(invalid, logger); got != "" {
		t.Errorf("signing key reference from an env: value = %q, want none", got)
	}

	none := newAdapters(logger, opts, stores{credentials: newCredentialExpiries(environment(nil), opts, logger)})
	if none.env().Credentials != nil {
		t.Error("step environment without a waits collection has credential expiry records")
	}
}

// expiryWarning is the message of the poller's warning about a credential
// that expires soon.
const expiryWarning = "index credential expires soon"

// String returns everything logged so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The deployment cannot call CodeArtifact, so a request of auth type
// codeartifact fails at the secret step and leaves no record to renew.
func TestCodeArtifactAuthRejected(t *testing.T) {
	f := newCredentialFixture(t)
	inst := f.instance(t)
	f.doc.Request.Repository.IndexURL = "https://corp-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/main/simple/"
	f.doc.Request.Repository.Auth = request.Auth{Type: request.AuthCodeArtifact}

	input, err := json.Marshal(f.doc)
	if err != nil {
		t.Fatal(err)
	}
	status, body := post(t, serve(t, inst.env, "secret").URL, input)
	if status != http.StatusBadRequest || !strings.Contains(string(body), "codeartifact is not supported by this deployment") {
		t.Errorf("secret status = %d (body %s), want 400 saying that codeartifact is not supported", status, body)
	}
	if records := f.records(t); len(records) != 0 {
		t.Errorf("records = %+v, want none", records)
	}
}

func TestNextActionForStoredCodeArtifactToken(t *testing.T) {
	req := request.Request{Repository: request.Repository{
		IndexURL: "https://corp-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/main/simple/",
	}}
	next := nextAction(req)
	if !strings.Contains(next, "aws codeartifact get-authorization-token") {
		t.Errorf("next = %q, want it to say how to get a new token", next)
	}
	if strings.Contains(next, "set repository.auth.type to codeartifact") {
		t.Errorf("next = %q advises auth type codeartifact, which this deployment rejects", next)
	}
}

// The deployment rejects auth type codeartifact, so the poller's warning
// gives the advice of the deployment's notification instead.
func TestExpiryWarningGivesDeploymentAdvice(t *testing.T) {
	cases := []struct {
		name     string
		indexURL string
		username string
		// advance leaves less than a third of the token's lifetime: 1 hour
		// for Artifact Registry and 12 hours for CodeArtifact.
		advance time.Duration
	}{
		{"artifact registry token", "https://us-central1-python.pkg.dev/corp-packages-prod/pypi/simple/", "oauth2accesstoken", 45 * time.Minute},
		{"codeartifact token", "https://corp-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/main/simple/", "aws", 9 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCredentialFixture(t)
			f.doc.Request.Repository.IndexURL = tc.indexURL
			f.doc.Request.Repository.Auth.Username = tc.username
			inst := f.instance(t)
			f.runStep(t, inst, "secret")

			f.clock.Advance(tc.advance)
			f.poll(t, inst)

			warnings := inst.logs.records(t, expiryWarning)
			if len(warnings) != 1 {
				t.Fatalf("expiry warnings logged = %d, want 1; log:\n%s", len(warnings), inst.logs)
			}
			next, _ := warnings[0]["next"].(string)
			if want := nextAction(f.doc.Request); next != want {
				t.Errorf("warning next = %q, want %q", next, want)
			}
			if log := inst.logs.String(); strings.Contains(log, "auth type codeartifact") || strings.Contains(log, "auth.type to codeartifact") {
				t.Errorf("log advises auth type codeartifact, which this deployment rejects:\n%s", log)
			}

			bodies, _ := f.recv.received()
			if len(bodies) != 1 {
				t.Fatalf("notifications received = %d, want 1", len(bodies))
			}
			var notice map[string]any
			if err := json.Unmarshal([]byte(bodies[0]), &notice); err != nil {
				t.Fatalf("notification %s is not JSON: %v", bodies[0], err)
			}
			if notice["next"] != next {
				t.Errorf("notification next = %v, want the warning's %q", notice["next"], next)
			}
		})
	}
}
