package payload

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestReadmeListsEveryField checks that the README's tables of notification
// fields have a row for every JSON field of Notification and of
// CredentialNotice.
func TestReadmeListsEveryField(t *testing.T) {
	data, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "| `") {
			first, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
			rows = append(rows, first)
		}
	}

	for _, typ := range []reflect.Type{reflect.TypeOf(Notification{}), reflect.TypeOf(CredentialNotice{})} {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			found := false
			for _, row := range rows {
				if strings.Contains(row, "`"+name+"`") {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("README has no table row for the %s field %s", typ.Name(), name)
			}
		}
	}
}
