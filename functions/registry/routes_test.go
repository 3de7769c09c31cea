package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/repolink/repolink/shared/cloud"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/snowflake"
	"github.com/repolink/repolink/shared/workflow"
)

var errNoAdapter = errors.New("no adapter in this test")

type noSecrets struct{}

func (noSecrets) Resolve(context.Context, string) (string, error) { return "", errNoAdapter }

type noWaits struct{}

func (noWaits) Put(context.Context, workflow.Wait) error      { return errNoAdapter }
func (noWaits) List(context.Context) ([]workflow.Wait, error) { return nil, errNoAdapter }
func (noWaits) Delete(context.Context, string) error          { return errNoAdapter }

// offlineEnv returns an Env whose every adapter fails, and whose index
// client dials nothing, so that a step returns an error and reaches no host.
func offlineEnv() *workflow.Env {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) { return nil, errNoAdapter },
	}}
	return &workflow.Env{
		Snowflake: func(context.Context, request.Snowflake) (snowflake.Conn, error) { return nil, errNoAdapter },
		AWS:       func(context.Context, string) (cloud.AWSNetwork, error) { return nil, errNoAdapter },
		Azure:     func(context.Context, string) (cloud.AzureNetwork, error) { return nil, errNoAdapter },
		GCP:       func(context.Context, string) (cloud.GCPNetwork, error) { return nil, errNoAdapter },
		Firewall:  func(context.Context, string) (cloud.Firewall, error) { return nil, errNoAdapter },
		Secrets:   noSecrets{},
		IndexHTTP: func() *http.Client { return client },
		Waits:     noWaits{},
		Now:       time.Now,
	}
}

// exampleRequests returns the example request of every route, by route.
func exampleRequests(t *testing.T) map[request.Route]request.Request {
	t.Helper()
	paths, err := filepath.Glob("../../examples/*.json")
	if err != nil {
		t.Fatal(err)
	}
	requests := map[request.Route]request.Request{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		req, err := request.Parse(data)
		if err != nil {
			continue // a ticket mapping, not a request
		}
		if _, seen := requests[req.Route]; !seen {
			requests[req.Route] = req
		}
	}
	for _, route := range []request.Route{aws, azure, gcp, egress, request.RoutePublic} {
		if _, ok := requests[route]; !ok {
			t.Fatalf("no example request for route %s", route)
		}
	}
	return requests
}

// runStep runs a handler and turns a panic into an error.
func runStep(handler Handler, input json.RawMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = handler(ctx, input)
	return err
}

func TestEveryStepEveryRouteNoPanic(t *testing.T) {
	handlers := Handlers(offlineEnv())
	names := make([]string, 0, len(handlers))
	for name := range handlers {
		names = append(names, name)
	}
	sort.Strings(names)
	for route, req := range exampleRequests(t) {
		input, err := json.Marshal(workflow.Document{Request: req})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			err := runStep(handlers[name], input)
			if err != nil && strings.HasPrefix(err.Error(), "panic:") {
				t.Errorf("step %s, request route %s: %v", name, route, err)
			}
		}
	}
}

func TestRouteStepRejectsOtherRoutes(t *testing.T) {
	steps := map[request.Route][]string{
		aws: {"proxy_vm", "target_group", "load_balancer", "endpoint_service", "connection",
			"teardown_connections", "teardown_reject_connections", "teardown_endpoint_service",
			"teardown_load_balancer", "teardown_target_group", "teardown_proxy_vm"},
		azure:  {"azure_proxy_vm", "azure_connection", "teardown_azure_proxy_vm"},
		gcp:    {"gcp_proxy_vm", "gcp_connection", "teardown_gcp_firewall_rules"},
		egress: {"egress_ranges", "teardown_egress"},
	}
	blocks := map[request.Route]string{aws: "aws", azure: "azure", gcp: "gcp", egress: "egress"}
	handlers := Handlers(offlineEnv())
	requests := exampleRequests(t)
	for stepRoute, names := range steps {
		for reqRoute, req := range requests {
			if reqRoute == stepRoute {
				continue
			}
			input, err := json.Marshal(workflow.Document{Request: req})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range names {
				err := runStep(handlers[name], input)
				if got := workflow.NameOf(err); got != workflow.ErrInvalidRequest {
					t.Errorf("step %s, request route %s: error %v, want InvalidRequest", name, reqRoute, err)
					continue
				}
				want := fmt.Sprintf("needs the %s block", blocks[stepRoute])
				if !strings.Contains(err.Error(), want) {
					t.Errorf("step %s, request route %s: error %q does not contain %q", name, reqRoute, err, want)
				}
			}
		}
	}
}
