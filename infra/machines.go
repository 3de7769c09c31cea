package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// machineFile is one state machine that the stack deploys when its
// definition exists.
type machineFile struct {
	// Key names the machine in construct IDs, outputs and its deployed name.
	Key      string
	File     string
	Required bool
}

var machineFiles = []machineFile{
	{Key: "provision", File: "provision.asl.json", Required: true},
	{Key: "teardown", File: "teardown.asl.json"},
	{Key: "egress-refresh", File: "egress-refresh.asl.json"},
}

// Definition is a state machine definition read at synth time.
type Definition struct {
	Key string
	// ASL is the definition text as it is on disk, with ${task} placeholders
	// that Step Functions replaces by the DefinitionSubstitutions. A start
	// state that lets Azure or GCP routes through is changed to reject them
	// (rejectForeignRoutes).
	ASL string
	// Tasks lists the placeholder names in order of first use, including
	// the Azure and GCP tasks.
	Tasks []string
}

// placeholderPattern matches a definition substitution such as ${proxy_vm}.
var placeholderPattern = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// LoadDefinitions reads the state machine definitions in dir. The provision
// machine is required, and the others are deployed when their files exist.
// Every placeholder must name a step in stepSpecs or an Azure or GCP task
// (foreignClouds). Every callback task must time out later than
// waitDeadline, so that the poller reports an expired wait before Step
// Functions times the task out.
func LoadDefinitions(dir string, waitDeadline time.Duration) ([]Definition, error) {
	var defs []Definition
	for _, mf := range machineFiles {
		path := filepath.Join(dir, mf.File)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) && !mf.Required {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read state machine %s: %w", mf.Key, err)
		}

		def, err := parseDefinition(mf.Key, data, waitDeadline)
		if err != nil {
			return nil, fmt.Errorf("state machine %s in %s: %w", mf.Key, path, err)
		}
		defs = append(defs, def)
	}
	return defs, nil
}

func parseDefinition(key string, data []byte, waitDeadline time.Duration) (Definition, error) {
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		return Definition{}, fmt.Errorf("decode definition: %w", err)
	}
	if _, ok := root["States"].(map[string]any); !ok {
		return Definition{}, errors.New("definition has no States object")
	}

	def := Definition{Key: key, ASL: string(data)}
	seen := map[string]bool{}
	for _, match := range placeholderPattern.FindAllStringSubmatch(def.ASL, -1) {
		task := match[1]
		if seen[task] {
			continue
		}
		seen[task] = true
		_, known := stepSpec(task)
		if !known && !foreignTask(task) {
			return Definition{}, fmt.Errorf("task ${%s} has no function spec; add it to stepSpecs in steps.go with its group, memory and timeout", task)
		}
		def.Tasks = append(def.Tasks, task)
	}
	if len(def.Tasks) == 0 {
		return Definition{}, errors.New("definition uses no ${task} placeholder, so it would invoke no repolink function")
	}

	if err := checkCallbackTimeouts(root, waitDeadline); err != nil {
		return Definition{}, err
	}

	asl, err := rejectForeignRoutes(data)
	if err != nil {
		return Definition{}, err
	}
	def.ASL = string(asl)
	return def, nil
}

// checkCallbackTimeouts walks every state, including those nested in
// Parallel and Map states, and compares the TimeoutSeconds of each
// .waitForTaskToken task with the wait deadline.
func checkCallbackTimeouts(node any, waitDeadline time.Duration) error {
	switch node := node.(type) {
	case map[string]any:
		resource, _ := node["Resource"].(string)
		if node["Type"] == "Task" && strings.HasSuffix(resource, ".waitForTaskToken") {
			timeout, ok := node["TimeoutSeconds"].(float64)
			if !ok {
				return fmt.Errorf("callback task on %s has no TimeoutSeconds; set one above the wait deadline of %s", resource, waitDeadline)
			}
			if time.Duration(timeout)*time.Second <= waitDeadline {
				return &callbackTimeoutError{resource: resource, timeout: timeout, waitDeadline: waitDeadline}
			}
		}
		for _, child := range node {
			if err := checkCallbackTimeouts(child, waitDeadline); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range node {
			if err := checkCallbackTimeouts(child, waitDeadline); err != nil {
				return err
			}
		}
	}
	return nil
}

// callbackTimeoutError is the error of a callback task whose TimeoutSeconds
// is not later than the wait deadline.
type callbackTimeoutError struct {
	resource     string
	timeout      float64
	waitDeadline time.Duration
}

func (e *callbackTimeoutError) Error() string {
	return fmt.Sprintf("callback task on %s times out after %gs, which is not later than the wait deadline of %s; lower waitDeadline or raise TimeoutSeconds",
		e.resource, e.timeout, e.waitDeadline)
}
