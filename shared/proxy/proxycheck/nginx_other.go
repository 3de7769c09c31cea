//go:build !unix

package proxycheck

import (
	"context"
	"errors"

	"github.com/repolink/repolink/shared/proxy"
)

var errNotUnix = errors.New("the proxy check runs nginx only on Unix systems")

type nginxProcess struct{}

func testConfig(context.Context, proxy.Binary, string) error { return errNotUnix }

func startNginx(context.Context, proxy.Binary, string, ...string) (*nginxProcess, error) {
	return nil, errNotUnix
}

func (p *nginxProcess) Stop() error { return nil }

func (p *nginxProcess) ErrorLog() string { return "" }
