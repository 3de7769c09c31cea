package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/request"
)

// mapResolver resolves references from a map.
type mapResolver map[string]string

func (m mapResolver) Resolve(_ context.Context, ref string) (string, error) {
	v, ok := m[ref]
	if !ok {
		return "", fmt.Errorf("reference %s not found", ref)
	}
	return v, nil
}

const (
	jiraSecret        = "jira-shared-secret"
	serviceNowToken   = "servicenow-bearer-token"
	serviceNowHMACKey = "c2VydmljZW5vdy1obWFjLWtleQ==" // base64 of "servicenow-hmac-key"
)

var testSecrets = mapResolver{
	"env:REPOLINK_JIRA_SECRET":          jiraSecret,
	"env:REPOLINK_SERVICENOW_TOKEN":     serviceNowToken,
	"env:REPOLINK_SERVICENOW_HMAC_KEY":  serviceNowHMACKey,
	"env:REPOLINK_SERVICENOW_PASSWORD":  "servicenow-password",
	"env:REPOLINK_EMPTY":                "",
	"env:REPOLINK_SERVICENOW_PLAIN_KEY": "servicenow-plain-key",
	"env:REPOLINK_SHORT":                "short-secret",
	"env:REPOLINK_SHORT_BASE64":         "c2hvcnQtc2VjcmV0", // base64 of "short-secret"
}

func exampleSource(t *testing.T, name string, edit func(*Mapping)) Source {
	t.Helper()
	m, err := ReadMapping("../../examples/" + name + "-mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&m)
	}
	src, err := NewSource(context.Background(), name, m, testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func payload(t *testing.T, file string, replace ...string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(replace...).Replace(string(data)))
}

func hubSignature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func serviceNowSignature(body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(serviceNowHMACKey)
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// jiraDelivery returns the example Jira payload, with replace applied as
// payload applies it, and the headers that sign it with jiraSecret.
func jiraDelivery(t *testing.T, replace ...string) ([]byte, map[string]string) {
	t.Helper()
	body := payload(t, "jira-issue-updated.json", replace...)
	return body, map[string]string{HeaderHubSignature: hubSignature(jiraSecret, body)}
}

// startJiraTicket returns a service with the example Jira source after a
// first delivery of the example ticket, which must start DATA-4711, and
// that delivery's body and headers.
func startJiraTicket(t *testing.T) (*testService, []byte, map[string]string) {
	t.Helper()
	svc := newTestService(t, exampleSource(t, "jira", nil))
	body, headers := jiraDelivery(t)
	if code, _ := svc.post(t, "/v1/hooks/jira", body, headers); code != http.StatusAccepted {
		t.Fatalf("first delivery status = %d, want 202", code)
	}
	return svc, body, headers
}

// checkEarlierVersion checks the response to the first version of the
// example ticket after DATA-4711-r2 started for a changed version: a 200
// duplicate of DATA-4711 whose reason names the latest execution.
func checkEarlierVersion(t *testing.T, code int, resp Response) {
	t.Helper()
	if code != http.StatusOK {
		t.Errorf("earlier version status = %d, want 200", code)
	}
	if resp.Execution != "DATA-4711" || !resp.Duplicate {
		t.Errorf("earlier version response = %+v, want a duplicate of DATA-4711", resp)
	}
	if !strings.Contains(resp.Reason, "latest execution DATA-4711-r2") {
		t.Errorf("earlier version reason = %q, want it to name DATA-4711-r2", resp.Reason)
	}
}

func TestJiraDeliveries(t *testing.T) {
	approved := payload(t, "jira-issue-updated.json")
	inReview := payload(t, "jira-issue-updated.json", `"name": "Approved"`, `"name": "In Review"`)
	created := payload(t, "jira-issue-updated.json", "jira:issue_updated", "jira:issue_created")
	commented := payload(t, "jira-issue-updated.json", "jira:issue_updated", "comment_created")
	noName := payload(t, "jira-issue-updated.json", `"customfield_10204": "corp_pypi",`, "")
	badRegion := payload(t, "jira-issue-updated.json", `"customfield_10208": "pypi.corp.example.com:443"`, `"customfield_10208": "https://pypi.corp.example.com"`)

	tests := []struct {
		name       string
		body       []byte
		headers    map[string]string
		wantCode   int
		wantStatus string
		wantErrors []string
		wantReason string
	}{
		{
			name:       "approved issue",
			body:       approved,
			headers:    map[string]string{HeaderHubSignature: hubSignature(jiraSecret, approved), "X-Atlassian-Webhook-Identifier": "42"},
			wantCode:   http.StatusAccepted,
			wantStatus: "RUNNING",
		},
		{
			name:     "github header name",
			body:     approved,
			headers:  map[string]string{"X-Hub-Signature-256": hubSignature(jiraSecret, approved)},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:     "secret in query only",
			body:     approved,
			headers:  map[string]string{},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:     "wrong secret",
			body:     approved,
			headers:  map[string]string{HeaderHubSignature: hubSignature("other", approved)},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:     "sha1 method",
			body:     approved,
			headers:  map[string]string{HeaderHubSignature: "sha1=" + strings.TrimPrefix(hubSignature(jiraSecret, approved), "sha256=")},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:       "status not approved",
			body:       inReview,
			headers:    map[string]string{HeaderHubSignature: hubSignature(jiraSecret, inReview)},
			wantCode:   http.StatusOK,
			wantStatus: "IGNORED",
			wantReason: "issue.fields.status.name",
		},
		{
			name:       "event not configured",
			body:       commented,
			headers:    map[string]string{HeaderHubSignature: hubSignature(jiraSecret, commented)},
			wantCode:   http.StatusOK,
			wantStatus: "IGNORED",
			wantReason: "comment_created",
		},
		{
			name:       "created event",
			body:       created,
			headers:    map[string]string{HeaderHubSignature: hubSignature(jiraSecret, created)},
			wantCode:   http.StatusAccepted,
			wantStatus: "RUNNING",
		},
		{
			name:       "missing ticket field",
			body:       noName,
			headers:    map[string]string{HeaderHubSignature: hubSignature(jiraSecret, noName)},
			wantCode:   http.StatusBadRequest,
			wantErrors: []string{"$.repository.name"},
		},
		{
			name:       "invalid ticket field",
			body:       badRegion,
			headers:    map[string]string{HeaderHubSignature: hubSignature(jiraSecret, badRegion)},
			wantCode:   http.StatusBadRequest,
			wantErrors: []string{"$.aws.upstream"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newTestService(t, exampleSource(t, "jira", nil))
			path := "/v1/hooks/jira"
			if tt.name == "secret in query only" {
				path += "?secret=" + jiraSecret
			}
			code, resp := svc.post(t, path, tt.body, tt.headers)
			if code != tt.wantCode {
				t.Fatalf("status = %d, want %d; body %+v", code, tt.wantCode, resp)
			}
			if resp.Status != tt.wantStatus {
				t.Errorf("response status = %q, want %q", resp.Status, tt.wantStatus)
			}
			if !strings.Contains(resp.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", resp.Reason, tt.wantReason)
			}
			if tt.wantErrors != nil {
				var paths []string
				for _, f := range resp.Errors {
					paths = append(paths, f.Path)
					if !strings.Contains(f.Message, "ticket field issue.fields.customfield_102") {
						t.Errorf("field error %q does not name the ticket field", f.Message)
					}
				}
				if diff := cmp.Diff(tt.wantErrors, paths); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
			}
			if tt.wantCode == http.StatusAccepted && resp.Execution != "DATA-4711" {
				t.Errorf("execution = %q, want DATA-4711", resp.Execution)
			}
		})
	}
}

func TestJiraRedeliveryAnswers2xx(t *testing.T) {
	svc := newTestService(t, exampleSource(t, "jira", nil))
	body := payload(t, "jira-issue-updated.json")
	headers := map[string]string{HeaderHubSignature: hubSignature(jiraSecret, body), "X-Atlassian-Webhook-Identifier": "42", "X-Atlassian-Webhook-Retry": "1"}
	if code, _ := svc.post(t, "/v1/hooks/jira", body, headers); code != http.StatusAccepted {
		t.Fatalf("first delivery status = %d, want 202", code)
	}

	code, resp := svc.post(t, "/v1/hooks/jira", body, headers)
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "DATA-4711" {
		t.Errorf("redelivery = %d %+v, want 200 duplicate of DATA-4711", code, resp)
	}

	// The ticket changed while its run still runs. A 2xx response keeps
	// the ticket system from redelivering.
	svc.execs.running = true
	edited, editedHeaders := jiraDelivery(t, "requests, corp-utils==2.3.1", "requests")
	code, resp = svc.post(t, "/v1/hooks/jira", edited, editedHeaders)
	if code != http.StatusOK {
		t.Errorf("edited ticket status = %d, want 200", code)
	}
	if !strings.Contains(resp.Reason, "update the ticket again after DATA-4711 closes") {
		t.Errorf("edited ticket reason = %q, want it to name DATA-4711", resp.Reason)
	}
	checkRejectedBy(t, resp, "DATA-4711")
	if got := svc.execs.starts.Load(); got != 1 {
		t.Errorf("executions started = %d, want 1", got)
	}
}

// TestJiraEarlierVersionStartsNothing checks that a ticket adapter, unlike
// POST /v1/requests, starts nothing for an earlier version of a ticket,
// because the ticket system may deliver it late.
func TestJiraEarlierVersionStartsNothing(t *testing.T) {
	svc, body, headers := startJiraTicket(t)
	edited, editedHeaders := jiraDelivery(t, "requests, corp-utils==2.3.1", "requests")
	code, resp := svc.post(t, "/v1/hooks/jira", edited, editedHeaders)
	if code != http.StatusAccepted || resp.Execution != "DATA-4711-r2" {
		t.Fatalf("edited ticket = %d %+v, want 202 starting DATA-4711-r2", code, resp)
	}

	code, resp = svc.post(t, "/v1/hooks/jira", body, headers)
	checkEarlierVersion(t, code, resp)
	if resp.Status != StatusSuperseded || resp.LatestExecution != "DATA-4711-r2" {
		t.Errorf("earlier version status = %q latest_execution = %q, want %s DATA-4711-r2",
			resp.Status, resp.LatestExecution, StatusSuperseded)
	}
	if got := svc.execs.starts.Load(); got != 2 {
		t.Errorf("executions started = %d, want 2", got)
	}
}

// TestJiraAfterFailedTeardown delivers the unchanged ticket after a
// teardown that failed. The run's resources may partly exist, so the status
// must report that the teardown failed, and never carry the teardown's status
// as the request's.
func TestJiraAfterFailedTeardown(t *testing.T) {
	svc, body, headers := startJiraTicket(t)
	svc.execs.tearDown("DATA-4711", "DATA-4711-teardown", "FAILED")

	code, resp := svc.post(t, "/v1/hooks/jira", body, headers)
	if code != http.StatusOK {
		t.Errorf("status = %d, want 200", code)
	}
	want := Response{Execution: "DATA-4711", Status: StatusTeardownFailed, Duplicate: true,
		Teardown: "DATA-4711-teardown", TeardownStatus: "FAILED", Reason: resp.Reason}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("response after the failed teardown (-want +got):\n%s", diff)
	}
}

// TestJiraEarlierVersionAfterTeardownAndChange delivers the first version
// of a ticket again after a teardown and a run of a changed ticket. The
// teardown removed only what the first run built, so the response must name
// the ticket's latest execution, as without a teardown, and not the teardown.
func TestJiraEarlierVersionAfterTeardownAndChange(t *testing.T) {
	svc, body, headers := startJiraTicket(t)
	svc.execs.tearDown("DATA-4711", "DATA-4711-teardown", "SUCCEEDED")
	edited, editedHeaders := jiraDelivery(t, "requests, corp-utils==2.3.1", "requests")
	code, resp := svc.post(t, "/v1/hooks/jira", edited, editedHeaders)
	if code != http.StatusAccepted || resp.Execution != "DATA-4711-r2" {
		t.Fatalf("changed ticket = %d %+v, want 202 starting DATA-4711-r2", code, resp)
	}

	code, resp = svc.post(t, "/v1/hooks/jira", body, headers)
	checkEarlierVersion(t, code, resp)
	if strings.Contains(resp.Execution+resp.Reason, "DATA-4711-teardown") {
		t.Errorf("earlier version response = %+v names the teardown, which ran before DATA-4711-r2", resp)
	}
	if got := svc.execs.starts.Load(); got != 2 {
		t.Errorf("executions started = %d, want 2", got)
	}
}

// TestTicketDeliveryClashingWithOtherTicket starts a request whose Snowflake
// objects another ticket's execution claims, through each route. Nothing
// starts, so the response must have status REJECTED and name the other
// ticket's execution only under blocking_execution. A sender that records
// execution and status would otherwise take that execution's success for
// its own.
func TestTicketDeliveryClashingWithOtherTicket(t *testing.T) {
	jira := payload(t, "jira-issue-updated.json")
	serviceNow := payload(t, "servicenow-approved.json")
	request := exampleRequest(t, nil)
	tests := []struct {
		name     string
		path     string
		body     []byte
		headers  map[string]string
		wantCode int
	}{
		{name: "jira", path: "/v1/hooks/jira", body: jira,
			headers: map[string]string{HeaderHubSignature: hubSignature(jiraSecret, jira)}, wantCode: http.StatusOK},
		{name: "servicenow", path: "/v1/hooks/servicenow", body: serviceNow,
			headers:  map[string]string{"Authorization": "Bearer " + serviceNowToken, "X-ServiceNow-Signature": serviceNowSignature(serviceNow)},
			wantCode: http.StatusOK},
		{name: "signed request", path: "/v1/requests", body: request, headers: signed(request, testSecret, testNow),
			wantCode: http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newTestService(t, exampleSource(t, "jira", nil), exampleSource(t, "servicenow", nil))
			reason := "request DATA-4711 names secret PLATFORM.PACKAGES.CORP_PYPI_SECRET, as request PLAT-1 does in execution PLAT-1-r2 (SUCCEEDED)"
			svc.execs.err = &ConflictError{Ticket: "DATA-4711", Execution: "PLAT-1-r2", Reason: reason}

			code, resp := svc.post(t, tt.path, tt.body, tt.headers)
			if code != tt.wantCode {
				t.Errorf("status = %d, want %d; body %+v", code, tt.wantCode, resp)
			}
			checkRejectedBy(t, resp, "PLAT-1-r2")
			if resp.Duplicate {
				t.Errorf("duplicate = true, want false for a rejected delivery")
			}
			if got := resp.Reason + resp.Error; !strings.Contains(got, reason) {
				t.Errorf("reason and error = %q, want them to contain %q", got, reason)
			}
			if got := svc.execs.starts.Load(); got != 0 {
				t.Errorf("executions started = %d, want 0", got)
			}
		})
	}
}

// TestJiraDeliveryDuringAndAfterTeardown delivers the unchanged ticket
// while its teardown runs and after it has closed. Both start nothing and
// name the teardown with a 2xx response. A changed ticket then starts a
// new run.
func TestJiraDeliveryDuringAndAfterTeardown(t *testing.T) {
	svc, body, headers := startJiraTicket(t)

	svc.execs.tearDown("DATA-4711", "DATA-4711-teardown", "RUNNING")
	code, resp := svc.post(t, "/v1/hooks/jira", body, headers)
	if code != http.StatusOK {
		t.Errorf("status during the teardown = %d, want 200", code)
	}
	checkRejectedBy(t, resp, "DATA-4711-teardown")
	if !strings.Contains(resp.Reason, "teardown DATA-4711-teardown of ticket DATA-4711 is still running") {
		t.Errorf("reason during the teardown = %q, want it to name the running teardown", resp.Reason)
	}

	svc.execs.tearDown("DATA-4711", "DATA-4711-teardown", "SUCCEEDED")
	code, resp = svc.post(t, "/v1/hooks/jira", body, headers)
	if code != http.StatusOK {
		t.Errorf("status after the teardown = %d, want 200", code)
	}
	if resp.Execution != "DATA-4711" {
		t.Errorf("execution after the teardown = %q, want DATA-4711, the run of this request", resp.Execution)
	}
	if resp.Status != StatusTornDown {
		t.Errorf("status after the teardown = %q, want %s", resp.Status, StatusTornDown)
	}
	if resp.Teardown != "DATA-4711-teardown" || resp.TeardownStatus != "SUCCEEDED" {
		t.Errorf("teardown after the teardown = %q %q, want DATA-4711-teardown SUCCEEDED", resp.Teardown, resp.TeardownStatus)
	}
	if !strings.Contains(resp.Reason, "change the ticket to provision its request again") {
		t.Errorf("reason after the teardown = %q, want advice to change the ticket", resp.Reason)
	}
	if got := svc.execs.starts.Load(); got != 1 {
		t.Errorf("executions started before the change = %d, want 1", got)
	}

	edited, editedHeaders := jiraDelivery(t, "requests, corp-utils==2.3.1", "requests")
	if code, resp := svc.post(t, "/v1/hooks/jira", edited, editedHeaders); code != http.StatusAccepted || resp.Execution != "DATA-4711-r2" {
		t.Errorf("changed ticket = %d %+v, want 202 DATA-4711-r2", code, resp)
	}
	code, resp = svc.post(t, "/v1/hooks/jira", edited, editedHeaders)
	if code != http.StatusOK || !resp.Duplicate || resp.Execution != "DATA-4711-r2" {
		t.Errorf("redelivery of the changed ticket = %d %+v, want 200 duplicate of DATA-4711-r2", code, resp)
	}
}

func TestServiceNowDeliveries(t *testing.T) {
	body := payload(t, "servicenow-approved.json")
	basic := func(m *Mapping) {
		m.Auth = AuthConfig{Type: AuthBasic, Username: "servicenow", PasswordRef: "env:REPOLINK_SERVICENOW_PASSWORD"}
	}
	hexRawKey := func(m *Mapping) {
		m.Auth.Signature = &BodySignature{Header: "X-Signature", Encoding: EncodingHex, KeyRef: "env:REPOLINK_SERVICENOW_PLAIN_KEY", KeyEncoding: "raw"}
	}
	plainHex := hubSignature("servicenow-plain-key", body)[len("sha256="):]

	tests := []struct {
		name     string
		edit     func(*Mapping)
		headers  map[string]string
		wantCode int
	}{
		{
			name:     "bearer and base64 signature",
			headers:  map[string]string{"Authorization": "Bearer " + serviceNowToken, "X-ServiceNow-Signature": serviceNowSignature(body)},
			wantCode: http.StatusAccepted,
		},
		{
			name:     "wrong bearer token",
			headers:  map[string]string{"Authorization": "Bearer nope", "X-ServiceNow-Signature": serviceNowSignature(body)},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:     "missing signature",
			headers:  map[string]string{"Authorization": "Bearer " + serviceNowToken},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:     "hex digest where base64 is configured",
			headers:  map[string]string{"Authorization": "Bearer " + serviceNowToken, "X-ServiceNow-Signature": hex.EncodeToString([]byte(serviceNowSignature(body)))},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:     "basic auth",
			edit:     basic,
			headers:  map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("servicenow:servicenow-password"))},
			wantCode: http.StatusAccepted,
		},
		{
			name:     "basic auth wrong password",
			edit:     basic,
			headers:  map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("servicenow:guess"))},
			wantCode: http.StatusUnauthorized,
		},
		{
			name:     "hex signature with a raw key",
			edit:     hexRawKey,
			headers:  map[string]string{"Authorization": "Bearer " + serviceNowToken, "X-Signature": plainHex},
			wantCode: http.StatusAccepted,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newTestService(t, exampleSource(t, "servicenow", tt.edit))
			code, resp := svc.post(t, "/v1/hooks/servicenow", body, tt.headers)
			if code != tt.wantCode {
				t.Fatalf("status = %d, want %d; body %+v", code, tt.wantCode, resp)
			}
			if code == http.StatusAccepted && resp.Execution != "RITM0012345" {
				t.Errorf("execution = %q, want RITM0012345", resp.Execution)
			}
			if code == http.StatusUnauthorized && strings.Contains(resp.Error, serviceNowToken) {
				t.Errorf("error echoes the token: %q", resp.Error)
			}
		})
	}
}

func TestNewSourceRejectsMissingCredentials(t *testing.T) {
	tests := []struct {
		name string
		auth AuthConfig
		want string
	}{
		{name: "empty secret", auth: AuthConfig{Type: AuthHMAC, SecretRef: "env:REPOLINK_EMPTY"},
			want: "$.auth.secret_ref: the secret that env:REPOLINK_EMPTY references is empty; set the environment variable REPOLINK_EMPTY, or change the reference"},
		{name: "unresolved secret", auth: AuthConfig{Type: AuthHMAC, SecretRef: "env:REPOLINK_UNSET"},
			want: "$.auth.secret_ref: reference env:REPOLINK_UNSET not found; set the environment variable REPOLINK_UNSET, or change the reference"},
		{name: "unresolved cloud secret", auth: AuthConfig{Type: AuthBasic, Username: "u", PasswordRef: "aws-secretsmanager:arn:unset"},
			want: "$.auth.password_ref: reference aws-secretsmanager:arn:unset not found; store the secret that it references, or change the reference"},
		{name: "no secret ref", auth: AuthConfig{Type: AuthHMAC}, want: "secret_ref is missing"},
		{name: "no auth", auth: AuthConfig{}, want: "auth.type"},
		{name: "empty token", auth: AuthConfig{Type: AuthBearer, TokenRef: "env:REPOLINK_EMPTY"}, want: "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ReadMapping("../../examples/jira-mapping.json")
			if err != nil {
				t.Fatal(err)
			}
			m.Auth = tt.auth
			_, err = NewSource(context.Background(), "jira", m, testSecrets)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewSource error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestNewSourceRejectsShortCredentials(t *testing.T) {
	short := "shorter than 16 bytes"
	tests := []struct {
		name string
		auth AuthConfig
		want string
	}{
		{name: "hmac secret", auth: AuthConfig{Type: AuthHMAC, SecretRef: "env:REPOLINK_SHORT"},
			want: "$.auth.secret_ref: the secret that env:REPOLINK_SHORT references is " + short},
		{name: "basic password", auth: AuthConfig{Type: AuthBasic, Username: "u", PasswordRef: "env:REPOLINK_SHORT"},
			want: "$.auth.password_ref: the secret that env:REPOLINK_SHORT references is " + short},
		{name: "bearer token", auth: AuthConfig{Type: AuthBearer, TokenRef: "env:REPOLINK_SHORT"},
			want: "$.auth.token_ref: the secret that env:REPOLINK_SHORT references is " + short},
		{name: "raw signature key", auth: AuthConfig{Type: AuthBearer, TokenRef: "env:REPOLINK_SERVICENOW_TOKEN",
			Signature: &BodySignature{Header: "X-Signature", Encoding: EncodingHex, KeyRef: "env:REPOLINK_SHORT", KeyEncoding: "raw"}},
			want: "$.auth.signature.key_ref: the secret that env:REPOLINK_SHORT references is " + short},
		{name: "base64 signature key", auth: AuthConfig{Type: AuthBearer, TokenRef: "env:REPOLINK_SERVICENOW_TOKEN",
			Signature: &BodySignature{Header: "X-Signature", Encoding: EncodingHex, KeyRef: "env:REPOLINK_SHORT_BASE64", KeyEncoding: "base64"}},
			want: "$.auth.signature.key_ref: the referenced key is shorter than 16 bytes after base64 decoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ReadMapping("../../examples/jira-mapping.json")
			if err != nil {
				t.Fatal(err)
			}
			m.Auth = tt.auth
			_, err = NewSource(context.Background(), "jira", m, testSecrets)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewSource error = %v, want it to contain %q", err, tt.want)
			}
			for _, value := range []string{"short-secret", "c2hvcnQtc2VjcmV0"} {
				if strings.Contains(err.Error(), value) {
					t.Errorf("NewSource error %q contains the secret value", err)
				}
			}
		})
	}
}

func TestReadMappingRejectsUnknownFields(t *testing.T) {
	path := t.TempDir() + "/mapping.json"
	if err := os.WriteFile(path, []byte(`{"ticket_id": "key", "fields": {"repository.name": "x"}, "auth": {"type": "hmac", "secret_ref": "env:X"}, "colour": "red"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMapping(path); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("ReadMapping error = %v, want one naming the unknown field", err)
	}
}

func TestMappingBuildsExampleRequest(t *testing.T) {
	src := exampleSource(t, "jira", nil)
	ticket, err := src.Mapping.Map(payload(t, "jira-issue-updated.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ticket.Event != "jira:issue_updated" {
		t.Errorf("event = %q", ticket.Event)
	}
	req := ticket.Request
	got := []any{req.ID, req.Snowflake.Account, req.Repository.Name, req.Repository.Packages, req.Repository.GrantToRoles, req.AWS.Upstream, req.AWS.Region}
	want := []any{"DATA-4711", "myorg-analytics", "corp_pypi", []string{"requests", "corp-utils==2.3.1"}, []string{"DATA_SCIENCE"}, "pypi.corp.example.com:443", "us-west-2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapped request (-want +got):\n%s", diff)
	}
}

func TestMappingKeepsVersionClausesTogether(t *testing.T) {
	cases := []struct {
		source, file, old, packages string
	}{
		{"jira", "jira-issue-updated.json", `"requests, corp-utils==2.3.1"`, `"requests>=2.31,<3, corp-utils>=2.3, !=2.3.4,~=2.3"`},
		{"servicenow", "servicenow-approved.json", `"requests,corp-utils==2.3.1"`, `"requests>=2.31,<3,corp-utils>=2.3,!=2.3.4,~=2.3"`},
	}
	want := []string{"requests>=2.31,<3", "corp-utils>=2.3,!=2.3.4,~=2.3"}
	for _, c := range cases {
		src := exampleSource(t, c.source, nil)
		ticket, err := src.Mapping.Map(payload(t, c.file, c.old, c.packages))
		if err != nil {
			t.Fatalf("%s: %v", c.source, err)
		}
		if diff := cmp.Diff(want, ticket.Request.Repository.Packages); diff != "" {
			t.Errorf("%s: packages (-want +got):\n%s", c.source, diff)
		}
	}
}

func TestMappingNamesTicketFieldOfListElement(t *testing.T) {
	src := exampleSource(t, "jira", nil)
	_, err := src.Mapping.Map(payload(t, "jira-issue-updated.json", `"requests, corp-utils==2.3.1"`, `"requests, corp utils"`))
	var invalid *request.ValidationError
	if !errors.As(err, &invalid) || len(invalid.Fields) != 1 {
		t.Fatalf("Map error = %v, want one field error", err)
	}
	got := invalid.Fields[0]
	if got.Path != "$.repository.packages[1]" {
		t.Errorf("path = %q, want $.repository.packages[1]", got.Path)
	}
	if !strings.HasSuffix(got.Message, "(mapped from ticket field issue.fields.customfield_10206)") {
		t.Errorf("message = %q, want it to name the ticket field", got.Message)
	}
}

// TestJiraListFieldWithoutItems checks that a list field that maps to no
// items gets the 400 of an empty ticket field, because an empty list means
// something of its own: an empty grant_to_roles revokes earlier grants.
func TestJiraListFieldWithoutItems(t *testing.T) {
	// aws.subnet_ids is mapped too, from a field that the example payload
	// lacks, to cover a list field with another separator than a comma.
	mapSubnets := func(m *Mapping) {
		m.Fields["aws.subnet_ids"] = Field{From: "issue.fields.customfield_10209", Split: ";"}
	}
	subnets := `"customfield_10209": "subnet-0a1b2c3d4e5f60001; subnet-0a1b2c3d4e5f60002", "customfield_10208"`
	fields := []struct {
		target, from, separator, old string
	}{
		{"repository.packages", "issue.fields.customfield_10206", ",", `"requests, corp-utils==2.3.1"`},
		{"repository.grant_to_roles", "issue.fields.customfield_10207", ",", `"DATA_SCIENCE"`},
		{"aws.subnet_ids", "issue.fields.customfield_10209", ";", `"subnet-0a1b2c3d4e5f60001; subnet-0a1b2c3d4e5f60002"`},
	}
	for _, field := range fields {
		values := map[string]string{
			"empty text":       `""`,
			"only separators":  `" ` + field.separator + ` ` + field.separator + `"`,
			"one separator":    `"` + field.separator + `"`,
			"only whitespace":  `"   "`,
			"empty list":       `[]`,
			"empty list space": `[ ]`,
		}
		for name, value := range values {
			t.Run(field.target+"/"+name, func(t *testing.T) {
				body := payload(t, "jira-issue-updated.json", `"customfield_10208"`, subnets)
				body = []byte(strings.Replace(string(body), field.old, value, 1))
				if !strings.Contains(string(body), value) {
					t.Fatalf("payload does not contain %s", value)
				}
				svc := newTestService(t, exampleSource(t, "jira", mapSubnets))
				code, resp := svc.post(t, "/v1/hooks/jira", body, map[string]string{HeaderHubSignature: hubSignature(jiraSecret, body)})
				if code != http.StatusBadRequest {
					t.Fatalf("status = %d, want %d; body %+v", code, http.StatusBadRequest, resp)
				}
				if len(resp.Errors) != 1 {
					t.Fatalf("errors = %+v, want one", resp.Errors)
				}
				if got, want := resp.Errors[0].Path, "$."+field.target; got != want {
					t.Errorf("error path = %q, want %q", got, want)
				}
				if want := "ticket field " + field.from + " is missing or empty"; !strings.Contains(resp.Errors[0].Message, want) {
					t.Errorf("error message = %q, want it to contain %q", resp.Errors[0].Message, want)
				}
			})
		}
	}
}
