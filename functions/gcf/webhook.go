package gcf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	gcpadapter "github.com/repolink/repolink/shared/cloud/gcp"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/webhook"
	"github.com/repolink/repolink/shared/workflow"
)

// WebhookFunction is the name of the function that receives signed requests
// at /v1/requests and ticket deliveries at /v1/hooks/<source>. It needs
// FUNCTION_TARGET=webhook, because the functions framework serves a
// function's subpaths only as the target.
const WebhookFunction = "webhook"

// Environment variables of the webhook, besides envSigningSecret and the
// waits collection settings.
const (
	envWorkflow          = "REPOLINK_WORKFLOW"
	envJiraMapping       = "REPOLINK_JIRA_MAPPING"
	envServiceNowMapping = "REPOLINK_SERVICENOW_MAPPING"
)

// webhookConfig is the webhook's configuration from the environment.
type webhookConfig struct {
	// workflow is the resource name of the provision workflow,
	// projects/P/locations/L/workflows/W.
	workflow string
	// secretRef is the gcp-secretmanager: reference of the HMAC key.
	secretRef string
	waits     gcpadapter.WaitsConfig
	// mappings are the ticket sources with their mapping files, read
	// with the other settings so that one log line names every problem.
	mappings []readMapping
}

// mappingFile is a ticket source, the variable that names its mapping
// file, and the path of that file.
type mappingFile struct{ source, env, path string }

// readMapping is a mapping file and its contents.
type readMapping struct {
	mappingFile
	mapping webhook.Mapping
}

// mappingFiles returns the mapping files that REPOLINK_JIRA_MAPPING and
// REPOLINK_SERVICENOW_MAPPING name, leaving out the unset ones.
func mappingFiles(getenv func(string) string) []mappingFile {
	var files []mappingFile
	for _, m := range []mappingFile{{"jira", envJiraMapping, getenv(envJiraMapping)}, {"servicenow", envServiceNowMapping, getenv(envServiceNowMapping)}} {
		m.path = strings.TrimSpace(m.path)
		if m.path != "" {
			files = append(files, m)
		}
	}
	return files
}

// loadWebhookConfig reads the webhook's settings and returns an error that
// names every missing or invalid one.
func loadWebhookConfig(getenv func(string) string) (webhookConfig, error) {
	read := func(name string) string { return strings.TrimSpace(getenv(name)) }
	cfg := webhookConfig{workflow: read(envWorkflow), secretRef: read(envSigningSecret)}
	var problems []string
	if cfg.workflow == "" {
		problems = append(problems, envWorkflow+" is not set; set it to projects/P/locations/L/workflows/W of the provision workflow")
	} else if err := gcpadapter.CheckWorkflowName(cfg.workflow); err != nil {
		problems = append(problems, fmt.Sprintf("%s=%q is not a workflow name; set it to projects/P/locations/L/workflows/W of the provision workflow",
			envWorkflow, cfg.workflow))
	}
	if !strings.HasPrefix(cfg.secretRef, gcpadapter.SecretManagerScheme+":") {
		problems = append(problems, envSigningSecret+" must be gcp-secretmanager:projects/P/secrets/S/versions/V, the HMAC key of the webhook")
	}
	waits, err := loadWaitsConfig(getenv)
	switch {
	case err != nil:
		problems = append(problems, err.Error())
	case waits.Collection == "":
		problems = append(problems, envWaitsCollection+" is not set; the webhook records its deliveries under that Firestore collection")
	}
	cfg.waits = waits
	for _, file := range mappingFiles(getenv) {
		mapping, err := webhook.ReadMapping(file.path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s mapping %s: %v", file.env, file.source, file.path, err))
			continue
		}
		cfg.mappings = append(cfg.mappings, readMapping{mappingFile: file, mapping: mapping})
	}
	if len(problems) > 0 {
		return cfg, errors.New(strings.Join(problems, "; "))
	}
	return cfg, nil
}

// webhookDeps are the settings, clients and logger that buildWebhook uses.
type webhookDeps struct {
	getenv func(string) string
	gcp    gcpadapter.Options
	// resolve reads a gcp-secretmanager: reference.
	resolve func(ctx context.Context, ref string) (string, error)
	// requests are the credential references that requests may use. They
	// must leave out the secrets of the mappings that getenv names
	// (loadMappingSecrets), as newAdapters does.
	requests secrets.AllowList
	logger   *slog.Logger
	// deliveries configures the claims of the delivery store. The zero
	// value uses its defaults.
	deliveries gcpadapter.DeliveriesOptions
	// env is the step environment of the start checks that run before a
	// request's execution starts, or nil to run none.
	env *workflow.Env
}

// webhookService builds the webhook handler on the first delivery and keeps
// it for later deliveries on the same instance. A failed build is tried
// again on the next delivery. The key and the mappings' credentials are read
// once per instance, so a rotated key takes effect on new instances.
type webhookService struct {
	deps webhookDeps

	mu      sync.Mutex
	handler http.Handler
}

func (s *webhookService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	handler, err := s.open(r.Context())
	if err != nil {
		s.deps.logger.Error("webhook configuration failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, webhook.Response{Error: "the webhook is not configured; the function log has the cause"})
		return
	}
	handler.ServeHTTP(w, r)
}

func (s *webhookService) open(ctx context.Context) (http.Handler, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handler != nil {
		return s.handler, nil
	}
	handler, err := buildWebhook(ctx, s.deps)
	if err != nil {
		return nil, err
	}
	s.handler = handler
	return handler, nil
}

// buildWebhook reads the key and the mappings, opens the Firestore and
// Workflows clients, and returns the routes of the shared webhook handler.
func buildWebhook(ctx context.Context, deps webhookDeps) (http.Handler, error) {
	cfg, err := loadWebhookConfig(deps.getenv)
	if err != nil {
		return nil, err
	}
	resolver := secretManagerOnly{resolve: deps.resolve}
	secret, err := resolver.Resolve(ctx, cfg.secretRef)
	if err != nil {
		return nil, fmt.Errorf("read the webhook key that %s names: %w", envSigningSecret, err)
	}
	if secret == "" {
		return nil, fmt.Errorf("the webhook key that %s names is empty; store a value in that secret version", envSigningSecret)
	}
	var sources []webhook.Source
	for _, m := range cfg.mappings {
		src, err := webhook.NewSource(ctx, m.source, m.mapping, resolver)
		if err != nil {
			return nil, fmt.Errorf("%s mapping %s: %w", m.source, m.path, err)
		}
		sources = append(sources, src)
	}

	// The clients outlive the delivery that builds them, so they are not
	// bound to its context.
	store, err := gcpadapter.NewDeliveries(context.Background(), deps.gcp, cfg.waits, deps.deliveries)
	if err != nil {
		return nil, err
	}
	claims, err := gcpadapter.NewStartClaims(context.Background(), deps.gcp, cfg.waits)
	if err != nil {
		return nil, err
	}
	client, err := gcpadapter.NewWorkflows(context.Background(), deps.gcp, cfg.workflow)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envWorkflow, err)
	}
	hook, err := webhook.New(webhook.Config{
		Secret:     []byte(secret),
		Executions: &workflowExecutions{client: client, requests: deps.requests, claims: claims, log: deps.logger, env: deps.env},
		Store:      store,
		Logger:     deps.logger,
		Sources:    sources,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	hook.Register(mux)
	return mux, nil
}

// secretManagerOnly reads the webhook's own credentials, which only
// gcp-secretmanager: references may name, because the function instance
// has no other credential that the operator configured.
type secretManagerOnly struct {
	resolve func(ctx context.Context, ref string) (string, error)
}

func (s secretManagerOnly) Resolve(ctx context.Context, ref string) (string, error) {
	if !strings.HasPrefix(ref, gcpadapter.SecretManagerScheme+":") {
		scheme, _, _ := strings.Cut(ref, ":")
		return "", fmt.Errorf("reference of scheme %q is not read by the Google Cloud deployment; use gcp-secretmanager:projects/P/secrets/S/versions/V", scheme)
	}
	return s.resolve(ctx, ref)
}
