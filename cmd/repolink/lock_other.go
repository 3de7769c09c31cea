//go:build !unix

package main

import "errors"

var errServing = errors.New("another repolink up serves this state directory")

type serviceLock struct{}

// NOTE: without flock, repolink up cannot tell other commands that it
// serves a state directory, so they behave as if it did not.
func lockStateDir(string, bool) (*serviceLock, error) { return &serviceLock{}, nil }

func (*serviceLock) release() {}

func (*serviceLock) recordLocalRefs(servedLocalRefs) error { return nil }

func (*serviceLock) recordDomains(servedDomains) error { return nil }

func serviceStatus(string) (serving, sandbox bool) { return false, false }

func checkSandboxFree(string) error { return nil }

func lockSandbox(string) (*serviceLock, error) { return &serviceLock{}, nil }

func tryLockSandbox(string) (*serviceLock, string, error) { return &serviceLock{}, "", nil }

func sandboxHolder() string { return "" }
