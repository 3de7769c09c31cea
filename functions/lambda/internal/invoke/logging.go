package invoke

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// IDs are the repolink identifiers of one invocation.
type IDs struct {
	// Request is the provisioning request ID, the ticket key.
	Request   string
	Execution string
}

type idsKey struct{}

// WithIDs returns a context whose log records carry ids.
func WithIDs(ctx context.Context, ids IDs) context.Context {
	return context.WithValue(ctx, idsKey{}, ids)
}

// LogHandler adds the Lambda request ID and the repolink IDs of the context
// to every record, so that each log line of an invocation can be found by
// any of them.
type LogHandler struct {
	slog.Handler
}

// NewLogHandler wraps next.
func NewLogHandler(next slog.Handler) *LogHandler { return &LogHandler{Handler: next} }

// Handle adds the context's IDs and passes the record on.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("lambda_request_id", lc.AwsRequestID))
	}
	if ids, ok := ctx.Value(idsKey{}).(IDs); ok {
		if ids.Request != "" {
			r.AddAttrs(slog.String("request_id", ids.Request))
		}
		if ids.Execution != "" {
			r.AddAttrs(slog.String("execution", ids.Execution))
		}
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs returns a LogHandler around next.WithAttrs.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{Handler: h.Handler.WithAttrs(attrs)}
}

// WithGroup returns a LogHandler around next.WithGroup.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{Handler: h.Handler.WithGroup(name)}
}
