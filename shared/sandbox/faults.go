package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/repolink/repolink/shared/sandbox/gcpsim"
	"github.com/repolink/repolink/shared/sandbox/sfsim"
)

// FaultsEnv names the environment variable that points Start at a JSON file
// of fault rules. It is a hidden test option: the reliability suites set it
// on a child repolink process to make the sandbox's clouds fail on cue.
const FaultsEnv = "REPOLINK_SANDBOX_FAULTS"

// Kinds of fault that a rule injects.
const (
	// FaultThrottle responds with the service's throttling error.
	FaultThrottle = "throttle"
	// FaultServerError responds with a 5xx status.
	FaultServerError = "server-error"
	// FaultSlow holds the response for Delay, then serves the call.
	FaultSlow = "slow"
	// FaultTimeout holds the response for Delay, then closes the
	// connection without a response, as a proxy that gave up would.
	FaultTimeout = "timeout"
	// FaultDrop closes the connection after reading the request, without
	// a response and without serving the call.
	FaultDrop = "drop"
	// FaultReject responds with an access-denied error that no retry fixes.
	FaultReject = "reject"
)

// Clouds that a fault rule can target.
const (
	FaultCloudAWS       = "aws"
	FaultCloudSnowflake = "snowflake"
	FaultCloudAzure     = "azure"
	FaultCloudGCP       = "gcp"
)

// Default hold times of slow and timeout faults.
const (
	defaultSlowDelay    = 2 * time.Second
	defaultTimeoutDelay = 90 * time.Second
)

// FaultFile is the document that FaultsEnv names.
type FaultFile struct {
	// Hits is a file that gets one line per injected fault, so that a test
	// can tell a rule that fired from one that matched nothing. Empty
	// records nothing.
	Hits  string      `json:"hits,omitempty"`
	Rules []FaultRule `json:"rules"`
}

// FaultRule fails the calls of one cloud that match it.
type FaultRule struct {
	// Cloud is aws, snowflake, azure or gcp.
	Cloud string `json:"cloud"`
	// Match selects calls. aws: an action such as CreateTargetGroup, or
	// service:action such as secretsmanager:GetSecretValue. snowflake: a
	// substring of the SQL text, compared case-insensitively. azure: a
	// substring of the URL path. gcp: the collection or custom verb, such as
	// serviceAttachments.
	Match string `json:"match"`
	// Method restricts azure and gcp rules to one HTTP method.
	Method string `json:"method,omitempty"`
	// Kind is one of the Fault* kinds.
	Kind string `json:"kind"`
	// Skip lets the first Skip matching calls through.
	Skip int `json:"skip,omitempty"`
	// Times is how many matching calls after Skip fail; zero means every
	// one.
	Times int `json:"times,omitempty"`
	// Delay is the hold time of slow and timeout faults, such as "3s".
	Delay string `json:"delay,omitempty"`
}

// faultInjector applies the rules of one fault file. Rules are tried in
// order and the first that matches a call and still has faults to give
// decides it.
type faultInjector struct {
	hits string

	mu    sync.Mutex
	rules []*activeRule
}

type activeRule struct {
	FaultRule
	delay time.Duration
	seen  int // matching calls so far
}

// LoadFaultFile reads and checks a fault file.
func LoadFaultFile(path string) (FaultFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return FaultFile{}, fmt.Errorf("read sandbox fault file: %w", err)
	}
	var f FaultFile
	if err := json.Unmarshal(data, &f); err != nil {
		return FaultFile{}, fmt.Errorf("decode sandbox fault file %s: %w", path, err)
	}
	if _, err := newFaultInjector(f); err != nil {
		return FaultFile{}, fmt.Errorf("sandbox fault file %s: %w", path, err)
	}
	return f, nil
}

func newFaultInjector(f FaultFile) (*faultInjector, error) {
	in := &faultInjector{hits: f.Hits}
	var errs []error
	for i, r := range f.Rules {
		active := &activeRule{FaultRule: r}
		switch r.Cloud {
		case FaultCloudAWS, FaultCloudSnowflake, FaultCloudAzure, FaultCloudGCP:
		default:
			errs = append(errs, fmt.Errorf("rule %d: cloud %q must be aws, snowflake, azure or gcp", i, r.Cloud))
		}
		switch r.Kind {
		case FaultThrottle, FaultServerError, FaultDrop, FaultReject:
		case FaultSlow, FaultTimeout:
			active.delay = defaultSlowDelay
			if r.Kind == FaultTimeout {
				active.delay = defaultTimeoutDelay
			}
			if r.Delay != "" {
				d, err := time.ParseDuration(r.Delay)
				if err != nil || d < 0 {
					errs = append(errs, fmt.Errorf("rule %d: delay %q must be a duration such as 3s", i, r.Delay))
				}
				active.delay = d
			}
		default:
			errs = append(errs, fmt.Errorf("rule %d: kind %q must be throttle, server-error, slow, timeout, drop or reject", i, r.Kind))
		}
		if r.Match == "" {
			errs = append(errs, fmt.Errorf("rule %d: match is empty", i))
		}
		if r.Skip < 0 || r.Times < 0 {
			errs = append(errs, fmt.Errorf("rule %d: skip and times must not be negative", i))
		}
		in.rules = append(in.rules, active)
	}
	return in, errors.Join(errs...)
}

// applyFaultsFromEnv installs the rules of the file that FaultsEnv names on
// the fault hooks of the clouds. Without the variable it does nothing.
func (sb *Sandbox) applyFaultsFromEnv() error {
	path := os.Getenv(FaultsEnv)
	if path == "" {
		return nil
	}
	f, err := LoadFaultFile(path)
	if err != nil {
		return err
	}
	in, err := newFaultInjector(f)
	if err != nil {
		return err
	}
	sb.logger.Warn("sandbox fault rules installed", "file", path, "rules", len(f.Rules))
	sb.AWS.SetFault(in.awsFault)
	sb.Snowflake.SetFault(in.snowflakeFault)
	sb.Azure.SetFault(in.azureFault)
	sb.GCP.SetFault(in.gcpFault)
	return nil
}

// pick returns the rule that fails this call, or nil. It counts the call
// against every rule that matches it until one takes it.
func (in *faultInjector) pick(cloud string, matches func(FaultRule) bool, call string) *activeRule {
	in.mu.Lock()
	defer in.mu.Unlock()
	for i, r := range in.rules {
		if r.Cloud != cloud || !matches(r.FaultRule) {
			continue
		}
		r.seen++
		n := r.seen - r.Skip
		if n <= 0 || (r.Times > 0 && n > r.Times) {
			continue
		}
		in.recordHit(i, r, call)
		return r
	}
	return nil
}

// recordHit appends a line to the hits file. Callers hold in.mu, which
// keeps lines whole.
func (in *faultInjector) recordHit(index int, r *activeRule, call string) {
	if in.hits == "" {
		return
	}
	f, err := os.OpenFile(in.hits, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s rule=%d cloud=%s kind=%s call=%q\n", time.Now().UTC().Format(time.RFC3339Nano), index, r.Cloud, r.Kind, call)
}

// hold runs the delaying and connection-closing kinds. It returns for slow
// faults and for kinds that respond with an error. For timeout and drop it
// ends the handler with http.ErrAbortHandler, which makes net/http close the
// connection without writing a response. Every sim calls its fault hook
// outside its locks, so the panic unwinds nothing but the handler.
func (r *activeRule) hold() {
	switch r.Kind {
	case FaultSlow:
		time.Sleep(r.delay)
	case FaultTimeout:
		time.Sleep(r.delay)
		panic(http.ErrAbortHandler)
	case FaultDrop:
		panic(http.ErrAbortHandler)
	}
}

func (in *faultInjector) awsFault(service, action string) (int, string) {
	r := in.pick(FaultCloudAWS, func(rule FaultRule) bool {
		if svc, act, ok := strings.Cut(rule.Match, ":"); ok {
			return strings.EqualFold(svc, service) && act == action
		}
		return rule.Match == action
	}, service+":"+action)
	if r == nil {
		return 0, ""
	}
	r.hold()
	switch r.Kind {
	case FaultThrottle:
		switch service {
		case "ec2":
			return http.StatusServiceUnavailable, "RequestLimitExceeded"
		case "secretsmanager":
			return http.StatusBadRequest, "ThrottlingException"
		}
		return http.StatusBadRequest, "Throttling"
	case FaultServerError:
		return http.StatusInternalServerError, "InternalError"
	case FaultReject:
		switch service {
		case "ec2":
			return http.StatusForbidden, "UnauthorizedOperation"
		case "secretsmanager":
			return http.StatusBadRequest, "AccessDeniedException"
		}
		return http.StatusForbidden, "AccessDenied"
	}
	return 0, ""
}

func (in *faultInjector) snowflakeFault(sql string) error {
	upper := strings.ToUpper(sql)
	r := in.pick(FaultCloudSnowflake, func(rule FaultRule) bool {
		return strings.Contains(upper, strings.ToUpper(rule.Match))
	}, firstWords(sql, 6))
	if r == nil {
		return nil
	}
	r.hold()
	switch r.Kind {
	case FaultThrottle:
		return &sfsim.HTTPError{Status: http.StatusTooManyRequests}
	case FaultServerError:
		return &sfsim.HTTPError{Status: http.StatusServiceUnavailable}
	case FaultReject:
		return &sfsim.SQLError{Code: "003001", SQLState: "42501",
			Message: "SQL access control error:\nInsufficient privileges to operate on this object."}
	}
	return nil
}

func (in *faultInjector) azureFault(method, path string) (int, string) {
	lowerPath := strings.ToLower(path)
	r := in.pick(FaultCloudAzure, func(rule FaultRule) bool {
		return (rule.Method == "" || strings.EqualFold(rule.Method, method)) &&
			strings.Contains(lowerPath, strings.ToLower(rule.Match))
	}, method+" "+path)
	if r == nil {
		return 0, ""
	}
	r.hold()
	switch r.Kind {
	case FaultThrottle:
		return http.StatusTooManyRequests, "TooManyRequests"
	case FaultServerError:
		return http.StatusInternalServerError, "InternalServerError"
	case FaultReject:
		return http.StatusForbidden, "AuthorizationFailed"
	}
	return 0, ""
}

func (in *faultInjector) gcpFault(method, collection string) gcpsim.Fault {
	r := in.pick(FaultCloudGCP, func(rule FaultRule) bool {
		return (rule.Method == "" || strings.EqualFold(rule.Method, method)) &&
			strings.EqualFold(rule.Match, collection)
	}, method+" "+collection)
	if r == nil {
		return gcpsim.Fault{}
	}
	r.hold()
	switch r.Kind {
	case FaultThrottle:
		return gcpsim.Fault{Status: http.StatusTooManyRequests, Reason: "rateLimitExceeded"}
	case FaultServerError:
		return gcpsim.Fault{Status: http.StatusServiceUnavailable, Reason: "backendError"}
	case FaultReject:
		return gcpsim.Fault{Status: http.StatusForbidden, Reason: "forbidden"}
	}
	return gcpsim.Fault{}
}

// firstWords returns up to n words of a SQL text, enough to name the
// statement in the hits file without copying the literals that may follow.
func firstWords(sql string, n int) string {
	words := strings.Fields(sql)
	if len(words) > n {
		words = words[:n]
	}
	for i, w := range words {
		if strings.ContainsAny(w, `'"$`) {
			words = words[:i]
			break
		}
	}
	return strings.Join(words, " ")
}
