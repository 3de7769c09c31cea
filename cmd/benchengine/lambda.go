package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/repolink/repolink/shared/sandbox"
)

// nextInvocationPath is the Lambda Runtime API call that a runtime makes
// for its first event, once its initialisation is done.
const nextInvocationPath = "/2018-06-01/runtime/invocation/next"

// lambdaResult is the output of the lambda subcommand.
type lambdaResult struct {
	// Sizes are the bootstrap sizes in bytes by architecture.
	Sizes map[string]int64 `json:"sizes"`
	// Arch is the architecture whose bootstrap was started.
	Arch  string     `json:"arch"`
	Inits []initTime `json:"inits"`
	// Modules are the largest modules in an amd64 build with symbols, by
	// the size of their code and read-only data.
	Modules []moduleSize `json:"modules"`
	// Attributed is the size of all code and read-only data symbols.
	Attributed int64 `json:"attributed"`
}

type moduleSize struct {
	Module string `json:"module"`
	Bytes  int64  `json:"bytes"`
}

// initTime is the time from exec to the first request for an event, for
// one REPOLINK_HANDLER.
type initTime struct {
	Handler string    `json:"handler"`
	Seconds []float64 `json:"seconds"`
	Median  float64   `json:"median"`
}

func lambdaCommand(args []string) error {
	fs := flag.NewFlagSet("lambda", flag.ExitOnError)
	dir := fs.String("dir", "bin/lambda", "directory with <arch>/bootstrap, as make lambda builds it")
	runs := fs.Int("runs", 15, "starts per handler")
	goTool := fs.String("go", "go", "go command, for the build with symbols that the module sizes come from")
	fs.Parse(args)
	if *runs < 1 {
		return fmt.Errorf("-runs must be at least 1, not %d", *runs)
	}

	result := lambdaResult{Sizes: map[string]int64{}, Arch: runtime.GOARCH}
	for _, arch := range []string{"arm64", "amd64"} {
		info, err := os.Stat(filepath.Join(*dir, arch, "bootstrap"))
		if err != nil {
			return fmt.Errorf("bootstrap for %s: %w; run make lambda first", arch, err)
		}
		result.Sizes[arch] = info.Size()
	}
	bootstrap := filepath.Join(*dir, runtime.GOARCH, "bootstrap")
	var err error
	for _, handler := range []string{"poller", "proxy_vm"} {
		init := initTime{Handler: handler}
		for range *runs {
			d, err := measureInit(bootstrap, handler)
			if err != nil {
				return fmt.Errorf("start %s with REPOLINK_HANDLER=%s: %w", bootstrap, handler, err)
			}
			init.Seconds = append(init.Seconds, d.Seconds())
		}
		init.Median = median(init.Seconds)
		result.Inits = append(result.Inits, init)
	}
	result.Modules, result.Attributed, err = moduleSizes(*goTool, 8)
	if err != nil {
		return err
	}
	return printJSON(os.Stdout, result)
}

// measureInit starts the bootstrap against a local Runtime API and returns
// the time from exec to its first request for an event. The bootstrap is
// killed after that request.
func measureInit(bootstrap, handler string) (time.Duration, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	requested := make(chan time.Time, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+nextInvocationPath, func(w http.ResponseWriter, r *http.Request) {
		select {
		case requested <- time.Now():
		default:
		}
		// Hold the request: the bootstrap is killed before it gets an event.
		<-r.Context().Done()
	})
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go server.Serve(listener)
	defer server.Close()

	home, err := os.MkdirTemp("", "benchengine-lambda-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(home)
	cmd := exec.Command(bootstrap)
	// A minimal environment like Lambda's: no shared AWS configuration, no
	// metadata lookups, and sandbox keys that are not secrets.
	cmd.Env = []string{
		"HOME=" + home,
		"PATH=/usr/bin:/bin",
		"AWS_LAMBDA_RUNTIME_API=" + listener.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=repolink-" + handler,
		"AWS_REGION=us-west-2",
		"AWS_ACCESS_KEY_ID=" + sandbox.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + sandbox.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true",
		"REPOLINK_HANDLER=" + handler,
		"REPOLINK_DYNAMODB_TABLE=repolink-bench-waits",
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case at := <-requested:
		return at.Sub(start), nil
	case err := <-exited:
		exited <- err
		if err == nil {
			err = errors.New("exited")
		}
		return 0, fmt.Errorf("the bootstrap exited before it requested an event: %w", err)
	case <-ctx.Done():
		return 0, errors.New("timed out after 30 seconds waiting for the bootstrap to request an event")
	}
}

// moduleSizes builds the amd64 bootstrap with the flags of make lambda but
// with its symbol table, and returns the largest modules by the size of
// their text and read-only data symbols, and the size of all of them. The
// rest of the file (symbol tables, the function table, data) is not
// attributed.
func moduleSizes(goTool string, top int) ([]moduleSize, int64, error) {
	dir, err := os.MkdirTemp("", "benchengine-lambda-")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(dir)
	binary := filepath.Join(dir, "bootstrap")
	build := exec.Command(goTool, "build", "-tags", "lambda.norpc,minicore_disabled", "-trimpath", "-o", binary, "./functions/lambda")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, 0, fmt.Errorf("build the bootstrap with symbols: %w\n%s", err, out)
	}
	out, err := exec.Command(goTool, "tool", "nm", "-size", binary).Output()
	if err != nil {
		return nil, 0, fmt.Errorf("go tool nm: %w", err)
	}

	sizes := map[string]int64{}
	var total int64
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 4 || !strings.ContainsAny(fields[2], "TtRr") {
			continue
		}
		size, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		sizes[moduleOf(strings.Join(fields[3:], " "))] += size
		total += size
	}

	modules := make([]moduleSize, 0, len(sizes))
	for name, size := range sizes {
		modules = append(modules, moduleSize{Module: name, Bytes: size})
	}
	slices.SortFunc(modules, func(a, b moduleSize) int { return cmp.Compare(b.Bytes, a.Bytes) })
	return modules[:min(top, len(modules))], total, nil
}

// moduleOf returns the module that a symbol belongs to, "standard library"
// for packages without a domain, and each AWS SDK service apart.
func moduleOf(symbol string) string {
	symbol = strings.TrimPrefix(symbol, "type:")
	symbol = strings.TrimLeft(symbol, "*[]")
	if strings.HasPrefix(symbol, "go:") {
		return "standard library"
	}
	end := len(symbol)
	if i := strings.IndexAny(symbol, "(["); i >= 0 {
		end = i
	}
	slash := strings.LastIndex(symbol[:end], "/")
	pkg := symbol
	if dot := strings.Index(symbol[slash+1:], "."); dot >= 0 {
		pkg = symbol[:slash+1+dot]
	}
	parts := strings.Split(pkg, "/")
	switch {
	case !strings.Contains(parts[0], "."):
		return "standard library"
	case strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/") && len(parts) >= 5:
		return strings.Join(parts[:5], "/")
	case len(parts) >= 3 && (parts[0] == "github.com" || parts[0] == "golang.org" || parts[0] == "cloud.google.com" || parts[0] == "go.opentelemetry.io"):
		return strings.Join(parts[:3], "/")
	}
	return strings.Join(parts[:min(2, len(parts))], "/")
}
