package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/repolink/repolink/shared/engine"
)

// tokenMachine waits on a task token that the benchmark never completes.
const tokenMachine = `{"StartAt":"Await","States":{"Await":{"Type":"Task",
	"Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
	"Parameters":{"FunctionName":"register","Payload":{"token.$":"$$.Task.Token"}},"End":true}}}`

// waitsResult is the output of the waits subcommand. Sizes are MiB.
type waitsResult struct {
	Executions int     `json:"executions"`
	RSSBefore  float64 `json:"rss_before_mib"`
	RSSAfter   float64 `json:"rss_after_mib"`
	RSSAdded   float64 `json:"rss_added_mib"`
	HeapBefore float64 `json:"heap_before_mib"`
	HeapAfter  float64 `json:"heap_after_mib"`
	StoreBytes int64   `json:"store_bytes"`
}

func waitsCommand(args []string) error {
	fs := flag.NewFlagSet("waits", flag.ExitOnError)
	executions := fs.Int("executions", 1000, "executions to leave waiting on a task token")
	fs.Parse(args)

	dir, err := os.MkdirTemp("", "benchengine-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var submitted atomic.Int64
	e, err := engine.Open(filepath.Join(dir, "engine.db"), engine.Options{
		OnEvent: func(ev engine.Event) {
			if ev.Type == "TaskSubmitted" {
				submitted.Add(1)
			}
		},
	})
	if err != nil {
		return err
	}
	defer e.Close()
	e.Register("register", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{}`), nil
	})
	if err := e.Define("wait", []byte(tokenMachine)); err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		stop()
		<-done
	}()

	time.Sleep(time.Second) // let the idle Run loop settle
	rssBefore, heapBefore, err := memory()
	if err != nil {
		return err
	}
	for i := range *executions {
		if _, err := e.Start(ctx, "wait", fmt.Sprintf("wait-%d", i), json.RawMessage(`{}`)); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for submitted.Load() < int64(*executions) {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d executions reached their task token in 2 minutes", submitted.Load(), *executions)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rssAfter, heapAfter, err := memory()
	if err != nil {
		return err
	}
	var storeBytes int64
	for _, name := range []string{"engine.db", "engine.db-wal"} {
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil {
			storeBytes += info.Size()
		}
	}
	return printJSON(os.Stdout, waitsResult{
		Executions: *executions,
		RSSBefore:  rssBefore,
		RSSAfter:   rssAfter,
		RSSAdded:   rssAfter - rssBefore,
		HeapBefore: heapBefore,
		HeapAfter:  heapAfter,
		StoreBytes: storeBytes,
	})
}

// memory collects garbage and returns the resident set size of the
// process and the Go heap in use, in MiB.
func memory() (rss, heap float64, err error) {
	runtime.GC()
	debug.FreeOSMemory()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("read resident set size: %w", err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		value, ok := strings.CutPrefix(scanner.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse VmRSS %q: %w", value, err)
		}
		return kib / 1024, float64(stats.HeapInuse) / (1 << 20), nil
	}
	return 0, 0, fmt.Errorf("no VmRSS in /proc/self/status")
}
