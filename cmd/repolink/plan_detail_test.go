package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/plan"
)

// TestPrintPlanDetailLength prints items whose detail is longer than a
// shortened detail, and checks which states keep all of it.
func TestPrintPlanDetailLength(t *testing.T) {
	long := "the run sets it on DATABASE PLATFORM to PLATFORM.PACKAGES.CORP_PYPI and unsets it on the schema, " +
		"where it names PLATFORM.PACKAGES.CORP_PYPI and default_for does not"
	tests := []struct {
		state     string
		wantWhole bool
	}{
		{plan.Update, true},
		{plan.Create, true},
		{plan.Conflict, true},
		{plan.Unknown, true},
		{plan.Unchecked, true},
		{plan.Adopt, false},
		{plan.Run, false},
		{plan.Skip, false},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			report := planReport{Report: plan.Report{Request: "DATA-4811", Route: "azure-privatelink", Items: []plan.Item{
				{Step: "default", Kind: "DEFAULT_PYTHON_ARTIFACT_REPOSITORY", Name: "database", State: tt.state, Detail: long},
			}}}
			var out bytes.Buffer

			printPlan(&out, report, "")

			line := lineStarting(out.String(), "default ")
			if got := strings.HasSuffix(line, long); got != tt.wantWhole {
				t.Errorf("line ends with the whole detail = %v, want %v\nline: %q", got, tt.wantWhole, line)
			}
			if !tt.wantWhole && !strings.HasSuffix(line, "...") {
				t.Errorf("shortened line %q does not end with ...", line)
			}
		})
	}
}
