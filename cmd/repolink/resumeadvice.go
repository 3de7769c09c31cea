package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/engine"
	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/workflow"
)

// resumeAdvice returns how to resume the open execution x, which no
// process runs, as a clause that follows "To resume it, ". The command
// with the fewest conditions comes first: for a provision execution a run
// of the request file that started it, and for a teardown of the latest
// run 'repolink teardown PROVISIONED'. Then comes repolink up with the
// flags and environment that x's request needs (upResumeAdvice).
// requestFile is the request file that started x, or "" when it is not
// known. provisioned is the provision execution that 'repolink teardown'
// resumes a teardown x with (teardownResumeTarget), or "". runFlags are
// the flags of the suggested commands, such as " --sandbox --state-dir
// DIR", and storeFlags those of history, which takes no --sandbox.
func resumeAdvice(x engine.Execution, provisioned, requestFile, runFlags, storeFlags string) string {
	var advice []string
	switch {
	case x.Machine == provisionMachine && requestFile != "":
		advice = append(advice, fmt.Sprintf("run 'repolink run%s %s' again", runFlags, shellQuote(requestFile)))
	case x.Machine == provisionMachine:
		advice = append(advice, fmt.Sprintf("run 'repolink run%s FILE' with the request file that started it (its input is in 'repolink history%s %s')",
			runFlags, storeFlags, x.Name))
	case provisioned != "":
		advice = append(advice, fmt.Sprintf("run 'repolink teardown%s %s', which resumes it", runFlags, provisioned))
	}
	if up := upResumeAdvice(x, runFlags); up != "" {
		advice = append(advice, up)
	}
	if len(advice) == 0 {
		return fmt.Sprintf("no command resumes it with its request; see 'repolink history%s %s'", storeFlags, x.Name)
	}
	return strings.Join(advice, ", or ")
}

// upResumeAdvice returns the advice to start repolink up on the state
// directory so that it resumes x: the command with the --allow-local-refs
// and --codeartifact-domains that x's request needs, and the environment
// variables that up requires. It returns "" when no setting of up lets it
// run x, such as for a request with a relative file: reference.
func upResumeAdvice(x engine.Execution, runFlags string) string {
	flags := runFlags
	var doc workflow.Document
	if err := json.Unmarshal(x.Input, &doc); err == nil {
		needed, ok := upFlagsFor(doc.Request, x.Machine)
		if !ok {
			return ""
		}
		flags += needed
	}
	env := envWebhookSecret
	if !strings.HasPrefix(runFlags, " --sandbox") {
		env += " and " + envAPIToken
	}
	return fmt.Sprintf("start 'repolink up%s' on this state directory with %s set", flags, env)
}

// upFlagsFor returns the flags of repolink up that let it run the request
// req of an execution of machine, each with a leading space. It reports
// false when no value of them does. A teardown reads only the Snowflake
// credential (machineReadsRef) and gets no CodeArtifact token.
//
// NOTE: a reference to one of up's own secrets, which up never allows, is
// not detected here, because those secrets depend on how up is started.
func upFlagsFor(req request.Request, machine string) (string, bool) {
	var local []string
	for _, ref := range req.CredentialRefs() {
		if !secrets.IsLocal(ref.Ref) || slices.Contains(local, ref.Ref) {
			continue
		}
		if !machineReadsRef(machine, ref.Path) {
			continue
		}
		local = append(local, ref.Ref)
	}
	var flags string
	if len(local) > 0 {
		if _, err := secrets.ParseAllowList(local); err != nil {
			return "", false
		}
		flags += " --allow-local-refs " + shellQuote(strings.Join(local, ","))
	}
	if machine == provisionMachine && req.Repository.Auth.Type == request.AuthCodeArtifact {
		if repo, err := request.ParseCodeArtifactURL(req.Repository.IndexURL); err == nil {
			flags += " --codeartifact-domains " + workflow.CodeArtifactDomainARN(repo)
		}
	}
	return flags, true
}

// keptOpenAdvice returns the message for a command that stopped following
// the open execution x, which no process runs now: that x keeps its
// state, how to resume it (resumeAdvice), and how to follow or drop it.
func keptOpenAdvice(x engine.Execution, provisioned, requestFile, runFlags, storeFlags string) string {
	return fmt.Sprintf("execution %s keeps its state and stays open. To resume it, %s. Follow it with 'repolink status%s %s', or drop it with 'repolink stop%s %s'",
		x.Name, resumeAdvice(x, provisioned, requestFile, runFlags, storeFlags), storeFlags, x.Name, storeFlags, x.Name)
}
