package sfsim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/snowflake"
)

func endpoints(t *testing.T, c snowflake.Conn) []snowflake.EndpointInfo {
	t.Helper()
	infos, err := snowflake.ParseEndpointsInfo(mustScalar(t, c, snowflake.GetPrivateLinkEndpointsInfo()))
	if err != nil {
		t.Fatal(err)
	}
	return infos
}

func TestPrivateLinkConfig(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	cfg, err := snowflake.ParsePrivateLinkConfig(mustScalar(t, client, snowflake.GetPrivateLinkConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AccountPrincipal != AccountPrincipal {
		t.Errorf("privatelink-account-principal = %q, want %q", cfg.AccountPrincipal, AccountPrincipal)
	}
}

func TestProvisionEndpointLifecycle(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	sb.link.addService(testService, AccountPrincipal, "127.0.0.1:1")

	text := mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint(testService, testHost))
	if !strings.Contains(text, "provisioned successfully") {
		t.Errorf("provision output = %q", text)
	}
	want := []snowflake.EndpointInfo{{
		ProviderServiceName: testService, SnowflakeEndpointName: "vpce-0001",
		Host: testHost, EndpointState: "PENDING_CREATION", Status: "Pending",
	}}
	if diff := cmp.Diff(want, endpoints(t, client)); diff != "" {
		t.Errorf("after provision (-want +got):\n%s", diff)
	}

	err := client.Exec(context.Background(), snowflake.ProvisionPrivateLinkEndpoint(testService, testHost))
	if err == nil {
		t.Error("second provision to the same service succeeded, want an error")
	}

	sb.link.setState(testService, "pending")
	if got := endpoints(t, client)[0]; got.EndpointState != "PENDING_CREATION" || got.Status != "Pending" {
		t.Errorf("provider pending: %+v, want PENDING_CREATION/Pending", got)
	}

	sb.link.setState(testService, "available")
	if got := endpoints(t, client)[0]; got.EndpointState != "PENDING_CREATION" {
		t.Errorf("available before the delay: %+v, want PENDING_CREATION", got)
	}
	sb.clock.Advance(9 * time.Minute)
	if got := endpoints(t, client)[0]; got.EndpointState != "PENDING_CREATION" {
		t.Errorf("available 9 minutes: %+v, want PENDING_CREATION", got)
	}
	sb.clock.Advance(time.Minute)
	if got := endpoints(t, client)[0]; got.EndpointState != "CREATED" || got.Status != "Available" {
		t.Errorf("available 10 minutes: %+v, want CREATED/Available", got)
	}

	sb.link.setState(testService, "rejected")
	if got := endpoints(t, client)[0]; got.EndpointState != "FAILED" || got.Status != "rejected" {
		t.Errorf("provider rejected: %+v, want FAILED/rejected", got)
	}

	text = mustScalar(t, client, snowflake.DeprovisionPrivateLinkEndpoint(testService))
	if !strings.Contains(text, "marked for deletion") {
		t.Errorf("deprovision output = %q", text)
	}
	if got := endpoints(t, client)[0]; got.EndpointState != "PENDING_DELETION" {
		t.Errorf("after deprovision: %+v, want PENDING_DELETION", got)
	}
	if sb.link.disconnects != 1 {
		t.Errorf("Disconnect called %d times, want 1", sb.link.disconnects)
	}
	mustScalar(t, client, snowflake.RestorePrivateLinkEndpoint(testService))
	if got := endpoints(t, client); len(got) != 1 || got[0].EndpointState != "PENDING_CREATION" {
		t.Errorf("after restore: %+v, want one PENDING_CREATION endpoint", got)
	}
}

func TestProvisionLimitConcurrent(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	first, second := sb.connect(t), sb.connect(t)
	for i := range maxEndpoints - 1 {
		service := fmt.Sprintf("svc-%d", i)
		sb.link.addService(service, AccountPrincipal, "")
		mustExec(t, first, snowflake.ProvisionPrivateLinkEndpoint(service, fmt.Sprintf("h%d.example.com", i)))
	}
	sb.link.addService("svc-held", AccountPrincipal, "")
	sb.link.addService("svc-late", AccountPrincipal, "")

	// The first statement for the last place waits inside the cloud call
	// while the second one runs.
	heldErr, lateErr := execWhileHeld(sb, first, second,
		snowflake.ProvisionPrivateLinkEndpoint("svc-held", "held.example.com"),
		snowflake.ProvisionPrivateLinkEndpoint("svc-late", "late.example.com"))

	if heldErr != nil {
		t.Errorf("provision that took the last place: %v", heldErr)
	}
	if lateErr == nil || !strings.Contains(lateErr.Error(), "the maximum") {
		t.Errorf("provision past the limit: error = %v, want one naming the maximum", lateErr)
	}
	if got := len(endpoints(t, first)); got != maxEndpoints {
		t.Errorf("endpoints = %d, want %d", got, maxEndpoints)
	}
}

// execWhileHeld runs held on first, holds it in the cloud call for the
// service svc-held, and runs late on second meanwhile. It returns the
// errors of both statements.
func execWhileHeld(sb *sandbox, first, second *snowflake.Client, held, late string) (heldErr, lateErr error) {
	ctx := context.Background()
	entered, release := make(chan struct{}), make(chan struct{})
	sb.link.mu.Lock()
	sb.link.beforeConnect = func(service string) {
		if service == "svc-held" {
			close(entered)
			<-release
		}
	}
	sb.link.mu.Unlock()
	heldDone := make(chan error, 1)
	go func() { heldDone <- first.Exec(ctx, held) }()
	<-entered
	lateErr = second.Exec(ctx, late)
	close(release)
	return <-heldDone, lateErr
}

func TestProvisionHostTaken(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	ctx := context.Background()
	for _, service := range []string{testService, "svc-second", "svc-third"} {
		sb.link.addService(service, AccountPrincipal, "")
	}
	mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint(testService, testHost))

	err := client.Exec(ctx, snowflake.ProvisionPrivateLinkEndpoint("svc-second", strings.ToUpper(testHost)))
	if err == nil || !strings.Contains(err.Error(), "already used by the endpoint to '"+testService+"'") {
		t.Errorf("second endpoint for the host: error = %v, want one naming %s", err, testService)
	}
	if got := len(endpoints(t, client)); got != 1 {
		t.Errorf("endpoints after the rejected provision = %d, want 1", got)
	}
	mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint("svc-third", "other."+testHost))

	// A deprovisioned endpoint no longer carries its host, so another
	// endpoint can take it, and the first one can then not be restored.
	mustScalar(t, client, snowflake.DeprovisionPrivateLinkEndpoint(testService))
	mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint("svc-second", testHost))
	err = client.Exec(ctx, snowflake.RestorePrivateLinkEndpoint(testService))
	if err == nil || !strings.Contains(err.Error(), "already used by the endpoint to 'svc-second'") {
		t.Errorf("restore of the endpoint whose host was taken: error = %v, want one naming svc-second", err)
	}
}

func TestProvisionHostTakenInFlight(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	first, second := sb.connect(t), sb.connect(t)
	sb.link.addService("svc-held", AccountPrincipal, "")
	sb.link.addService("svc-late", AccountPrincipal, "")

	// The first provision waits inside the cloud call, before its
	// endpoint is recorded, while the second one runs.
	heldErr, lateErr := execWhileHeld(sb, first, second,
		snowflake.ProvisionPrivateLinkEndpoint("svc-held", testHost),
		snowflake.ProvisionPrivateLinkEndpoint("svc-late", testHost))

	if heldErr != nil {
		t.Errorf("first provision for the host: %v", heldErr)
	}
	if lateErr == nil || !strings.Contains(lateErr.Error(), "already used by the endpoint to 'svc-held'") {
		t.Errorf("provision for the same host meanwhile: error = %v, want one naming svc-held", lateErr)
	}
}

func TestProvisionFailures(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	ctx := context.Background()
	sb.link.addService("svc-wrong-principal", "arn:aws:iam::111111111111:root", "")

	tests := []struct {
		name    string
		stmt    string
		wantErr string
	}{
		{"unknown service", snowflake.ProvisionPrivateLinkEndpoint("svc-missing", testHost), "not found"},
		{"principal not allowed", snowflake.ProvisionPrivateLinkEndpoint("svc-wrong-principal", testHost), "not allowed"},
		{"host with scheme", snowflake.ProvisionPrivateLinkEndpoint("svc-missing", "https://"+testHost), "host name"},
		{"deprovision unknown", snowflake.DeprovisionPrivateLinkEndpoint("svc-missing"), "no endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := client.Exec(ctx, tt.stmt)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestProvisionLimit(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	for i := range 6 {
		svc := fmt.Sprintf("svc-%d", i)
		sb.link.addService(svc, AccountPrincipal, "")
		err := client.Exec(context.Background(), snowflake.ProvisionPrivateLinkEndpoint(svc, fmt.Sprintf("h%d.example.com", i)))
		if i < 5 && err != nil {
			t.Fatalf("endpoint %d: %v", i, err)
		}
		if i == 5 && (err == nil || !strings.Contains(err.Error(), "maximum")) {
			t.Errorf("sixth endpoint: %v, want the limit error", err)
		}
	}
}

// readyEndpoint provisions the test service and makes its endpoint CREATED.
func readyEndpoint(t *testing.T, sb *sandbox, c snowflake.Conn, addr string) {
	t.Helper()
	sb.link.addService(testService, AccountPrincipal, addr)
	mustScalar(t, c, snowflake.ProvisionPrivateLinkEndpoint(testService, testHost))
	sb.link.setState(testService, "available")
	endpoints(t, c)
	sb.clock.Advance(time.Hour)
	if got := endpoints(t, c)[0].EndpointState; got != "CREATED" {
		t.Fatalf("endpoint state = %s, want CREATED", got)
	}
}

func TestVerifyFunctionInstalls(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	createObjects(t, client, "corp_secret", "corp_int", "corp_pypi", true)
	readyEndpoint(t, sb, client, "127.0.0.1:4443")
	repo := snowflake.Qualified(testDB, testSchema, "corp_pypi")

	create, err := snowflake.CreateVerifyFunction(testDB, testSchema, "repolink_check", repo, "", []string{"requests", "corp-utils==2.3.1"})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, client, create)
	got := mustScalar(t, client, snowflake.CallVerifyFunction(testDB, testSchema, "repolink_check"))
	if got != "requests==1.0,corp-utils==1.0" {
		t.Errorf("function result = %q", got)
	}
	wantCall := installCall{
		Addr: "127.0.0.1:4443", IndexURL: testIndexURL, User: "svc-user", Pass: "s3cret",
		Requirements: []string{"requests", "corp-utils==2.3.1"},
	}
	if diff := cmp.Diff([]installCall{wantCall}, sb.installer.calls); diff != "" {
		t.Errorf("install calls (-want +got):\n%s", diff)
	}

	proc, err := snowflake.CreateVerifyProcedure(testDB, testSchema, "repolink_check", repo, "", []string{"requests"})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, client, proc)
	if got := mustScalar(t, client, snowflake.CallVerifyProcedure(testDB, testSchema, "repolink_check")); got != "snowflake-snowpark-python==1.0,requests==1.0" {
		t.Errorf("procedure result = %q", got)
	}

	mustExec(t, client, snowflake.DropVerifyFunction(testDB, testSchema, "repolink_check"))
	mustExec(t, client, snowflake.DropVerifyProcedure(testDB, testSchema, "repolink_check"))
	mustExec(t, client, snowflake.DropVerifyFunction(testDB, testSchema, "repolink_check"))
	if _, err := client.Query(context.Background(), snowflake.CallVerifyFunction(testDB, testSchema, "repolink_check")); err == nil {
		t.Error("dropped function still answers")
	}
}

// TestVerifyFunctionPendingEndpointStatus checks that the error for an
// endpoint that is not CREATED yet names the status of a live endpoint on
// the cloud of the endpoint's service.
func TestVerifyFunctionPendingEndpointStatus(t *testing.T) {
	repo := snowflake.Qualified(testDB, testSchema, "corp_pypi")
	create, err := snowflake.CreateVerifyFunction(testDB, testSchema, "f", repo, "", []string{"requests"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		service string
		want    string
		wrong   []string
	}{
		{"aws", testService, "wait until the endpoint to " + testService + " is CREATED and its status is Available", []string{"APPROVED", "ACCEPTED"}},
		{"azure", "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/pls1",
			"is CREATED and its status is APPROVED", []string{"Available", "ACCEPTED"}},
		{"gcp", "projects/proj-one/regions/us-central1/serviceAttachments/sa1",
			"is CREATED and its status is ACCEPTED", []string{"Available", "APPROVED"}},
		{"no endpoint", "", "wait until its status is Available on AWS, APPROVED on Azure or ACCEPTED on GCP", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startSandbox(t, t.TempDir())
			client := sb.connect(t)
			createObjects(t, client, "corp_secret", "corp_int", "corp_pypi", true)
			if tt.service != "" {
				sb.link.addService(tt.service, AccountPrincipal, "127.0.0.1:1")
				mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint(tt.service, testHost))
			}

			err := client.Exec(context.Background(), create)
			if err == nil {
				t.Fatal("create function succeeded, want an error for the endpoint that is not CREATED")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
			for _, status := range tt.wrong {
				if strings.Contains(err.Error(), status) {
					t.Errorf("error = %v, names %s, the status of another cloud", err, status)
				}
			}
		})
	}
}

func TestVerifyFunctionFailures(t *testing.T) {
	repo := snowflake.Qualified(testDB, testSchema, "corp_pypi")
	create, err := snowflake.CreateVerifyFunction(testDB, testSchema, "f", repo, "", []string{"requests"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, sb *sandbox, c snowflake.Conn)
		stmt    string
		wantErr string
	}{
		{
			name:    "no endpoint for host",
			setup:   func(t *testing.T, sb *sandbox, c snowflake.Conn) {},
			stmt:    create,
			wantErr: "no private endpoint in state CREATED for host '" + testHost + "'",
		},
		{
			name: "endpoint still pending",
			setup: func(t *testing.T, sb *sandbox, c snowflake.Conn) {
				sb.link.addService(testService, AccountPrincipal, "127.0.0.1:1")
				mustScalar(t, c, snowflake.ProvisionPrivateLinkEndpoint(testService, testHost))
			},
			stmt:    create,
			wantErr: "no private endpoint in state CREATED",
		},
		{
			name: "bad credentials",
			setup: func(t *testing.T, sb *sandbox, c snowflake.Conn) {
				readyEndpoint(t, sb, c, "127.0.0.1:1")
				sb.installer.err = fmt.Errorf("fetch index: %w", &statusError{401})
			},
			stmt:    create,
			wantErr: "bad credentials in the secret",
		},
		{
			name: "disabled integration",
			setup: func(t *testing.T, sb *sandbox, c snowflake.Conn) {
				account := sb.world.Accounts[accountKey(testAccount)]
				account.Integrations["CORP_INT"].Enabled = false
			},
			stmt:    create,
			wantErr: "disabled",
		},
		{
			name:    "procedure without snowpark",
			setup:   func(t *testing.T, sb *sandbox, c snowflake.Conn) {},
			stmt:    strings.Replace(create, "TEMPORARY FUNCTION", "TEMPORARY PROCEDURE", 1),
			wantErr: "snowflake-snowpark-python",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startSandbox(t, t.TempDir())
			client := sb.connect(t)
			createObjects(t, client, "corp_secret", "corp_int", "corp_pypi", true)
			tt.setup(t, sb, client)

			err := client.Exec(context.Background(), tt.stmt)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	first := startSandbox(t, dir)
	client := first.connect(t)
	createObjects(t, client, "corp-secret", "corp_int", "corp_pypi", true)
	first.link.addService(testService, AccountPrincipal, "")
	mustScalar(t, client, snowflake.ProvisionPrivateLinkEndpoint(testService, testHost))
	client.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := startSandbox(t, dir)
	client = second.connect(t)
	repos := mustQuery(t, client, snowflake.ShowArtifactRepositories(testDB, testSchema, "corp_pypi"))
	if len(repos) != 1 || repos[0]["api_integration"] != "CORP_INT" {
		t.Errorf("repositories after restart = %v", repos)
	}
	account, err := second.Snapshot(testAccount)
	if err != nil {
		t.Fatal(err)
	}
	if secret := account.Databases[testDB].Schemas[testSchema].Secrets["corp-secret"]; secret == nil || second.openPassword(t, secret) != "s3cret" {
		t.Errorf("secret after restart = %+v", secret)
	}
	if len(account.Endpoints) != 1 || account.Endpoints[0].ServiceName != testService {
		t.Errorf("endpoints after restart = %+v", account.Endpoints)
	}
}

func TestFaultInjection(t *testing.T) {
	sb := startSandbox(t, t.TempDir())
	client := sb.connect(t)
	ctx := context.Background()

	sb.SetFault(func(sql string) error {
		if strings.Contains(sql, "SECRET") {
			return &SQLError{Code: "002003", SQLState: "02000", Message: "injected"}
		}
		return nil
	})
	err := client.Exec(ctx, snowflake.CreateSecretGeneric(testDB, testSchema, "t", "v"))
	if !snowflake.IsNotExist(err) {
		t.Errorf("SQL fault: %v, want does not exist", err)
	}

	sb.SetFault(func(string) error { return &HTTPError{Status: 404} })
	_, err = client.Query(ctx, "SELECT 1")
	var sfErr *snowflake.Error
	if !errors.As(err, &sfErr) || sfErr.Code != snowflake.CodeQueryHTTPError {
		t.Errorf("HTTP fault: %v, want code %s", err, snowflake.CodeQueryHTTPError)
	}

	sb.SetFault(nil)
	mustScalar(t, client, "SELECT 1")
}
