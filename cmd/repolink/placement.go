package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// placementField is a request field that decides where a run builds its
// resources. A teardown removes what the latest run of the request built,
// so a run that changes one of these fields would leave the resources of
// the earlier run behind.
type placementField struct {
	path  string
	value string
}

// placementFields returns the route, the Snowflake account and the cloud
// account and region fields of req, with "" for an absent block.
func placementFields(req request.Request) []placementField {
	fields := []placementField{
		{"route", string(req.Route)},
		{"snowflake.account", strings.ToLower(req.Snowflake.Account)},
	}
	var aws request.AWS
	if req.AWS != nil {
		aws = *req.AWS
	}
	var azure request.Azure
	if req.Azure != nil {
		azure = *req.Azure
	}
	var gcp request.GCP
	if req.GCP != nil {
		gcp = *req.GCP
	}
	var egress request.Egress
	if req.Egress != nil {
		egress = *req.Egress
	}
	return append(fields,
		placementField{"aws.region", aws.Region},
		placementField{"azure.subscription_id", strings.ToLower(azure.SubscriptionID)},
		placementField{"azure.resource_group", strings.ToLower(azure.ResourceGroup)},
		placementField{"azure.location", azure.Location},
		placementField{"gcp.project", gcp.Project},
		placementField{"gcp.region", gcp.Region},
		placementField{"egress.cloud", egress.Cloud},
		placementField{"egress.region", egress.Region},
		placementField{"egress.project", egress.Project},
	)
}

// changedPlacement returns the paths of the placement fields whose values
// differ between earlier and req.
func changedPlacement(earlier, req request.Request) []string {
	before := placementFields(earlier)
	var changed []string
	for i, field := range placementFields(req) {
		if field.value != before[i].value {
			changed = append(changed, field.path)
		}
	}
	return changed
}

// placementChangeError is the error of a run whose request changes a
// placement field from an earlier run of the same request ID whose
// resources no teardown has removed.
type placementChangeError struct {
	requestID string
	fields    []string
	earlier   string
	status    string
	// flags are the flags of the suggested teardown command.
	flags string
}

func (e *placementChangeError) Error() string {
	return fmt.Sprintf("request %s changes %s from execution %s (%s), and no teardown has removed what that execution built; "+
		"a run with the change would build new resources and leave those of %s behind, because a teardown removes only what the latest run built. "+
		"Tear down the earlier run first with 'repolink teardown%s %s' and then run this file, or give this request a new id",
		e.requestID, strings.Join(e.fields, ", "), e.earlier, e.status, e.earlier, e.flags, e.earlier)
}

// checkPlacement returns a *placementChangeError when req changes a
// placement field from a running or succeeded provision execution of its
// ID that no succeeded teardown of the request followed. flags are the
// flags of the suggested teardown command. A failed run is not checked.
// NOTE: a run that failed after it created cloud resources can still leave
// them behind when a later run changes its placement.
func checkPlacement(ctx context.Context, eng *engine.Engine, req request.Request, flags string) error {
	if req.ID == "" {
		return nil
	}
	// List returns the latest started first.
	all, err := eng.List(ctx)
	if err != nil {
		return err
	}
	for _, x := range all {
		if !runOf(x, provisionMachine, req.ID) || x.Status != engine.StatusRunning && x.Status != engine.StatusSucceeded {
			continue
		}
		var doc workflow.Document
		if json.Unmarshal(x.Input, &doc) != nil {
			continue
		}
		changed := changedPlacement(doc.Request, req)
		if len(changed) == 0 {
			continue
		}
		tornDown, err := tornDownAfter(ctx, eng, req.ID, x)
		if err != nil {
			return err
		}
		if !tornDown {
			return &placementChangeError{requestID: req.ID, fields: changed, earlier: x.Name, status: x.Status, flags: flags}
		}
	}
	return nil
}

// tornDownAfter reports whether a teardown of the request with ID id that
// started after the execution x has succeeded.
func tornDownAfter(ctx context.Context, eng *engine.Engine, id string, x engine.Execution) (bool, error) {
	teardowns, err := eng.ListMachine(ctx, teardownMachine, x.StartedAt)
	if err != nil {
		return false, err
	}
	for _, t := range teardowns {
		if runOf(t, teardownMachine, id) && t.Status == engine.StatusSucceeded {
			return true, nil
		}
	}
	return false, nil
}
