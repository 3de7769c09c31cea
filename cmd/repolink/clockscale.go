package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/repolink/repolink/shared/privatefile"
	"github.com/repolink/repolink/shared/sandbox"
	"github.com/repolink/repolink/shared/sandbox/worldfile"
)

// clockFile is the file in a sandbox state directory that records the
// --sandbox-clock-scale of the run that created the directory, when that
// scale is not 1. The sandbox world and the executions carry times on that
// clock, so every later command on the directory must use the same clock.
// Otherwise the sandbox clouds treat the resources as created in the future
// and hide them, and a run builds them a second time.
const clockFile = "clock.json"

// recordedClock is the content of the clock file.
type recordedClock struct {
	Scale float64 `json:"scale"`
	// Start is the wall-clock time at which the clock began to run fast.
	Start time.Time `json:"start"`
}

// readClockFile returns the clock recorded in the state directory, or nil
// for a directory that runs on the wall clock.
func readClockFile(dir string) (*sandbox.ScaledClock, error) {
	path := filepath.Join(dir, clockFile)
	data, err := privatefile.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if errors.Is(err, privatefile.ErrNotRegular) {
		return nil, usagef("%v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("read sandbox clock scale: %w", err)
	}
	var rec recordedClock
	if err := json.Unmarshal(data, &rec); err != nil || checkClockScale(rec.Scale) != nil || rec.Start.IsZero() {
		return nil, usagef("%s is not a valid sandbox clock record; use another --state-dir", path)
	}
	return sandbox.NewScaledClockFrom(rec.Start, rec.Scale), nil
}

// stateDirClock returns the clock for a run with --sandbox-clock-scale on a
// sandbox state directory: requested is the clock of the flag, or nil for
// a scale of 1. A new directory records a requested scale other than 1. A
// directory created with another scale gets a usage error, because its
// sandbox world and executions carry times on that scale's clock. On a
// directory with a recorded scale, the returned clock continues the
// recorded one, so that a second run finds what the first one built.
func stateDirClock(dir string, requested *sandbox.ScaledClock) (*sandbox.ScaledClock, error) {
	recorded, err := readClockFile(dir)
	if err != nil {
		return nil, err
	}
	mode, err := readStateMode(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case recorded == nil && mode == "" && requested != nil:
		rec := recordedClock{Scale: requested.Factor(), Start: requested.Start()}
		if err := worldfile.Save(filepath.Join(dir, clockFile), rec); err != nil {
			return nil, fmt.Errorf("record sandbox clock scale: %w", err)
		}
		return requested, nil
	case scaleOf(recorded) != scaleOf(requested):
		return nil, usagef("state directory %s was created with --sandbox-clock-scale %g, and this run requests %g; "+
			"its sandbox resources and executions carry times on that clock, so run with --sandbox-clock-scale %g, "+
			"or use a new --state-dir for another scale", dir, scaleOf(recorded), scaleOf(requested), scaleOf(recorded))
	}
	return recorded, nil
}

// scaleOf returns the factor of clock, which is 1 for nil, the wall clock.
func scaleOf(clock *sandbox.ScaledClock) float64 {
	if clock == nil {
		return 1
	}
	return clock.Factor()
}
