package request

import (
	"fmt"
	"slices"
	"strings"
)

// DescribeChanges returns each path of changed, as ChangedPlacement returns
// them, with the earlier and the later value of its field, such as
// "$.aws.region from eu-central-1 to eu-west-1". A list is printed in
// brackets, and an aws.subnet_ids change also names the subnets that later
// drops and a first subnet that moved. The values are IDs, names, regions
// and the auth type, never a credential.
func DescribeChanges(earlier, later Request, changed []string) []string {
	before := fieldsByPath(earlier)
	after := fieldsByPath(later)
	descriptions := make([]string, 0, len(changed))
	for _, path := range changed {
		descriptions = append(descriptions, describeChange(path, before[path], after[path]))
	}
	return descriptions
}

func fieldsByPath(r Request) map[string]placementField {
	fields := map[string]placementField{}
	for _, field := range r.placementFields() {
		fields[field.path] = field
	}
	return fields
}

// describeChange returns the change of the field at path from earlier to
// later.
func describeChange(path string, earlier, later placementField) string {
	text := fmt.Sprintf("%s from %s to %s", path, earlier.shownValue(), later.shownValue())
	if !later.grows || earlier.value == "" {
		return text
	}

	before := strings.Split(earlier.value, ",")
	after := strings.Split(later.value, ",")
	var dropped []string
	for _, element := range before {
		if !slices.Contains(after, element) {
			dropped = append(dropped, element)
		}
	}
	if len(dropped) > 0 {
		text += ", which drops " + strings.Join(dropped, ", ")
	}
	if later.keepFirst && after[0] != before[0] {
		text += fmt.Sprintf(", and the first subnet, where the proxy VM runs, changes from %s to %s", before[0], after[0])
	}
	return text
}

// shownValue returns the value of f as a rejection prints it: "unset" for
// an empty value and a list in brackets.
func (f placementField) shownValue() string {
	value := f.value
	if f.display != "" {
		value = f.display
	}
	switch {
	case value == "":
		return "unset"
	case f.list:
		return "[" + strings.ReplaceAll(value, ",", ", ") + "]"
	}
	return value
}
