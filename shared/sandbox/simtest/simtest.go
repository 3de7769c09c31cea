// Package simtest provides a settable clock and a VM launcher for the tests
// of the cloud sandboxes and of the adapters that run against them.
package simtest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"
)

// Clock is a clock that moves only when a test advances it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Launcher serves each launched VM with a loopback listener that accepts
// connections and closes them at once, and records every launch. Its zero
// value is ready to use.
type Launcher struct {
	mu        sync.Mutex
	listeners map[string]net.Listener
	launched  []string
	userData  map[string]string
}

// Launch starts a listener for the VM id and returns its address. A VM
// that is already running keeps its listener and is not recorded again.
func (l *Launcher) Launch(_ context.Context, id, userData string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.listeners == nil {
		l.listeners, l.userData = map[string]net.Listener{}, map[string]string{}
	}
	if ln, ok := l.listeners[id]; ok {
		return ln.Addr().String(), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	l.listeners[id] = ln
	l.launched = append(l.launched, id)
	l.userData[id] = userData
	return ln.Addr().String(), nil
}

// Stop closes the listener of the VM id. Stopping a VM that is not
// running does nothing.
func (l *Launcher) Stop(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ln, ok := l.listeners[id]
	if !ok {
		return nil
	}
	delete(l.listeners, id)
	return ln.Close()
}

// Remove stops the VM id. The fake VM writes no files, so there is nothing
// else to delete.
func (l *Launcher) Remove(id string) error {
	return l.Stop(id)
}

// Launched returns the IDs of the launched VMs in launch order, with an ID
// once for each time the VM started.
func (l *Launcher) Launched() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.launched)
}

// UserData returns the user data of the last launch of the VM id.
func (l *Launcher) UserData(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.userData[id]
}

// Running returns how many VMs have a listener.
func (l *Launcher) Running() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.listeners)
}

// CancelAwareLauncher is a Launcher that fails a launch whose context has
// ended, as the proxy VM launcher does while it waits for the VM's ports to
// open. Its zero value is ready to use.
type CancelAwareLauncher struct {
	Launcher
}

// Launch launches the VM as Launcher.Launch does, unless ctx has ended.
// Then it records nothing and fails with the error of ctx.
func (l *CancelAwareLauncher) Launch(ctx context.Context, id, userData string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("launch %s: %w", id, err)
	}
	return l.Launcher.Launch(ctx, id, userData)
}
