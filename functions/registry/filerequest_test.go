package registry

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/repolink/repolink/shared/request"
)

// A schedule, or a StartExecution call on AWS or Google Cloud, passes the
// request as written in its file, with the optional fields left out. Every
// step must fill their defaults as repolink run does, rather than reject the
// empty values.
func TestStepsAcceptRequestAsWrittenInFile(t *testing.T) {
	handlers := Handlers(offlineEnv())
	names := make([]string, 0, len(handlers))
	for name := range handlers {
		names = append(names, name)
	}
	sort.Strings(names)

	paths, err := filepath.Glob("../../examples/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := request.Parse(data); err != nil {
			continue // a ticket mapping, not a request
		}
		input := json.RawMessage(`{"request": ` + string(data) + `, "resources": {}}`)
		for _, name := range names {
			err := runStep(handlers[name], input)
			var invalid *request.ValidationError
			if errors.As(err, &invalid) {
				t.Errorf("step %s, request %s: the request check rejected the request: %v", name, filepath.Base(path), err)
			}
		}
	}
}
