package main

import (
	"fmt"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/workflow"
)

// servedDomains is the record of repolink up's --codeartifact-domains in
// its service lock file, with which run and redrive check a request of auth
// type codeartifact before they hand an execution to the service.
type servedDomains struct {
	// List is the value of --codeartifact-domains. An empty list allows
	// no domain.
	List string `json:"list"`
}

// domainsRecordPrefix starts the line of the service lock file that holds
// the servedDomains record as JSON.
const domainsRecordPrefix = "codeartifact-domains "

// line returns the record as a line of the service lock file.
func (r servedDomains) line() ([]byte, error) {
	return lockRecordLine(domainsRecordPrefix, "CodeArtifact domains", r)
}

// readServedDomains reads the record of the repolink up that serves dir
// from its service lock file. It reports false when there is none, such as
// while the service starts.
func readServedDomains(dir string) (servedDomains, bool) {
	var record servedDomains
	ok := readLockRecord(dir, domainsRecordPrefix, &record)
	return record, ok
}

// servedDomainErrors returns the error of $.repository.index_url when req is
// of auth type codeartifact and the repolink up serving dir does not list
// its domain, with fix as the change to make. The message is the one with
// which the service's steps fail. It returns none when the service has
// not recorded its list yet, and the steps check the domain then.
func servedDomainErrors(dir string, req request.Request, fix string) ([]request.FieldError, error) {
	record, ok := readServedDomains(dir)
	if !ok {
		return nil, nil
	}
	domains, err := workflow.ParseCodeArtifactDomains(record.List, fix)
	if err != nil {
		return nil, usagef("read the --codeartifact-domains of the repolink up that serves %s: %v", dir, err)
	}
	return domains.FieldErrors(req), nil
}

// checkServedDomains returns a usage error when req is of auth type
// codeartifact and the repolink up serving dir does not get tokens for its
// domain. The service's preflight would reject the request only after an
// execution had started and taken a run name.
func checkServedDomains(dir string, req request.Request) error {
	reason, err := servedDomainsRejection(dir, req)
	if err != nil || reason == "" {
		return err
	}
	return usagef("%s\nnothing was created", reason)
}

// servedDomainsRejection returns why the repolink up serving dir rejects
// the CodeArtifact domain of req, or "" when it does not. Plan reports the
// reason as the one that run would give.
func servedDomainsRejection(dir string, req request.Request) (string, error) {
	fields, err := servedDomainErrors(dir, req, codeArtifactDomainsFix)
	if err != nil || len(fields) == 0 {
		return "", err
	}
	return fmt.Sprintf("the repolink up that serves %s rejects the CodeArtifact domain of the request:%s",
		dir, formatFieldErrors(fields)), nil
}

// servedExecutionDomainsFix is the change that lets redrive hand an
// execution whose CodeArtifact domain is not listed to repolink up.
// Changing the request file does not help, because a redrive runs the
// request stored in the execution's input. Without repolink up, redrive
// runs the steps itself, and they get the token with its AWS credentials
// for any domain.
const servedExecutionDomainsFix = codeArtifactDomainsFix +
	", or stop repolink up and run this command again, so that it gets the token with its own AWS credentials"

// checkServedExecutionDomains is checkServedDomains for the request req of
// the provision execution name, which redrive hands to the repolink up
// serving dir. A teardown gets no token, so other machines pass.
func checkServedExecutionDomains(dir, name, machine string, req request.Request) error {
	if machine != provisionMachine {
		return nil
	}
	fields, err := servedDomainErrors(dir, req, servedExecutionDomainsFix)
	if err != nil || len(fields) == 0 {
		return err
	}
	return usagef("the repolink up that serves %s rejects the CodeArtifact domain of the request of execution %s:%s\nnothing was started",
		dir, name, formatFieldErrors(fields))
}
