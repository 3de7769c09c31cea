package sandbox

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
)

func TestFaultFileValidation(t *testing.T) {
	tests := []struct {
		name    string
		rule    FaultRule
		wantErr string
	}{
		{"valid throttle", FaultRule{Cloud: "aws", Match: "CreateTargetGroup", Kind: FaultThrottle, Times: 2}, ""},
		{"valid slow with delay", FaultRule{Cloud: "snowflake", Match: "CREATE SECRET", Kind: FaultSlow, Delay: "3s"}, ""},
		{"unknown cloud", FaultRule{Cloud: "oracle", Match: "x", Kind: FaultDrop}, `cloud "oracle"`},
		{"unknown kind", FaultRule{Cloud: "aws", Match: "x", Kind: "explode"}, `kind "explode"`},
		{"empty match", FaultRule{Cloud: "aws", Kind: FaultDrop}, "match is empty"},
		{"bad delay", FaultRule{Cloud: "aws", Match: "x", Kind: FaultTimeout, Delay: "soon"}, `delay "soon"`},
		{"negative times", FaultRule{Cloud: "aws", Match: "x", Kind: FaultDrop, Times: -1}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newFaultInjector(FaultFile{Rules: []FaultRule{tt.rule}})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("newFaultInjector: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("newFaultInjector error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestFaultSkipAndTimes(t *testing.T) {
	in, err := newFaultInjector(FaultFile{Rules: []FaultRule{
		{Cloud: "aws", Match: "CreateTargetGroup", Kind: FaultThrottle, Skip: 1, Times: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for range 5 {
		status, _ := in.awsFault("elasticloadbalancing", "CreateTargetGroup")
		got = append(got, status)
	}
	want := []int{0, http.StatusBadRequest, http.StatusBadRequest, 0, 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestFaultAnswers(t *testing.T) {
	in, err := newFaultInjector(FaultFile{Rules: []FaultRule{
		{Cloud: "aws", Match: "ec2:RunInstances", Kind: FaultThrottle},
		{Cloud: "aws", Match: "CreateLoadBalancer", Kind: FaultReject},
		{Cloud: "snowflake", Match: "create secret", Kind: FaultServerError},
		{Cloud: "snowflake", Match: "GRANT", Kind: FaultReject},
		{Cloud: "azure", Match: "/privateLinkServices/", Method: "PUT", Kind: FaultThrottle},
		{Cloud: "gcp", Match: "serviceAttachments", Kind: FaultServerError},
	}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("aws throttle", func(t *testing.T) {
		status, code := in.awsFault("ec2", "RunInstances")
		if status != http.StatusServiceUnavailable || code != "RequestLimitExceeded" {
			t.Errorf("got %d %s, want 503 RequestLimitExceeded", status, code)
		}
		if status, _ := in.awsFault("elasticloadbalancing", "RunInstances"); status != 0 {
			t.Errorf("service-qualified rule matched another service: status %d", status)
		}
	})
	t.Run("aws reject", func(t *testing.T) {
		if status, code := in.awsFault("elasticloadbalancing", "CreateLoadBalancer"); status != http.StatusForbidden || code != "AccessDenied" {
			t.Errorf("got %d %s, want 403 AccessDenied", status, code)
		}
	})
	t.Run("snowflake server error", func(t *testing.T) {
		var httpErr *sfsim.HTTPError
		if err := in.snowflakeFault("CREATE SECRET X TYPE = PASSWORD"); !errors.As(err, &httpErr) || httpErr.Status != http.StatusServiceUnavailable {
			t.Errorf("got %v, want HTTP 503", err)
		}
	})
	t.Run("snowflake reject", func(t *testing.T) {
		var sqlErr *sfsim.SQLError
		if err := in.snowflakeFault("GRANT USAGE ON DATABASE D TO ROLE R"); !errors.As(err, &sqlErr) || sqlErr.Code != "003001" {
			t.Errorf("got %v, want SQL error 003001", err)
		}
	})
	t.Run("azure method", func(t *testing.T) {
		if status, _ := in.azureFault("GET", "/subscriptions/s/providers/Microsoft.Network/privateLinkServices/p"); status != 0 {
			t.Errorf("GET matched a PUT rule: status %d", status)
		}
		if status, _ := in.azureFault("PUT", "/subscriptions/s/providers/Microsoft.Network/privateLinkServices/p"); status != http.StatusTooManyRequests {
			t.Errorf("PUT status = %d, want 429", status)
		}
	})
	t.Run("gcp", func(t *testing.T) {
		want := gcpsim.Fault{Status: http.StatusServiceUnavailable, Reason: "backendError"}
		if diff := cmp.Diff(want, in.gcpFault("POST", "serviceAttachments")); diff != "" {
			t.Errorf("fault (-want +got):\n%s", diff)
		}
	})
}

func TestFaultDropAborts(t *testing.T) {
	in, err := newFaultInjector(FaultFile{Rules: []FaultRule{{Cloud: "aws", Match: "CreateListener", Kind: FaultDrop, Times: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if got := recover(); got != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", got)
		}
	}()
	in.awsFault("elasticloadbalancing", "CreateListener")
	t.Error("drop fault returned instead of aborting the handler")
}

func TestFaultHitsFile(t *testing.T) {
	hits := filepath.Join(t.TempDir(), "hits")
	in, err := newFaultInjector(FaultFile{Hits: hits, Rules: []FaultRule{
		{Cloud: "snowflake", Match: "CREATE SECRET", Kind: FaultServerError, Times: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	in.snowflakeFault("CREATE SECRET DB.S.N TYPE = PASSWORD USERNAME = 'u' PASSWORD = 'hunter2'")
	in.snowflakeFault("CREATE SECRET DB.S.N TYPE = PASSWORD USERNAME = 'u' PASSWORD = 'hunter2'")

	data, err := os.ReadFile(hits)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 1 {
		t.Fatalf("hits file has %d lines, want 1:\n%s", len(lines), data)
	}
	if strings.Contains(lines[0], "hunter2") {
		t.Errorf("hits file copies a string literal of the statement: %s", lines[0])
	}
	if !strings.Contains(lines[0], `call="CREATE SECRET DB.S.N TYPE = PASSWORD"`) {
		t.Errorf("hits line does not name the statement: %s", lines[0])
	}
}
