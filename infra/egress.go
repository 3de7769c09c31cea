package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/jsii-runtime-go"

	"github.com/repolink/repolink/shared/request"
)

// egressRefreshKey is the machine key of the egress-refresh definition.
const egressRefreshKey = "egress-refresh"

// refreshRequest is one request of the egress-ip route that the stack
// refreshes on a schedule.
type refreshRequest struct {
	id       string
	path     string
	document map[string]any
	// request is the document as the steps read it, with defaults applied.
	request request.Request
	// scheduleName and constructID are derived from the id by scheduleName
	// and scheduleConstructID. loadRefreshRequests rejects two requests that
	// share either.
	scheduleName string
	constructID  string
}

// scheduleNameUnsafe matches the characters that EventBridge Scheduler
// rejects in a schedule name.
var scheduleNameUnsafe = regexp.MustCompile(`[^0-9A-Za-z._-]+`)

// plainID matches the ids of letters, digits and hyphens, whose construct ID
// drops only the hyphens and the case.
var plainID = regexp.MustCompile(`^[0-9A-Za-z-]+$`)

// maxScheduleName is the longest schedule name that EventBridge Scheduler
// accepts.
const maxScheduleName = 64

// idHash returns the first 8 hex digits of the SHA-256 of id. It is appended
// to a name when the name could not keep the whole id.
func idHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:4])
}

// scheduleName returns prefix-egress-refresh-<id>. Characters that schedule
// names reject become hyphens, and a name that had any of them, or that
// would exceed 64 characters and so is cut, ends in the hash of the id.
func scheduleName(prefix, id string) string {
	suffix := strings.Trim(scheduleNameUnsafe.ReplaceAllString(id, "-"), "-")
	if suffix != id {
		suffix += "-" + idHash(id)
	}
	name := prefix + "-egress-refresh-" + suffix
	if len(name) > maxScheduleName {
		tail := "-" + idHash(id)
		name = strings.TrimRight(name[:maxScheduleName-len(tail)], "-") + tail
	}
	return name
}

// scheduleConstructID returns the construct ID of the schedule of id. An id
// of letters, digits and hyphens keeps the ID that earlier versions of the
// stack gave it, so that an update does not replace its schedule, and any
// other id gets the hash of the id. Plain ids that differ only in case or
// hyphens, such as DATA-1 and data1, still share an ID.
func scheduleConstructID(id string) string {
	safe := strings.Trim(scheduleNameUnsafe.ReplaceAllString(id, "-"), "-")
	construct := "EgressRefreshSchedule" + constructID(strings.ToLower(safe))
	if !plainID.MatchString(id) {
		construct += idHash(id)
	}
	return construct
}

// loadRefreshRequests reads the request files of egressRefreshRequests. Each
// must be a JSON object with an id and the route egress-ip, because the
// egress-refresh machine only serves that route, and must pass the request
// validation that the steps apply. Two requests whose schedules would get
// the same name or construct ID are rejected.
func loadRefreshRequests(prefix string, paths []string) ([]refreshRequest, error) {
	var requests []refreshRequest
	for _, path := range paths {
		req, err := loadRefreshRequest(prefix, path)
		if err != nil {
			return nil, err
		}
		for _, other := range requests {
			// Schedule names are compared without case, which is stricter
			// than needed if EventBridge Scheduler treats them as case-sensitive.
			if strings.EqualFold(other.scheduleName, req.scheduleName) || other.constructID == req.constructID {
				return nil, fmt.Errorf("context %s: requests %s (id %q) and %s (id %q) give the same schedule name %q or construct ID %q; "+
					"list each request once, or give one of them another id",
					paramEgressRequests.context, other.path, other.id, path, req.id, req.scheduleName, req.constructID)
			}
		}
		requests = append(requests, req)
	}
	return requests, nil
}

func loadRefreshRequest(prefix, path string) (refreshRequest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return refreshRequest{}, fmt.Errorf("context %s (or %s): read request file: %w; fix the path, which is relative to infra/",
			paramEgressRequests.context, paramEgressRequests.env, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return refreshRequest{}, fmt.Errorf("egress refresh request %s: decode JSON object: %w", path, err)
	}
	id, _ := doc["id"].(string)
	if strings.TrimSpace(id) == "" {
		return refreshRequest{}, fmt.Errorf("egress refresh request %s has no id; set the request's id", path)
	}
	if route, _ := doc["route"].(string); route != "egress-ip" {
		return refreshRequest{}, fmt.Errorf("egress refresh request %s has route %q; only egress-ip requests can be refreshed, so remove it from egressRefreshRequests", path, route)
	}
	if strings.Trim(scheduleNameUnsafe.ReplaceAllString(id, "-"), "-") == "" {
		return refreshRequest{}, fmt.Errorf("egress refresh request %s has the id %q, which has no letter or digit for the schedule name", path, id)
	}
	// Each run of the schedule would fail with InvalidRequest on a request
	// that the steps reject, so synth rejects it first.
	req, err := request.ParseJSON(data)
	if err != nil {
		return refreshRequest{}, fmt.Errorf("egress refresh request %s: %w", path, err)
	}
	return refreshRequest{
		id:           id,
		path:         path,
		document:     doc,
		request:      req,
		scheduleName: scheduleName(prefix, id),
		constructID:  scheduleConstructID(id),
	}, nil
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

	requests, err := loadRefreshRequests(cfg.Prefix, cfg.EgressRefreshRequests)
	if err != nil {
		return err
	}
	for _, req := range requests {
		if err := checkRefreshFirewall(req, cfg, s.Stack.Region()); err != nil {
			return err
		}
	}
	for _, req := range requests {
		input := map[string]any{"request": req.document}
		awsscheduler.NewSchedule(s.Stack, jsii.String(req.constructID), &awsscheduler.ScheduleProps{
			ScheduleName: jsii.String(req.scheduleName),
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

// checkRefreshFirewall rejects a refresh request whose firewall the stack's
// functions cannot change. They change only AWS security groups, only in
// the stack's region, because the firewall role's ARNs name that region,
// and only the groups of egressSecurityGroupIds when it is set. region is
// the stack's region, and an unresolved token when the stack is
// environment-agnostic, which skips the region check.
func checkRefreshFirewall(req refreshRequest, cfg Config, region *string) error {
	egress := req.request.Egress
	if egress.Cloud != "aws" {
		return fmt.Errorf("egress refresh request %s has $.egress.cloud %q, but the Lambda deployment changes only AWS security groups; "+
			"refresh it with the repolink command, or remove it from %s", req.path, egress.Cloud, paramEgressRequests.context)
	}
	if !*awscdk.Token_IsUnresolved(region) && egress.Region != *region {
		return fmt.Errorf("egress refresh request %s has $.egress.region %q, but the stack deploys to %s and its firewall functions "+
			"may change security groups only there; deploy it with a stack in %s, or remove it from %s",
			req.path, egress.Region, *region, egress.Region, paramEgressRequests.context)
	}
	if len(cfg.EgressSecurityGroupIDs) > 0 && !slices.Contains(cfg.EgressSecurityGroupIDs, egress.SecurityGroupID) {
		return fmt.Errorf("egress refresh request %s has $.egress.security_group_id %q, which %s (or %s) does not list, "+
			"so the firewall functions may not change it; add the group to %s",
			req.path, egress.SecurityGroupID, paramEgressGroups.context, paramEgressGroups.env, paramEgressGroups.context)
	}
	return nil
}
