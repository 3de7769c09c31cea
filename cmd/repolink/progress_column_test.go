package main

import (
	"testing"

	"github.com/repolink/repolink/functions/registry"
	"github.com/repolink/repolink/shared/workflow"
)

func TestStepColumnFitsEveryStep(t *testing.T) {
	for name := range registry.Handlers(&workflow.Env{}) {
		if len(name) > stepColumn {
			t.Errorf("step %s has %d characters, more than the column's %d", name, len(name), stepColumn)
		}
	}
}
