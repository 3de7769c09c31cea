// Package registrytest checks that a workflow.LocationRegistry or
// workflow.DefaultRegistry stores, lists and deletes records as the
// workflow package describes. The stores' own tests call it against the
// local front ends they already use.
package registrytest

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/repolink/repolink/shared/workflow"
)

// longName is a schema or target name longer than DynamoDB's 1,024-byte
// sort key limit, which a store that keys records by their names would
// reject.
var longName = strings.Repeat("S", 2000)

func objectLocation(request, schema string) workflow.ObjectLocation {
	return workflow.ObjectLocation{
		Account: "MyOrg-Analytics", Request: request, Database: "PLATFORM", Schema: schema,
		Repository: "CORP_PYPI", Secret: "CORP_PYPI_SECRET",
	}
}

// CheckLocations puts records of two requests into locations, which must
// be empty. It checks that List returns one request's records in key
// order, that Put replaces a record with the same key, and that deleting
// a missing record returns nil.
func CheckLocations(t *testing.T, locations workflow.LocationRegistry) {
	t.Helper()
	ctx := context.Background()

	packages := objectLocation("DATA-1", "PACKAGES")
	staging := objectLocation("DATA-1", "STAGING")
	long := objectLocation("DATA-1", longName)
	other := objectLocation("DATA-2", "PACKAGES")
	for _, l := range []workflow.ObjectLocation{staging, other, packages, long, packages} {
		if err := locations.Put(ctx, l); err != nil {
			t.Fatalf("Put(%.40s): %v", l.Key(), err)
		}
	}

	got, err := locations.List(ctx, "DATA-1")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{packages, long, staging}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}

	if err := locations.Delete(ctx, packages); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := locations.Delete(ctx, packages); err != nil {
		t.Errorf("Delete of a missing record: %v, want nil", err)
	}
	got, err = locations.List(ctx, "DATA-1")
	if err != nil {
		t.Fatalf("List after Delete: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{long, staging}, got); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}

	got, err = locations.List(ctx, "DATA-2")
	if err != nil {
		t.Fatalf("List of another request: %v", err)
	}
	if diff := cmp.Diff([]workflow.ObjectLocation{other}, got); diff != "" {
		t.Errorf("List of another request (-want +got):\n%s", diff)
	}
	got, err = locations.List(ctx, "DATA-3")
	if err != nil {
		t.Fatalf("List of a request without records: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("List of a request without records = %v, want none", got)
	}
}

func defaultSetting(request, level, target string) workflow.DefaultSetting {
	return workflow.DefaultSetting{
		Account: "MyOrg-Analytics", Request: request, Level: level,
		Database: "PLATFORM", Schema: "PACKAGES", Target: target,
		Repository: "PLATFORM.PACKAGES.CORP_PYPI",
	}
}

// CheckDefaults puts records of two requests into defaults, which must be
// empty. It checks that List returns every record in key order, that Put
// replaces a record with the same key, and that deleting a missing record
// returns nil.
func CheckDefaults(t *testing.T, defaults workflow.DefaultRegistry) {
	t.Helper()
	ctx := context.Background()

	schema := defaultSetting("DATA-1", "schema", "SCHEMA PLATFORM.PACKAGES")
	database := defaultSetting("DATA-1", "database", "DATABASE PLATFORM")
	long := defaultSetting("DATA-1", "schema", "SCHEMA PLATFORM."+longName)
	second := defaultSetting("DATA-2", "schema", "SCHEMA PLATFORM.PACKAGES")
	replaced := schema
	replaced.Repository = "PLATFORM.PACKAGES.OTHER_PYPI"
	for _, d := range []workflow.DefaultSetting{second, schema, database, long, replaced} {
		if err := defaults.Put(ctx, d); err != nil {
			t.Fatalf("Put(%.40s): %v", d.Key(), err)
		}
	}

	got, err := defaults.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]workflow.DefaultSetting{database, replaced, long, second}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}

	if err := defaults.Delete(ctx, schema.Key()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := defaults.Delete(ctx, schema.Key()); err != nil {
		t.Errorf("Delete of a missing record: %v, want nil", err)
	}
	got, err = defaults.List(ctx)
	if err != nil {
		t.Fatalf("List after Delete: %v", err)
	}
	if diff := cmp.Diff([]workflow.DefaultSetting{database, long, second}, got); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
}
