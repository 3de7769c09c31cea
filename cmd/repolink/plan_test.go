package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/functions/plan"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/execview"
	"github.com/repolink/repolink/shared/reservations"
	"github.com/repolink/repolink/shared/workflow"
)

// TestPlanWhileUpServes plans a request in a state directory that repolink
// up serves with the sandbox, so plan reads the world through up's sandbox.
func TestPlanWhileUpServes(t *testing.T) {
	t.Setenv(envWebhookSecret, testWebhookSecret)
	t.Setenv(envAPIToken, "")
	dir := t.TempDir()
	reqPath := writeRequest(t, nil)
	body, err := os.ReadFile(reqPath)
	if err != nil {
		t.Fatal(err)
	}
	up := startUp(t, dir, "--sandbox-latency", "none")
	if code, resp := postSigned(t, up.url+"/v1/requests", body, testWebhookSecret); code != http.StatusAccepted {
		t.Fatalf("signed request = %d %+v\nlogs:\n%s", code, resp, up.logs)
	}
	waitForStatus(t, up, "DATA-4711", "", "SUCCEEDED")
	published, err := os.ReadFile(filepath.Join(dir, sandboxAddressFile))
	if err != nil {
		t.Fatalf("repolink up did not publish its sandbox: %v", err)
	}

	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, reqPath)
	if code != exitOK {
		t.Fatalf("plan exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// A rerun sets the secret's credential and the repository's INDEX_URL
	// again and adopts the rest. The warehouse is the one item that plan
	// does not look up, and it is not counted as unknown.
	for _, want := range []string{"0 to create, 2 to update,", " 0 unknown, 1 unchecked", "latest execution DATA-4711 is SUCCEEDED"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runCLI(t, "plan", "--sandbox", "--output", "json", "--state-dir", dir, reqPath)
	var report planReport
	if code != exitOK || json.Unmarshal([]byte(out), &report) != nil {
		t.Fatalf("plan --output json exit %d, output %s, stderr %s", code, out, errOut)
	}
	if report.NextRun != "DATA-4711-r2" {
		t.Errorf("next run = %q, want DATA-4711-r2", report.NextRun)
	}
	after, err := os.ReadFile(filepath.Join(dir, sandboxAddressFile))
	if err != nil || string(after) != string(published) {
		t.Errorf("plan changed or removed the sandbox addresses of repolink up (%v)", err)
	}
}

func TestPrintPlanUpdateItem(t *testing.T) {
	report := planReport{
		Report: plan.Report{Request: "DATA-4711", Route: "public", Items: []plan.Item{
			{Step: "secret", Kind: "SECRET", Name: "CORP_PYPI_SECRET", State: plan.Update, ID: "CORP_PYPI_SECRET"},
			{Step: "integration", Kind: "API INTEGRATION", Name: "CORP_PYPI_INTEGRATION", State: plan.Adopt, ID: "CORP_PYPI_INTEGRATION"},
			{Step: "repository", Kind: "ARTIFACT REPOSITORY", Name: "CORP_PYPI", State: plan.Create},
		}},
		NextRun: "DATA-4711",
	}
	report.Summary = report.Summarize()
	var out bytes.Buffer

	printPlan(&out, report, "")

	if !strings.Contains(out.String(), "1 to create, 1 to update, 1 to adopt, 0 in conflict, 0 unknown, 0 unchecked") {
		t.Errorf("summary line lacks the update count:\n%s", out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "secret ") && !strings.Contains(line, " update ") {
			t.Errorf("secret line = %q, want plan word update", line)
		}
	}
}

// TestPlanJSONMatchesText plans the example request after a run of it,
// when most items are adopt, and checks that the JSON plan has the words
// and the counts of the text plan.
func TestPlanJSONMatchesText(t *testing.T) {
	dir := t.TempDir()
	reqPath := "../../examples/aws-privatelink.json"
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, reqPath); code != exitOK {
		t.Fatalf("run of the example exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, text, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, reqPath)
	if code != exitOK {
		t.Fatalf("plan exit %d\nstdout:\n%s\nstderr:\n%s", code, text, errOut)
	}
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--output", "json", "--state-dir", dir, reqPath)
	if code != exitOK {
		t.Fatalf("plan --output json exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatalf("decode JSON plan: %v\n%s", err, out)
	}
	var keys []string
	for key := range top {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	wantKeys := []string{"execution", "items", "next_run", "request", "route", "summary"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("top-level fields of the JSON plan (-want +got):\n%s", diff)
	}

	var report planReport
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("decode JSON plan: %v\n%s", err, out)
	}
	// The text rows follow the title, a blank line and the header.
	rows := strings.Split(text, "\n")[3:]
	if len(rows) < len(report.Items) {
		t.Fatalf("text plan has %d rows after the header, want at least %d:\n%s", len(rows), len(report.Items), text)
	}
	adopted := 0
	for i, it := range report.Items {
		if it.State == plan.Adopt {
			adopted++
		}
		if !strings.HasPrefix(rows[i], it.Step+" ") || !strings.Contains(rows[i], " "+it.State+" ") {
			t.Errorf("item %d is %s %q in the JSON plan, but its text row is %q", i, it.Step, it.State, rows[i])
		}
	}
	if adopted == 0 {
		t.Errorf("no item of the JSON plan is %q after a run:\n%s", plan.Adopt, out)
	}

	var line string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, " to create, ") {
			line = l
		}
	}
	var want plan.Summary
	_, err := fmt.Sscanf(line, "%d to create, %d to update, %d to adopt, %d in conflict, %d unknown, %d unchecked",
		&want.Create, &want.Update, &want.Adopt, &want.Conflict, &want.Unknown, &want.Unchecked)
	if err != nil {
		t.Fatalf("read the text summary line %q: %v\n%s", line, err, text)
	}
	if diff := cmp.Diff(want, report.Summary); diff != "" {
		t.Errorf("JSON summary differs from the text summary line (-text +json):\n%s", diff)
	}
	if want.Adopt != adopted {
		t.Errorf("summary counts %d to adopt, but %d items are %q", want.Adopt, adopted, plan.Adopt)
	}
}

// TestPlanOtherRequestConflicts plans a request whose Snowflake object
// names another request's run has taken, and checks that plan reports each
// of them as a conflict where the run of that request stops.
func TestPlanOtherRequestConflicts(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, "../../examples/aws-privatelink.json"); code != exitOK {
		t.Fatalf("run of the example exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	other := writeRequest(t, func(doc map[string]any) { doc["id"] = "DATA-5000" })

	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, other)

	// Plan reports what a run would meet, and exits 2 because a run of
	// the request would be rejected before it starts.
	if code != exitInvalid {
		t.Fatalf("plan exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInvalid, out, errOut)
	}
	for _, step := range []string{"secret", "integration", "repository"} {
		line := lineStarting(out, step+" ")
		if !strings.Contains(line, " conflict ") {
			t.Errorf("%s line = %q, want plan word conflict", step, line)
		}
		if !strings.Contains(line, "was created for request DATA-4711, not DATA-5000") {
			t.Errorf("%s line = %q, want the owner of the object", step, line)
		}
	}
	if want := "3 in conflict, 0 unknown, 1 unchecked"; !strings.Contains(out, want) {
		t.Errorf("plan summary lacks %q:\n%s", want, out)
	}

	// The objects belong to a run that succeeded, so a run is rejected
	// before it starts, and plan reports that too.
	rejected := "request DATA-5000 names secret PLATFORM.PACKAGES.CORP_PYPI_SECRET"
	if want := "a run would be rejected: " + rejected; !strings.Contains(out, want) {
		t.Errorf("plan output lacks %q:\n%s", want, out)
	}
	code, _, errOut = runCLI(t, "run", "--sandbox", "--sandbox-latency", "none", "--state-dir", dir, other)
	assertUsage(t, "run of DATA-5000", code, errOut, rejected, "as request DATA-4711 does in execution DATA-4711 (SUCCEEDED)")
}

// lineStarting returns the first line of out that starts with prefix.
func lineStarting(out, prefix string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// TestPlanCountsReservations fills the remaining private endpoint places
// of the account with other requests' reservations in the state directory,
// and checks that plan reports the conflict with which preflight stops.
func TestPlanCountsReservations(t *testing.T) {
	dir := t.TempDir()
	reqPath := writeRequest(t, nil)
	req, err := readRequest(reqPath)
	if err != nil {
		t.Fatal(err)
	}
	store, err := reservations.Open(filepath.Join(dir, reservationStore))
	if err != nil {
		t.Fatal(err)
	}
	for i := range provisionendpoint.MaxEndpoints {
		other := fmt.Sprintf("DATA-900%d", i)
		got, err := store.Reserve(context.Background(), workflow.EndpointReservation{
			Account: req.Snowflake.Account, RequestID: other, Execution: other,
			Limit: provisionendpoint.MaxEndpoints, Now: time.Now(),
		})
		if err != nil || !got.Reserved {
			t.Fatalf("reserve for %s = %+v, %v", other, got, err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	// Preflight prepares the sandbox account and credentials that plan
	// logs in with, and reserves nothing. It fails the endpoint
	// check, because the reservations take every place.
	if code, out, errOut := runCLI(t, "preflight", "--sandbox", "--state-dir", dir, reqPath); code != exitFailed || !strings.Contains(out, "failed  endpoint_capacity") {
		t.Fatalf("preflight exit %d, want %d with a failed endpoint_capacity check\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}

	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, reqPath)

	if code != exitFailed {
		t.Fatalf("plan exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	line := lineStarting(out, "endpoint ")
	if !strings.Contains(line, " conflict ") {
		t.Errorf("endpoint line = %q, want plan word conflict", line)
	}
	if want := "reserved by the runs of DATA-9000, DATA-9001"; !strings.Contains(line, want) {
		t.Errorf("endpoint line = %q, want it to contain %q", line, want)
	}
}

// TestReadmePlanJSON checks that the README's example of the JSON plan and
// its table of fields name every field that plan --output json prints.
func TestReadmePlanJSON(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	_, after, found := strings.Cut(readme, "`plan --output json` prints")
	if !found {
		t.Fatal("README does not describe plan --output json")
	}
	_, example, _ := strings.Cut(after, "```json\n")
	example, table, _ := strings.Cut(example, "```\n")
	table, _, _ = strings.Cut(strings.TrimSpace(table), "\n\n")

	started := execview.At(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	report := planReport{
		Report: plan.Report{Request: "DATA-4711", Route: "public", Items: []plan.Item{
			{Step: "secret", Kind: "SECRET", Name: "CORP_PYPI_SECRET", State: plan.Update, ID: "CORP_PYPI_SECRET", Detail: "the run sets the credential again"},
		}},
		Execution: &executionView{Name: "DATA-4711", Status: "SUCCEEDED", StartedAt: started},
		NextRun:   "DATA-4711-r2",
		Teardown:  &executionView{Name: "DATA-4711-teardown", Status: "SUCCEEDED", StartedAt: started},
	}
	report.Summary = report.Summarize()
	encoded, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(encoded, &doc); err != nil {
		t.Fatal(err)
	}

	fields := map[string]map[string]any{
		"top level": doc,
		"item":      doc["items"].([]any)[0].(map[string]any),
		"summary":   doc["summary"].(map[string]any),
	}
	for where, object := range fields {
		for key := range object {
			if !strings.Contains(example, `"`+key+`":`) {
				t.Errorf("README example of the JSON plan lacks the %s field %q", where, key)
			}
			if where != "summary" && !strings.Contains(table, "`"+key+"`") {
				t.Errorf("README table of the JSON plan does not describe the %s field %q", where, key)
			}
		}
	}
}

// TestPlanFindsRunByRequestID starts a provision execution under a name
// that does not derive from its request ID, as the Step Functions API
// allows, and checks that plan reports it as the request's execution.
func TestPlanFindsRunByRequestID(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := writeModeFile(dir, modeOf(true)); err != nil {
		t.Fatal(err)
	}
	reqPath := writeRequest(t, func(doc map[string]any) { doc["id"] = "RS-1" })
	req, err := readRequest(reqPath)
	if err != nil {
		t.Fatal(err)
	}
	input, err := json.Marshal(workflow.Document{Request: req, Resources: workflow.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	eng := provisionStore(t, dir)
	if _, err := eng.Start(ctx, provisionMachine, "RS-1525", input); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "plan", "--sandbox", "--output", "json", "--state-dir", dir, reqPath)
	var report planReport
	if code != exitOK || json.Unmarshal([]byte(out), &report) != nil {
		t.Fatalf("plan --output json exit %d, output %s, stderr %s", code, out, errOut)
	}
	if report.Execution == nil || report.Execution.Name != "RS-1525" {
		t.Errorf("execution = %+v, want the running RS-1525", report.Execution)
	}
	if report.NextRun != "" {
		t.Errorf("next run = %q, want none while RS-1525 runs", report.NextRun)
	}

	if _, err := eng.Stop(ctx, "RS-1525", "", ""); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "plan", "--sandbox", "--state-dir", dir, reqPath)
	if code != exitOK {
		t.Fatalf("plan exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if want := "latest execution RS-1525 is ABORTED; a new run would be RS-1\n"; !strings.Contains(out, want) {
		t.Errorf("plan lacks %q:\n%s", want, out)
	}
}

// TestPlanAfterTeardown runs the example, tears it down and runs it again,
// and checks that plan names the teardown only while it is the latest
// execution of the request.
func TestPlanAfterTeardown(t *testing.T) {
	dir := t.TempDir()
	reqPath := "../../examples/aws-privatelink.json"
	sandbox := []string{"--sandbox", "--sandbox-latency", "none", "--state-dir", dir}
	if code, out, errOut := runCLI(t, append(append([]string{"run"}, sandbox...), reqPath)...); code != exitOK {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, append(append([]string{"teardown"}, sandbox...), "DATA-4711")...); code != exitOK {
		t.Fatalf("teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, text, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, reqPath)
	if code != exitOK {
		t.Fatalf("plan exit %d\nstdout:\n%s\nstderr:\n%s", code, text, errOut)
	}
	if want := "request DATA-4711 was torn down by DATA-4711-teardown (SUCCEEDED, stopped "; !strings.Contains(text, want) {
		t.Errorf("plan lacks %q:\n%s", want, text)
	}
	if unwant := "latest execution DATA-4711 is SUCCEEDED"; strings.Contains(text, unwant) {
		t.Errorf("plan contains %q after the teardown:\n%s", unwant, text)
	}
	code, out, errOut := runCLI(t, "plan", "--sandbox", "--output", "json", "--state-dir", dir, reqPath)
	var report planReport
	if code != exitOK || json.Unmarshal([]byte(out), &report) != nil {
		t.Fatalf("plan --output json exit %d, output %s, stderr %s", code, out, errOut)
	}
	if report.Teardown == nil || report.Teardown.Name != "DATA-4711-teardown" || report.Teardown.Status != "SUCCEEDED" {
		t.Errorf("teardown = %+v, want DATA-4711-teardown SUCCEEDED", report.Teardown)
	}
	if report.Teardown != nil && report.Teardown.StoppedAt == nil {
		t.Error("teardown has no stop time")
	}

	if code, out, errOut := runCLI(t, append(append([]string{"run"}, sandbox...), reqPath)...); code != exitOK {
		t.Fatalf("run after the teardown exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "plan", "--sandbox", "--output", "json", "--state-dir", dir, reqPath)
	report = planReport{}
	if code != exitOK || json.Unmarshal([]byte(out), &report) != nil {
		t.Fatalf("plan --output json exit %d, output %s, stderr %s", code, out, errOut)
	}
	if report.Execution == nil || report.Execution.Name != "DATA-4711-r2" {
		t.Errorf("execution = %+v, want the new run DATA-4711-r2", report.Execution)
	}
	if report.Teardown != nil {
		t.Errorf("teardown = %+v, want none after a new run", report.Teardown)
	}
}

func TestPrintPlanFailedTeardown(t *testing.T) {
	stopped := execview.At(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	report := planReport{
		Report:    plan.Report{Request: "DATA-4711", Route: "public"},
		Execution: &executionView{Name: "DATA-4711", Status: "SUCCEEDED"},
		NextRun:   "DATA-4711-r2",
		Teardown:  &executionView{Name: "DATA-4711-teardown", Status: "FAILED", StoppedAt: &stopped},
	}
	var out bytes.Buffer

	printPlan(&out, report, " --sandbox")

	want := "teardown DATA-4711-teardown of execution DATA-4711 is FAILED (stopped 2026-01-02T03:04:05Z), so some resources may remain; " +
		"'repolink status --sandbox DATA-4711-teardown' shows why; a new run would be DATA-4711-r2\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("plan lacks %q:\n%s", want, out.String())
	}
}

// TestPlanSandboxFreshStateDir plans a request in the sandbox of a new
// state directory, where no run or preflight prepared the Snowflake
// account, user and secrets, and checks that plan reads Snowflake.
func TestPlanSandboxFreshStateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	reqPath := writeRequest(t, nil)

	code, out, errOut := runCLI(t, "plan", "--sandbox", "--state-dir", dir, reqPath)
	if code != exitOK {
		t.Fatalf("plan exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
	}
	if strings.Contains(out, "SecretNotFound") {
		t.Errorf("plan output contains SecretNotFound:\n%s", out)
	}
	// Every item must have been read. The warehouse, which plan does not
	// look up, is unchecked, not unknown.
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " unknown ") {
			t.Errorf("plan line %q is unknown", line)
		}
	}
	if !strings.Contains(out, " warehouse ") || !strings.Contains(out, " unchecked ") {
		t.Errorf("plan lacks the unchecked warehouse line:\n%s", out)
	}
	if line := lineStarting(out, "integration "); line == "" {
		t.Errorf("plan output has no integration line:\n%s", out)
	}
}
