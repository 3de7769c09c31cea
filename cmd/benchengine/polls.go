package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/repolink/repolink/functions/poller"
	"github.com/repolink/repolink/functions/provisionendpoint"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/waits"
	"github.com/repolink/repolink/shared/workflow"
)

// pollPass is one pass over the waits: Snowflake query requests that the
// sandbox received, and the time the pass took.
type pollPass struct {
	Queries          int64   `json:"queries"`
	EndpointsQueries int64   `json:"endpoints_queries"`
	Seconds          float64 `json:"seconds"`
}

// pollsResult is the output of the polls subcommand.
type pollsResult struct {
	Waits    int `json:"waits"`
	Accounts int `json:"accounts"`
	// Cold is the first poll, which also logs in to each account.
	Cold pollPass `json:"cold"`
	// Warm is the next poll, on the sessions that the first one opened.
	Warm pollPass `json:"warm"`
	// Naive reads the endpoints once per wait, on the same sessions.
	Naive pollPass `json:"naive"`
	// Pending is the number of waits that the warm poll left open.
	Pending int `json:"pending"`
}

func pollsCommand(args []string) error {
	fs := flag.NewFlagSet("polls", flag.ExitOnError)
	count := fs.Int("waits", 1000, "waits to register")
	accounts := fs.Int("accounts", 3, "Snowflake accounts to spread the waits over")
	fs.Parse(args)
	if *count < 1 || *accounts < 1 {
		return fmt.Errorf("-waits and -accounts must be at least 1, not %d and %d", *count, *accounts)
	}
	// The driver must not probe cloud metadata addresses.
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")

	result, err := measurePolls(context.Background(), *count, *accounts)
	if err != nil {
		return err
	}
	return printJSON(os.Stdout, result)
}

// measurePolls registers waits over accounts of an in-memory sandbox
// Snowflake and counts the query requests that the poller sends, and those
// of a loop that reads the endpoints once per wait.
func measurePolls(ctx context.Context, count, accounts int) (pollsResult, error) {
	dir, err := os.MkdirTemp("", "benchengine-")
	if err != nil {
		return pollsResult{}, err
	}
	defer os.RemoveAll(dir)

	sf, err := sfsim.Start(ctx, sfsim.Options{})
	if err != nil {
		return pollsResult{}, err
	}
	defer sf.Close()
	var queries, endpointQueries atomic.Int64
	sf.SetFault(func(sql string) error {
		queries.Add(1)
		if strings.Contains(strings.ToUpper(sql), "SYSTEM$GET_PRIVATELINK_ENDPOINTS_INFO") {
			endpointQueries.Add(1)
		}
		return nil
	})

	password, err := randomPassword()
	if err != nil {
		return pollsResult{}, err
	}
	users := make([]request.Snowflake, accounts)
	for i := range users {
		users[i] = request.Snowflake{Account: fmt.Sprintf("benchorg-account%d", i+1), User: "REPOLINK_POLLER", Role: "ACCOUNTADMIN"}
		if err := sf.EnsureUser(users[i].Account, users[i].User, nil, password); err != nil {
			return pollsResult{}, err
		}
	}

	store, err := waits.Open(filepath.Join(dir, "waits.db"))
	if err != nil {
		return pollsResult{}, err
	}
	defer store.Close()
	now := time.Now()
	registered := make([]workflow.Wait, count)
	for i := range registered {
		registered[i] = workflow.Wait{
			Token:     fmt.Sprintf("bench-token-%05d", i),
			Execution: fmt.Sprintf("BENCH-%05d", i),
			Snowflake: users[i%accounts],
			ServiceID: fmt.Sprintf("com.amazonaws.vpce.us-west-2.vpce-svc-%017x", i),
			Host:      fmt.Sprintf("pypi-%d.corp.example.com", i),
			Cloud:     "aws",
			Deadline:  now.Add(24 * time.Hour),
			CreatedAt: now,
		}
		if err := store.Put(ctx, registered[i]); err != nil {
			return pollsResult{}, err
		}
	}

	sessions := &sessionCache{host: sf.Host(), port: sf.Port(), password: password}
	defer sessions.Close()
	p := &poller.Poller{
		Env:   &workflow.Env{Snowflake: sessions.Open, Waits: store, Now: time.Now},
		Tasks: discardTasks{},
	}
	pass := func(run func() error) (pollPass, error) {
		queries.Store(0)
		endpointQueries.Store(0)
		start := time.Now()
		if err := run(); err != nil {
			return pollPass{}, err
		}
		return pollPass{Queries: queries.Load(), EndpointsQueries: endpointQueries.Load(), Seconds: time.Since(start).Seconds()}, nil
	}

	result := pollsResult{Waits: count, Accounts: accounts}
	var report poller.Report
	pollOnce := func() error {
		var err error
		report, err = p.Poll(ctx)
		if err == nil && report.Errors > 0 {
			err = fmt.Errorf("the poll counted %d errors", report.Errors)
		}
		return err
	}
	if result.Cold, err = pass(pollOnce); err != nil {
		return pollsResult{}, fmt.Errorf("first poll: %w", err)
	}
	if result.Warm, err = pass(pollOnce); err != nil {
		return pollsResult{}, fmt.Errorf("second poll: %w", err)
	}
	result.Pending = report.Pending
	result.Naive, err = pass(func() error {
		for _, w := range registered {
			conn, err := sessions.Open(ctx, w.Snowflake)
			if err != nil {
				return err
			}
			if _, err := provisionendpoint.Endpoints(ctx, conn); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return pollsResult{}, fmt.Errorf("one query per wait: %w", err)
	}
	return result, nil
}

// sessionCache opens one gosnowflake session per account and user and
// keeps it, as the adapters of repolink up do.
type sessionCache struct {
	host     string
	port     int
	password string

	mu       sync.Mutex
	sessions map[string]*snowflake.Client
}

func (c *sessionCache) Open(ctx context.Context, sf request.Snowflake) (snowflake.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(sf.Account + "/" + sf.User)
	if client, ok := c.sessions[key]; ok {
		return client, nil
	}
	client, err := snowflake.Open(ctx, snowflake.Config{
		Account:        sf.Account,
		User:           sf.User,
		Role:           sf.Role,
		Password:       c.password,
		Host:           c.host,
		Port:           c.port,
		Protocol:       "http",
		LoginTimeout:   30 * time.Second,
		RequestTimeout: 30 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("log in to sandbox account %s: %w", sf.Account, err)
	}
	if c.sessions == nil {
		c.sessions = map[string]*snowflake.Client{}
	}
	c.sessions[key] = client
	return client, nil
}

func (c *sessionCache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, client := range c.sessions {
		_ = client.Close()
	}
}

// discardTasks completes no task tokens: the benchmark's waits have no
// executions behind them, and none of them turns live.
type discardTasks struct{}

func (discardTasks) SendTaskSuccess(context.Context, string, json.RawMessage) error { return nil }
func (discardTasks) SendTaskFailure(context.Context, string, string, string) error  { return nil }

func randomPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate sandbox password: %w", err)
	}
	return hex.EncodeToString(b), nil
}
