package workflow

import (
	"context"
	"strings"

	"github.com/repolink/repolink/shared/request"
)

// ObjectLocation is the place where a run of a request creates its
// ARTIFACT REPOSITORY and SECRET: the Snowflake account, database and
// schema, and the names of both objects. A teardown reads the records of the request,
// so that it also drops the objects of runs whose request named another
// database or schema than the request does now.
type ObjectLocation struct {
	Account    string `json:"account"`
	Request    string `json:"request"`
	Database   string `json:"database"`
	Schema     string `json:"schema"`
	Repository string `json:"repository"`
	Secret     string `json:"secret"`
}

// LocationOf returns the location of the objects that a run of req
// creates.
func LocationOf(req request.Request) ObjectLocation {
	names := NamesFor(req)
	sf := req.Snowflake
	return ObjectLocation{
		Account: sf.Account, Request: req.ID, Database: sf.Database, Schema: sf.Schema,
		Repository: names.Repository, Secret: names.Secret,
	}
}

// Key returns the registry key: the lowercase account, the request, the
// database, the schema and the two object names, joined by slashes.
func (l ObjectLocation) Key() string {
	return strings.Join([]string{strings.ToLower(l.Account), l.Request, l.Database, l.Schema, l.Repository, l.Secret}, "/")
}

// LocationRegistry stores the object locations of the runs of each
// request. Put replaces the record with the same key, List returns the
// records of one request in key order, and deleting a missing record is
// not an error.
type LocationRegistry interface {
	Put(ctx context.Context, l ObjectLocation) error
	List(ctx context.Context, requestID string) ([]ObjectLocation, error)
	Delete(ctx context.Context, l ObjectLocation) error
}

// RecordLocation stores the location of the objects that a run of req
// creates in env.Locations, when it is set. A step calls it before it
// creates an object, so that a teardown finds the object even when the
// step fails after the create.
func RecordLocation(ctx context.Context, env *Env, req request.Request) error {
	if env.Locations == nil {
		return nil
	}
	return env.Locations.Put(ctx, LocationOf(req))
}
