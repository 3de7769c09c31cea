package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/repolink/repolink/functions/plan"
	"github.com/repolink/repolink/shared/engine"
)

// The load_balancer step makes the load balancer and its listener, which
// the plan lists as two items and the run records as one action.
func TestPlanAndRunSayWhatTheyCount(t *testing.T) {
	report := planReport{Report: plan.Report{Request: "DATA-4711", Route: "aws-privatelink", Items: []plan.Item{
		{Step: "target_group", Kind: "target group", Name: "rl-tg", State: plan.Create},
		{Step: "load_balancer", Kind: "network load balancer", Name: "rl-lb", State: plan.Create},
		{Step: "load_balancer", Kind: "listener", Name: "TCP 3128", State: plan.Create},
		{Step: "load_balancer", Kind: "availability zones", Name: "eu-central-1", State: plan.Run},
		{Step: "verification", Kind: "temporary function", Name: "CHECK", State: plan.Run},
	}}}
	report.Summary = report.Summarize()
	var planOut bytes.Buffer

	printPlan(&planOut, report, "")

	want := "a run's summary counts steps, not items, so the items of load_balancer count once there\n"
	if !strings.Contains(planOut.String(), want) {
		t.Errorf("plan lacks %q:\n%s", want, planOut.String())
	}

	output := `{"resources":{"target_group":{"action":"created"},"load_balancer":{"action":"created"}}}`
	var runOut bytes.Buffer
	p := newProgress(&runOut)
	p.summary(engine.Execution{Name: "DATA-4711", Machine: provisionMachine, Status: engine.StatusSucceeded, Output: []byte(output)})

	if want := "  resources:        2 created, 0 adopted, 0 updated, counted by step\n"; !strings.Contains(runOut.String(), want) {
		t.Errorf("run summary lacks %q:\n%s", want, runOut.String())
	}
}

func TestPlanOneItemPerStepNoCountNote(t *testing.T) {
	report := planReport{Report: plan.Report{Request: "DATA-4711", Route: "public", Items: []plan.Item{
		{Step: "secret", Kind: "SECRET", Name: "S", State: plan.Create},
		{Step: "repository", Kind: "ARTIFACT REPOSITORY", Name: "R", State: plan.Create},
	}}}
	report.Summary = report.Summarize()
	var out bytes.Buffer

	printPlan(&out, report, "")

	if strings.Contains(out.String(), "counts steps") {
		t.Errorf("plan with one item a step notes the count:\n%s", out.String())
	}
}
