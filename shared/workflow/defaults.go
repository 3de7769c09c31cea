package workflow

import (
	"context"
	"strings"
)

// DefaultSetting records that a run of a request set
// DEFAULT_PYTHON_ARTIFACT_REPOSITORY on one level to the request's
// repository. A later run that moves the default to another level unsets
// the recorded one, also when a person made the repository, because the
// record shows that the run set that level and not the person.
type DefaultSetting struct {
	Account string `json:"account"`
	Request string `json:"request"`
	// Level is account, database or schema.
	Level    string `json:"level"`
	Database string `json:"database,omitempty"`
	Schema   string `json:"schema,omitempty"`
	// Target is the object that sets the parameter, as ALTER takes it,
	// such as SCHEMA PLATFORM.PACKAGES.
	Target string `json:"target"`
	// Repository is the qualified repository name that the run set.
	Repository string `json:"repository"`
}

// Key returns the registry key: the Snowflake account, the request and the
// target.
func (d DefaultSetting) Key() string {
	return strings.ToLower(d.Account) + "/" + d.Request + "/" + d.Target
}

// DefaultRegistry stores the levels on which runs set the default
// repository parameter. Put replaces the record with the same key, and
// deleting a missing record is not an error.
type DefaultRegistry interface {
	Put(ctx context.Context, d DefaultSetting) error
	List(ctx context.Context) ([]DefaultSetting, error)
	Delete(ctx context.Context, key string) error
}
