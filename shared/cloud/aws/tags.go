package aws

import (
	"sort"

	"github.com/repolink/repolink/shared/cloud"
)

// tag is one key and value of a resource tag.
type tag struct {
	key, value string
}

// createTags returns the tags to set on a new resource: Name (when name is
// not empty) and the request tag first, then extra sorted by key. An extra
// tag with the key Name or repolink:request is dropped, so a caller cannot
// mislabel a resource that the Find methods look up by those tags.
func createTags(name, requestID string, extra map[string]string) []tag {
	var tags []tag
	if name != "" {
		tags = append(tags, tag{"Name", name})
	}
	tags = append(tags, tag{cloud.TagRequest, requestID})

	keys := make([]string, 0, len(extra))
	for key := range extra {
		if key == "Name" || key == cloud.TagRequest {
			continue
		}
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		tags = append(tags, tag{key, extra[key]})
	}
	return tags
}

// tagMap returns tags as a map from key to value.
func tagMap(tags []tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[t.key] = t.value
	}
	return out
}
