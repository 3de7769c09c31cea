//go:build !unix

package vm

import (
	"context"
	"errors"

	"github.com/repolink/repolink/shared/proxy"
)

// nginxSupported is false off Unix, where the launcher cannot manage an
// nginx process group, so NewLauncher picks the Go passthrough.
const nginxSupported = false

func (l *Launcher) startNginx(context.Context, string, proxy.Config) (*running, error) {
	return nil, errors.New("running nginx needs a Unix system")
}

// StopAll has nothing to stop off Unix, where the launcher never runs nginx.
func StopAll(string) error { return nil }
