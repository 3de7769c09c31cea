package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/jsii-runtime-go"
)

// egressRefreshKey is the machine key of the egress-refresh definition.
const egressRefreshKey = "egress-refresh"

// refreshRequest is one request of the egress-ip route that the stack
// refreshes on a schedule.
type refreshRequest struct {
	id string
	// suffix ends the schedule name and the construct ID: the id with the
	// characters that schedule names reject replaced by hyphens.
	suffix   string
	document map[string]any
}

// scheduleNameUnsafe matches the characters that EventBridge Scheduler
// rejects in a schedule name.
var scheduleNameUnsafe = regexp.MustCompile(`[^0-9A-Za-z._-]+`)

// loadRefreshRequests reads the request files of egressRefreshRequests. Each
// must be a JSON object with an id and the route egress-ip, because the
// egress-refresh machine only serves that route.
func loadRefreshRequests(paths []string) ([]refreshRequest, error) {
	var requests []refreshRequest
	seen := map[string]string{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read egress refresh request: %w", err)
		}
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("egress refresh request %s: decode JSON object: %w", path, err)
		}
		id, _ := doc["id"].(string)
		if strings.TrimSpace(id) == "" {
			return nil, fmt.Errorf("egress refresh request %s has no id; set the request's id", path)
		}
		if route, _ := doc["route"].(string); route != "egress-ip" {
			return nil, fmt.Errorf("egress refresh request %s has route %q; only egress-ip requests can be refreshed, so remove it from egressRefreshRequests", path, route)
		}
		suffix := strings.Trim(scheduleNameUnsafe.ReplaceAllString(id, "-"), "-")
		if suffix == "" {
			return nil, fmt.Errorf("egress refresh request %s has the id %q, which has no letter or digit for the schedule name", path, id)
		}
		key := strings.ToLower(suffix)
		if other, ok := seen[key]; ok {
			return nil, fmt.Errorf("egress refresh requests %s and %s have ids that give the same schedule name; list each request once", other, path)
		}
		seen[key] = path
		requests = append(requests, refreshRequest{id: id, suffix: suffix, document: doc})
	}
	return requests, nil
}

// newEgressRefreshSchedules creates one EventBridge Scheduler schedule per
// request in cfg.EgressRefreshRequests. Each starts the egress-refresh
// machine every cfg.EgressRefreshInterval with the input
// {"request": <request document>}, which the definition reads as $.request.
func (s *Stack) newEgressRefreshSchedules(cfg Config) error {
	machine, deployed := s.Machines[egressRefreshKey]
	if !deployed {
		if len(cfg.EgressRefreshRequests) > 0 {
			return fmt.Errorf("egressRefreshRequests is set but %s has no egress-refresh.asl.json; add the definition or clear the parameter", cfg.StateMachineDir)
		}
		return nil
	}
	if len(cfg.EgressRefreshRequests) == 0 {
		s.warn("noEgressRefreshSchedule", "egressRefreshRequests is not set: the egress-refresh machine has no schedule, "+
			"so the firewall of egress-ip requests follows Snowflake's egress ranges only when someone starts it")
		return nil
	}

	requests, err := loadRefreshRequests(cfg.EgressRefreshRequests)
	if err != nil {
		return err
	}
	for _, req := range requests {
		name := cfg.Prefix + "-egress-refresh-" + req.suffix
		// Schedule names have at most 64 characters.
		name = name[:min(len(name), 64)]
		input := map[string]any{"request": req.document}
		awsscheduler.NewSchedule(s.Stack, jsii.String("EgressRefreshSchedule"+constructID(strings.ToLower(req.suffix))), &awsscheduler.ScheduleProps{
			ScheduleName: jsii.String(name),
			Description:  jsii.String("opens the firewall of request " + req.id + " to Snowflake's current egress IP ranges"),
			Schedule:     awsscheduler.ScheduleExpression_Rate(awscdk.Duration_Minutes(jsii.Number(cfg.EgressRefreshInterval.Minutes()))),
			// A missed run is retried for an hour; after that the next
			// scheduled run does the same work.
			Target: awsschedulertargets.NewStepFunctionsStartExecution(machine, &awsschedulertargets.ScheduleTargetBaseProps{
				Input:         awsscheduler.ScheduleTargetInput_FromObject(input),
				RetryAttempts: jsii.Number(3),
				MaxEventAge:   awscdk.Duration_Hours(jsii.Number(1)),
			}),
		})
	}
	return nil
}
