package teardownsnowflake

import (
	"context"
	"testing"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// listedLocations is a LocationRegistry that lists fixed locations.
type listedLocations []workflow.ObjectLocation

func (l listedLocations) Put(context.Context, workflow.ObjectLocation) error    { return nil }
func (l listedLocations) Delete(context.Context, workflow.ObjectLocation) error { return nil }
func (l listedLocations) List(context.Context, string) ([]workflow.ObjectLocation, error) {
	return l, nil
}

// TestNamedEarlierAcrossAccountSpellings lists locations of the request
// recorded with its account written in two ways that log in to one
// account, and one in another account. The teardown names the objects of
// the first two only.
func TestNamedEarlierAcrossAccountSpellings(t *testing.T) {
	req := request.Request{ID: "DATA-4711", Snowflake: request.Snowflake{Account: "myorg-analytics"}}
	location := func(account, schema string) workflow.ObjectLocation {
		return workflow.ObjectLocation{Account: account, Request: req.ID, Database: "PLATFORM", Schema: schema,
			Repository: "CORP_PYPI", Secret: "CORP_PYPI_SECRET"}
	}
	env := &workflow.Env{Locations: listedLocations{
		location("MyOrg-Analytics.us-west-2", "STAGING"),
		location("myorg-analytics", "PACKAGES"),
		location("myorg-other", "OTHER"),
	}}
	_, recorded, err := namedEarlier(context.Background(), env, req)
	if err != nil {
		t.Fatal(err)
	}
	var schemas []string
	for _, l := range recorded {
		schemas = append(schemas, l.Schema)
	}
	if len(schemas) != 2 || schemas[0] != "STAGING" || schemas[1] != "PACKAGES" {
		t.Errorf("recorded locations in schemas %v, want [STAGING PACKAGES]", schemas)
	}
}
