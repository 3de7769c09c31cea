package awssim

import (
	"maps"
	"slices"
	"strings"
)

// filterValues returns a resource's values for an EC2 filter name, and
// false for a name that the Describe call does not support.
type filterValues func(name string) ([]string, bool)

// matchFilters reports whether a resource passes every filter, taken in
// order. A filter passes when one of the resource's values is among the
// filter's values. With skipUnsupported, a filter whose name the values
// function does not support is skipped. Without it, the resource fails that
// filter and the filters after it are not checked.
func matchFilters(filters []ec2Filter, values filterValues, skipUnsupported bool) bool {
	for _, filter := range filters {
		have, ok := values(filter.Name)
		if !ok && skipUnsupported {
			continue
		}
		if !ok || !slices.ContainsFunc(have, func(v string) bool { return slices.Contains(filter.Values, v) }) {
			return false
		}
	}
	return true
}

// one returns value as the only value of a filter name.
func one(value string) ([]string, bool) { return []string{value}, true }

// withTags adds the tag:<key> and tag-key filters over tags to values.
func withTags(tags map[string]string, values filterValues) filterValues {
	return func(name string) ([]string, bool) {
		if key, isTag := strings.CutPrefix(name, "tag:"); isTag {
			if value, has := tags[key]; has {
				return []string{value}, true
			}
			return nil, true
		}
		if name == "tag-key" {
			return slices.Collect(maps.Keys(tags)), true
		}
		return values(name)
	}
}
