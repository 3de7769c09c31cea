package proxy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Binary is an nginx executable found on this machine.
type Binary struct {
	Path    string
	Version string
	// LoadStream is the load_module line that the config must start with
	// when the stream modules are dynamic, or "" when they are built in.
	LoadStream string
}

var (
	versionPattern     = regexp.MustCompile(`nginx version: nginx/(\S+)`)
	modulesPathPattern = regexp.MustCompile(`--modules-path=(\S+)`)
)

// defaultModulesPath is the module directory of an nginx build that names
// no --modules-path, under the default prefix.
const defaultModulesPath = "/usr/local/nginx/modules"

// LookNginx finds nginx on PATH (or in /usr/sbin, where distributions put
// it outside most users' PATH) and reads `nginx -V` to learn whether the
// stream and ssl_preread modules are built in, dynamic or missing.
func LookNginx(ctx context.Context) (Binary, error) {
	path, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"} {
			if info, statErr := os.Stat(p); statErr == nil && !info.IsDir() {
				path, err = p, nil
				break
			}
		}
	}
	if err != nil {
		return Binary{}, fmt.Errorf("find nginx: %w", err)
	}

	// nginx -V prints to stderr.
	out, err := exec.CommandContext(ctx, path, "-V").CombinedOutput()
	if err != nil {
		return Binary{}, fmt.Errorf("run %s -V: %w", path, err)
	}
	return parseBuildInfo(path, string(out))
}

// parseBuildInfo reads the output of `nginx -V`.
func parseBuildInfo(path, info string) (Binary, error) {
	b := Binary{Path: path}
	if m := versionPattern.FindStringSubmatch(info); m != nil {
		b.Version = m[1]
	}

	args := strings.Fields(info)
	has := func(flag string) bool {
		for _, a := range args {
			if a == flag {
				return true
			}
		}
		return false
	}
	if !has("--with-stream_ssl_preread_module") {
		return Binary{}, fmt.Errorf("%s lacks the stream ssl_preread module (--with-stream_ssl_preread_module)", path)
	}
	switch {
	case has("--with-stream"):
		return b, nil
	case has("--with-stream=dynamic"):
		modules := defaultModulesPath
		if m := modulesPathPattern.FindStringSubmatch(info); m != nil {
			modules = m[1]
		}
		module := filepath.Join(modules, "ngx_stream_module.so")
		if _, err := os.Stat(module); err != nil {
			return Binary{}, fmt.Errorf("%s has a dynamic stream module, but %s is missing: %w",
				path, module, err)
		}
		b.LoadStream = "load_module " + module + ";\n"
		return b, nil
	}
	return Binary{}, errors.New(path + " lacks the stream module (--with-stream)")
}
