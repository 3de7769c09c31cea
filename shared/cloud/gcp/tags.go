package gcp

import (
	"encoding/json"
	"maps"
	"strings"

	"github.com/repolink/repolink/shared/cloud"
)

// tagsMarker starts the JSON object of repolink's tags in a resource's
// description. Compute Engine labels exist on few of the resource types
// used here and allow only lower-case values, so the tags travel in the
// description, which every type has.
const tagsMarker = "repolink-tags: "

// describeTags returns the description that carries the request ID and the
// extra tags.
func describeTags(requestID string, extra map[string]string) string {
	tags := map[string]string{}
	maps.Copy(tags, extra)
	if requestID != "" {
		tags[cloud.TagRequest] = requestID
	}
	for k, v := range tags {
		if v == "" {
			delete(tags, k)
		}
	}
	data, _ := json.Marshal(tags)
	return "Managed by repolink. " + tagsMarker + string(data)
}

// parseTags returns the tags in a description, or nil when it has none.
func parseTags(description string) map[string]string {
	_, js, ok := strings.Cut(description, tagsMarker)
	if !ok {
		return nil
	}
	var tags map[string]string
	if err := json.NewDecoder(strings.NewReader(js)).Decode(&tags); err != nil {
		return nil
	}
	return tags
}

// resourcePath turns a self link or a path into the path from projects/.
func resourcePath(ref string) string {
	if i := strings.Index(ref, "/compute/v1/"); i >= 0 && strings.Contains(ref[:i], "://") {
		ref = ref[i+len("/compute/v1/"):]
	}
	return strings.TrimPrefix(ref, "/")
}

func resourcePaths(refs []string) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = resourcePath(r)
	}
	return out
}

// ref turns a name into a path in the project, such as
// projects/p/global/networks/n for scope "global" and kind "networks". A
// reference that already has a slash is returned as a path.
func ref(project, scope, kind, name string) string {
	if strings.Contains(name, "/") {
		return resourcePath(name)
	}
	return "projects/" + project + "/" + scope + "/" + kind + "/" + name
}

// lastSegment returns the name at the end of a path.
func lastSegment(path string) string {
	return path[strings.LastIndex(path, "/")+1:]
}
