package reliability

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/sandbox/awssim"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
	"github.com/repolink/repolink/shared/snowflake"
)

func TestPlanDeliveries(t *testing.T) {
	cfg := Config{Seed: 7, Deliveries: 1000, Duplicates: 0.3}
	plan, unique := planDeliveries(cfg)

	if unique != 700 {
		t.Errorf("unique = %d, want 700", unique)
	}
	counts := map[*deliveryKind]int{}
	tickets := map[string]bool{}
	for i, d := range plan {
		counts[d.kind]++
		if d.kind == kindSigned {
			tickets[d.ticket] = true
		} else if i >= refusedWithin+len(refusedKinds)*rejectsPerKind {
			t.Errorf("refused delivery %s at position %d, want it within the first %d", d.ticket, i, refusedWithin)
		}
	}
	if counts[kindSigned] != 1000 {
		t.Errorf("signed deliveries = %d, want 1000", counts[kindSigned])
	}
	for _, kind := range refusedKinds {
		if counts[kind] != rejectsPerKind {
			t.Errorf("%s deliveries = %d, want %d", kind.name, counts[kind], rejectsPerKind)
		}
	}
	if len(tickets) != 700 {
		t.Errorf("distinct tickets = %d, want 700", len(tickets))
	}

	again, _ := planDeliveries(cfg)
	if diff := cmp.Diff(plan, again, cmp.AllowUnexported(delivery{}, deliveryKind{})); diff != "" {
		t.Errorf("same seed planned another order (-first +second):\n%s", diff)
	}
}

func TestSecretNeedles(t *testing.T) {
	set := newSecretSet()
	set.add("short", "abc")
	set.add("index password", "abcd@#%/^efgh")
	pemKey := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n"
	set.add("snowflake key", pemKey)

	forms := map[string]bool{}
	for _, n := range set.needles() {
		forms[string(n.text)] = true
		if len(n.text) < minNeedle {
			t.Errorf("needle %q (%s) is shorter than %d bytes", n.text, n.label, minNeedle)
		}
	}
	for _, want := range []string{
		"abcd@#%/^efgh",
		"abcd%40%23%25%2F%5Eefgh",
		base64.StdEncoding.EncodeToString([]byte("abcd@#%/^efgh")),
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
		`-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n`,
	} {
		if !forms[want] {
			t.Errorf("no needle %q", want)
		}
	}
	if forms["abc"] {
		t.Error("a secret shorter than minNeedle became a needle")
	}
}

func TestCategoryOf(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"killnine/001/sandbox/aws/aws.json", "sandbox world files"},
		{"killnine/093/sandbox/aws/aws.json.2105260838.tmp", "sandbox world files"},
		{"killnine/093/sandbox/snowflake/snowflake.json.77.tmp", "sandbox world files"},
		{"killnine/093/sandbox/aws/aws.json.x.tmp", "other files"},
		{"killnine/093/engine.db.12.tmp", "SQLite files"},
		{"faults/secret-reject/sandbox/snowflake/snowflake.json", "sandbox world files"},
		{"faults/secret-reject/sandbox/snowflake/snowflake.journal", "sandbox world files"},
		{"killnine/001/sandbox/ca/ca.key", ""},
		{"webhook/service/sandbox/azure/azure.json", "sandbox world files"},
		{"killnine/001/sandbox/aws/seal.key", "other files"},
		{"killnine/001/sandbox/ca/ca.pem", "other files"},
		{"killnine/001/engine.db", "SQLite files"},
		{"webhook/service/webhook.db-wal", "SQLite files"},
		{"killnine/001/sandbox/vms/i-1/error.log", "logs and error messages"},
		{"logs/faults-secret-reject-run.stdout", "logs and error messages"},
		{"documents/killnine-001-history.json", "state documents and history"},
		{"notifications/received.jsonl", "notifications"},
		{"faults/secret-reject/faults.json", "other files"},
	}
	for _, tt := range tests {
		if got := categoryOf(tt.path); got != tt.want {
			t.Errorf("categoryOf(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestSecretScanFindsLeak(t *testing.T) {
	work := t.TempDir()
	secret := "pw-" + strings.Repeat("x7", 8)
	files := map[string]string{
		"logs/run.stderr":                         "level=ERROR msg=failed password=" + secret,
		"killnine/001/engine.db":                  "clean",
		"killnine/001/sandbox/aws/aws.json":       `{"value": "` + secret + `"}`,
		"documents/history.json":                  `{"auth": "` + base64.StdEncoding.EncodeToString([]byte(secret)) + `"}`,
		"killnine/001/sandbox/snowflake/sf.json":  "clean",
		"killnine/001/sandbox/vms/i-1/access.log": "clean",
	}
	for rel, content := range files {
		path := filepath.Join(work, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	s := &session{cfg: Config{Work: work}, report: newReport(&out), secrets: newSecretSet()}
	s.secrets.add("test password", secret)

	runSecretScan(context.Background(), s)

	passed, failed := s.report.tally()
	if failed != 3 || passed != 2 {
		t.Errorf("tally = %d passed, %d failed, want 2 and 3\n%s", passed, failed, out.String())
	}
	for _, want := range []string{
		"FAIL  secrets  logs and error messages",
		"logs/run.stderr contains test password (as is)",
		"documents/history.json contains test password (base64)",
		"killnine/001/sandbox/aws/aws.json contains test password (as is)",
		"PASS  secrets  SQLite files",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), secret) {
		t.Errorf("report prints the secret:\n%s", out.String())
	}
}

func TestCheckRedriveHistory(t *testing.T) {
	tests := []struct {
		name  string
		added []historyEvent
		want  int
	}{
		{"resumes at the failed state", []historyEvent{
			{Type: "ExecutionRedriven"},
			{Type: "TaskStateEntered", State: "Integration"},
			{Type: "TaskStateEntered", State: "Repository"},
		}, 0},
		{"runs an earlier state again", []historyEvent{
			{Type: "TaskStateEntered", State: "Secret"},
			{Type: "TaskStateEntered", State: "Integration"},
		}, 2},
		{"enters no task state", []historyEvent{
			{Type: "ExecutionRedriven"},
			{Type: "FailStateEntered", State: "Failed"},
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkRedriveHistory("Integration", tt.added); len(got) != tt.want {
				t.Errorf("problems = %q, want %d", got, tt.want)
			}
		})
	}
}

func TestCheckOneOfEach(t *testing.T) {
	w := world{
		aws: awssim.World{
			Instances:        map[string]*awssim.Instance{"i-1": {}, "i-2": {}},
			TargetGroups:     map[string]*awssim.TargetGroup{"tg": {}},
			LoadBalancers:    map[string]*awssim.LoadBalancer{"lb": {}},
			Listeners:        map[string]*awssim.Listener{"l": {}},
			EndpointServices: map[string]*awssim.EndpointService{"s": {}},
			Connections:      map[string]*awssim.EndpointConnection{"c": {}},
		},
		snowflake: sfsim.World{Accounts: map[string]*sfsim.Account{"A": {
			Endpoints:    []*sfsim.Endpoint{{}},
			Integrations: map[string]*sfsim.Integration{"I": {}},
			Databases: map[string]*sfsim.Database{"D": {Schemas: map[string]*sfsim.Schema{"S": {
				Secrets:      map[string]*sfsim.Secret{"X": {}},
				Repositories: map[string]*sfsim.Repository{"R": {}},
			}}}},
			Grants: []sfsim.Grant{
				{Privilege: "USAGE", ObjectType: "DATABASE", ObjectName: "D", Role: "R"},
				{Privilege: "USAGE", ObjectType: "DATABASE", ObjectName: "D", Role: "R"},
			},
		}}},
	}
	want := []string{
		"world holds 2 ec2 instances, want exactly 1",
		"duplicate grant A: USAGE on DATABASE D to R 2 times",
	}
	if diff := cmp.Diff(want, w.checkOneOfEach()); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestUnescapedValues(t *testing.T) {
	values := []string{"o'brien", "semi;colon", "plain"}
	statements := []string{
		snowflake.CreateSecretPassword("DB", "S", "o'brien", "semi;colon", "o'brien"),
		"CREATE SECRET DB.S.X TYPE = PASSWORD USERNAME = 'semi;colon' PASSWORD = 'o'brien'",
	}
	got := unescapedValues(statements, values, nil)
	if len(got) != 1 || !strings.Contains(got[0], `"o'brien" reached the sandbox unescaped`) {
		t.Errorf("problems = %q, want one for the unescaped o'brien in the second statement", got)
	}
}

func TestReportCheck(t *testing.T) {
	var out bytes.Buffer
	r := newReport(&out)
	r.check("faults", "secret throttle", 2*time.Second, "4 faults injected", nil)
	r.check("faults", "secret reject", 0, "1 fault injected", []string{"first problem", "second problem"})

	passed, failed := r.tally()
	if passed != 1 || failed != 1 {
		t.Errorf("tally = %d passed, %d failed, want 1 and 1", passed, failed)
	}
	want := fmt.Sprintf("PASS  faults   %-44s %6s  4 faults injected\n", "secret throttle", "2s") +
		fmt.Sprintf("FAIL  faults   %-44s  1 fault injected\n", "secret reject") +
		"      first problem\n" +
		"      second problem\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestMatcherChunkBoundary(t *testing.T) {
	secret := "boundary-secret-0123456789"
	set := newSecretSet()
	set.add("boundary secret", secret)
	m := newMatcher(set.needles())

	data := bytes.Repeat([]byte{'.'}, scanChunk+100)
	copy(data[scanChunk-5:], secret)
	path := filepath.Join(t.TempDir(), "big.log")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	found, err := m.scanFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].label != "boundary secret (as is)" {
		t.Errorf("found %v, want the secret that spans the first chunk's end", found)
	}
}

func TestDeadlineOnly(t *testing.T) {
	race := "fuzz: elapsed: 30s, execs: 265192 (8840/sec)\n--- FAIL: FuzzParsePath (31.02s)\n    context deadline exceeded\nFAIL\n"
	if !deadlineOnly(race) {
		t.Error("deadlineOnly(coordinator deadline without input) = false, want true")
	}
	crash := "--- FAIL: FuzzParsePath (3.10s)\n    --- FAIL: FuzzParsePath (0.00s)\n        panic: index out of range\n" +
		"    Failing input written to testdata/fuzz/FuzzParsePath/582528ddfad69eb5\nFAIL\n"
	if deadlineOnly(crash) {
		t.Error("deadlineOnly(crash with input written) = true, want false")
	}
	both := "    context deadline exceeded\n    Failing input written to testdata/fuzz/FuzzParsePath/1\n"
	if deadlineOnly(both) {
		t.Error("deadlineOnly(deadline and input written) = true, want false")
	}
}
