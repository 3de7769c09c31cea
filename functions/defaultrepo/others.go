package defaultrepo

import (
	"context"
	"slices"
	"strings"

	"github.com/repolink/repolink/functions/internal/sfobject"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

// Others are the levels other than the one that default_for names that set
// the parameter to the request's repository itself, or that a run of the
// request set it on.
type Others struct {
	// Unset are the levels that the default step unsets. They include the
	// levels that name the repository when the request created it or has
	// yet to create it, and the levels that a run set, regardless of who
	// created the repository.
	Unset []string
	// Kept are the levels that stay, because the repository under the
	// request's name is not the request's own and no run set them.
	Kept []string
	// Origin is the sfobject.Origin phrase of that repository, such as
	// "not created by repolink", when Kept is not empty.
	Origin string
	// Elsewhere are the records of levels in a database or schema that the
	// request named before, which still name the repository that a run
	// set there. The default step unsets them on the recorded target.
	Elsewhere []workflow.DefaultSetting
	// Left describes the levels that a run set but that now name another
	// repository, such as "the schema, which a run set but which now names
	// DB.SCHEMA.OTHER". They stay, because a person changed them.
	Left []string
	// Replaced are the records of the levels in Unset and Elsewhere whose
	// run replaced a value that no run of the request had set. Unsetting
	// such a level does not bring that value back, so the default step
	// names it.
	Replaced []workflow.DefaultSetting
	// Forget are the records of the registry that the default step deletes
	// once it has unset Unset and Elsewhere.
	Forget []workflow.DefaultSetting
}

// KeptDetail returns a phrase naming the kept levels and why they stay, or
// "" when none stays.
func (o Others) KeptDetail() string {
	if len(o.Kept) == 0 {
		return ""
	}
	return "kept on the " + strings.Join(o.Kept, ", ") + ", where it names a repository " + o.Origin
}

// LeftDetail returns a phrase for each level in Left, such as "left on the
// schema, which a run set but which now names DB.SCHEMA.OTHER".
func (o Others) LeftDetail() []string {
	details := make([]string, len(o.Left))
	for i, l := range o.Left {
		details[i] = "left on " + l
	}
	return details
}

// ReplacedNotes returns a note for each record in Replaced, naming the
// value that a run replaced on the level and that the level no longer has.
func (o Others) ReplacedNotes() []string {
	notes := make([]string, len(o.Replaced))
	for i, d := range o.Replaced {
		notes[i] = "the default on " + d.Target + " was " + d.Replaced + " before a run of request " + d.Request +
			" replaced it; it is now unset, because $.repository.default_for no longer names that level, " +
			"so set it again if it should stay the default"
	}
	return notes
}

// ElsewhereTargets returns the targets of Elsewhere, such as SCHEMA
// OLD_DB.PACKAGES.
func (o Others) ElsewhereTargets() []string {
	targets := make([]string, len(o.Elsewhere))
	for i, d := range o.Elsewhere {
		targets[i] = d.Target
	}
	return targets
}

// FindOthers reads the parameter on every level except keep and sorts the
// levels that set it to the request's repository, or that registry records
// as set by a run of the request, by whether the default step unsets them.
// A nil registry records nothing. It only runs SHOW statements and reads
// the registry, so plan uses it too.
func FindOthers(ctx context.Context, registry workflow.DefaultRegistry, conn snowflake.Conn, req request.Request, keep string) (Others, error) {
	sf := req.Snowflake
	name := workflow.NamesFor(req).Repository
	repo := sfobject.Qualified(sf, name)
	values, err := ownValues(ctx, conn, sf, keep)
	if err != nil {
		return Others{}, err
	}
	stale := levelsSetTo(values, repo)
	recorded, err := Recorded(ctx, registry, req)
	if err != nil {
		return Others{}, err
	}

	var out Others
	unset := map[string]bool{}
	for _, d := range recorded {
		current, err := Target(sf, d.Level)
		if err != nil {
			return Others{}, err
		}
		if d.Level == keep && d.Target == current {
			continue
		}
		// values contains the value on the current target of every level
		// except keep, so a record of such a target needs no second SHOW
		// PARAMETERS.
		value, read := values[d.Level]
		if d.Target != current || !read {
			if value, err = RecordedValue(ctx, conn, d); err != nil {
				return Others{}, err
			}
		}
		place := "the " + d.Level
		if d.Target != current {
			place = d.Target
		}
		switch {
		case value == "":
		case !SameRepository(value, d.Repository):
			out.Left = append(out.Left, place+", which a run set but which now names "+value)
		case d.Target == current:
			unset[d.Level] = true
		default:
			out.Elsewhere = append(out.Elsewhere, d)
		}
		if d.Replaced != "" && value != "" && SameRepository(value, d.Repository) {
			out.Replaced = append(out.Replaced, d)
		}
		out.Forget = append(out.Forget, d)
	}

	origin := ""
	if slices.ContainsFunc(stale, func(l string) bool { return !unset[l] }) {
		if origin, err = RepositoryOrigin(ctx, conn, sf, name, req.ID); err != nil {
			return Others{}, err
		}
	}
	for _, l := range stale {
		if origin != "" && !unset[l] {
			out.Kept = append(out.Kept, l)
			out.Origin = origin
			continue
		}
		unset[l] = true
	}
	for _, l := range levels {
		if unset[l] {
			out.Unset = append(out.Unset, l)
		}
	}
	return out, nil
}

// RepositoryOrigin looks up the artifact repository name in the request's
// schema and returns where it came from when the request did not create
// it, as sfobject.Origin phrases it. Such a repository was made by hand and
// adopted by a run, or it belongs to another request. Its owner may
// have set defaults that name it, so neither the default step nor teardown
// unsets them. It returns "" for the request's own repository, and for
// one that does not exist yet, because the repository step creates it for
// the request.
func RepositoryOrigin(ctx context.Context, conn snowflake.Conn, sf request.Snowflake, name, requestID string) (string, error) {
	row, err := sfobject.Find(ctx, conn, "ARTIFACT REPOSITORIES", name, sfobject.InSchema(sf))
	if snowflake.IsNotExist(err) {
		return "", nil
	}
	if err != nil || row == nil {
		return "", err
	}
	return sfobject.Origin(row, requestID), nil
}
