// Command proxycheck checks the proxy VM's data path on this machine with
// the local nginx: for every shipped form of the proxy configuration it
// runs `nginx -t`, starts nginx on 127.0.0.1 in front of a sandbox package
// index, downloads a wheel through it with Go and with pip, and checks that
// unlisted server names are rejected. It prints one line per step and a
// summary, and exits 1 when a step failed or nginx is missing.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/repolink/repolink/shared/proxy"
	"github.com/repolink/repolink/shared/proxy/proxycheck"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("proxycheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	python := fs.String("python", "python3", "Python interpreter whose pip downloads through the proxy; empty leaves the pip step out")
	keep := fs.Bool("keep", false, "keep the working directory with the rendered configs and nginx logs")
	verbose := fs.Bool("v", false, "log index and step details to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	nginx, err := proxy.LookNginx(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "proxycheck: nginx with the stream and ssl_preread modules is required: %v\n", err)
		fmt.Fprintln(stdout, "0 passed, 1 failed")
		return 1
	}
	fmt.Fprintf(stdout, "nginx %s at %s\n", nginx.Version, nginx.Path)

	var pip []string
	if *python != "" {
		path, err := exec.LookPath(*python)
		if err != nil {
			fmt.Fprintf(stderr, "proxycheck: %s not found; install Python with pip, or pass -python= to leave pip out: %v\n", *python, err)
			fmt.Fprintln(stdout, "0 passed, 1 failed")
			return 1
		}
		pip = []string{path, "-m", "pip"}
	}

	dir, err := os.MkdirTemp("", "repolink-proxycheck-")
	if err != nil {
		fmt.Fprintf(stderr, "proxycheck: create working directory: %v\n", err)
		return 1
	}
	if *keep {
		fmt.Fprintf(stdout, "working directory %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	passed, failed := 0, 0
	for _, target := range proxycheck.Targets {
		results := proxycheck.Check(ctx, target, proxycheck.Options{Nginx: nginx, Pip: pip, Dir: dir, Logger: logger})
		for _, r := range results {
			if r.Err == nil {
				passed++
				fmt.Fprintf(stdout, "ok    %-22s %s\n", r.Target, r.Step)
				continue
			}
			failed++
			fmt.Fprintf(stdout, "FAIL  %-22s %s: %s\n", r.Target, r.Step, oneLine(r.Err.Error()))
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
