package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// holdRejectedExecutions holds each open execution in eng whose request the
// settings of up reject, so that up leaves it as it is instead of resuming
// it into a failed step. Such an execution was started by a run, redrive
// or teardown, which reads every reference itself. It logs one warning per
// held execution with the fields that up rejects and the commands that
// resume it. runFlags are the flags of those commands.
func holdRejectedExecutions(ctx context.Context, eng *engine.Engine, opts upOptions, runFlags string, logger *slog.Logger) error {
	open, err := eng.Running(ctx)
	if err != nil {
		return fmt.Errorf("list open executions: %w", err)
	}
	storeFlags := storeFlagsOf(runFlags)
	for _, x := range open {
		rejected := upRejectedFields(x, opts)
		if len(rejected) == 0 {
			continue
		}
		eng.Hold(x.Name)
		logger.Warn("open execution left as it is, because this service's settings reject its request",
			"execution", x.Name, "rejected", rejected,
			"resume", resumeAdvice(x, teardownResumeTarget(ctx, eng, x), "", runFlags, storeFlags))
	}
	return nil
}

// upRejectedFields returns the paths of the fields of x's request that up
// with opts rejects: env: and file: references that --allow-local-refs
// does not allow, and a CodeArtifact domain that --codeartifact-domains
// does not list. A teardown reads only the Snowflake credential and gets no
// CodeArtifact token (machineReadsRef).
func upRejectedFields(x engine.Execution, opts upOptions) []string {
	if x.Machine != provisionMachine && x.Machine != teardownMachine {
		return nil
	}
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err != nil {
		return nil
	}
	fields := slices.DeleteFunc(opts.localRefs.FieldErrors(doc.Request, ""), func(field request.FieldError) bool {
		return !machineReadsRef(x.Machine, field.Path)
	})
	if x.Machine == provisionMachine {
		fields = append(fields, opts.codeArtifactDomains.FieldErrors(doc.Request)...)
	}
	paths := make([]string, 0, len(fields))
	for _, field := range fields {
		paths = append(paths, field.Path)
	}
	return paths
}
