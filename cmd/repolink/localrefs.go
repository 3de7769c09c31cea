package main

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/repolink/repolink/shared/request"
	"github.com/repolink/repolink/shared/secrets"
	"github.com/repolink/repolink/shared/snowflake"
)

// checkLocalCredentials resolves the env: and file: credential references
// of a request, which this process reads itself when it runs the steps,
// and returns a usage error that names each one that does not resolve.
// Commands that the operator runs with a request file call it before they
// create anything, and read every such reference. References to cloud
// secret stores are left to the steps, because reading them needs the
// clouds.
func checkLocalCredentials(ctx context.Context, req request.Request) error {
	return checkLocalCredentialsAt(ctx, req, "$")
}

// checkLocalCredentialsAt is checkLocalCredentials for a request at the
// JSON path root of its document, such as $.request in the input of a
// step, which the paths of the fields start with.
func checkLocalCredentialsAt(ctx context.Context, req request.Request, root string) error {
	return checkMachineCredentials(ctx, req, root, provisionMachine)
}

// Closing lines of a usage error that a command returns before it starts
// an execution, saying what the command left unchanged.
const (
	nothingCreated = "nothing was created"
	nothingDeleted = "nothing was deleted or started"
)

// nothingChanged returns the closing line of a usage error that a command
// running an execution of machine returns before the execution starts.
func nothingChanged(machine string) string {
	if machine == teardownMachine {
		return nothingDeleted
	}
	return nothingCreated
}

// checkMachineCredentials is checkLocalCredentialsAt for an execution of
// machine. It reads only the references that the steps of machine read
// (machineReadsRef), so a teardown never needs the repository credential.
func checkMachineCredentials(ctx context.Context, req request.Request, root, machine string) error {
	resolver := secrets.NewResolver()
	var problems strings.Builder
	values := map[string]string{}
	for _, field := range req.CredentialRefs() {
		if !machineReadsRef(machine, field.Path) {
			continue
		}
		var fix string
		switch {
		case strings.HasPrefix(field.Ref, "env:"):
			fix = "set the environment variable to the credential, or fix the reference"
		case strings.HasPrefix(field.Ref, "file:"):
			fix = "create the file with the credential, or fix the reference"
		default:
			continue
		}
		value, err := resolver.Resolve(ctx, field.Ref)
		var invalid *secrets.InvalidValueError
		if errors.As(err, &invalid) {
			// The error already names the change to make.
			fmt.Fprintf(&problems, "\n  %s: %v", root+strings.TrimPrefix(field.Path, "$"), err)
			continue
		}
		if err != nil {
			fmt.Fprintf(&problems, "\n  %s: %v; %s", root+strings.TrimPrefix(field.Path, "$"), err, fix)
			continue
		}
		values[field.Path] = value
	}
	if err := checkPrivateKey(req, values); err != nil {
		fmt.Fprintf(&problems, "\n  %s.snowflake.private_key_ref: %v; point it at the user's RSA private key in PEM", root, err)
	}
	if problems.Len() == 0 {
		return nil
	}
	return usagef("a credential of the request cannot be read or used:%s\n%s", problems.String(), nothingChanged(machine))
}

// checkPrivateKey parses the Snowflake private key when this process has
// read it, with the passphrase when it has read that too. A key encrypted
// under a passphrase kept in a cloud secret store is left to the steps.
// Errors never contain key material.
func checkPrivateKey(req request.Request, values map[string]string) error {
	key, ok := values["$.snowflake.private_key_ref"]
	if !ok {
		return nil
	}
	passphrase, known := values["$.snowflake.private_key_passphrase_ref"]
	if !known && req.Snowflake.PrivateKeyPassphraseRef != "" {
		if block, _ := pem.Decode([]byte(key)); block != nil && block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil
		}
	}
	_, err := snowflake.ParsePrivateKey([]byte(key), []byte(passphrase))
	return err
}

// localRefFix is the change that the sender of a request with a rejected
// env: or file: reference should make.
const localRefFix = "use an aws-secretsmanager:, azure-keyvault: or gcp-secretmanager: reference, " +
	"or ask the operator to add the reference to repolink up --allow-local-refs"

// parseLocalRefs parses the comma-separated entries of --allow-local-refs.
func parseLocalRefs(list string) (secrets.AllowList, error) {
	allow, err := secrets.ParseAllowList(strings.Split(list, ","))
	if err != nil {
		return allow, usagef("--allow-local-refs: %v; list env:NAME or file:/ABSOLUTE/PATH references, or prefixes of them followed by *", err)
	}
	return allow, nil
}

// denyServiceSecrets returns allow with the service's own secrets, the
// references own, added as secrets that no request may read, in any
// spelling and in any store (secrets.AllowList.WithOwnSecrets). A request
// that reads one could copy it into a Snowflake secret or send it to its
// index. It returns a usage error when allow lists one of the env: and
// file: ones, so that the operator narrows the list. A relative file:
// reference of the service is made absolute against the working directory,
// where the service reads it, and Allows compares the real file.
func denyServiceSecrets(allow secrets.AllowList, own []string) (secrets.AllowList, error) {
	for _, ref := range own {
		if ref == "" || !secrets.IsLocal(ref) {
			continue
		}
		checked := ref
		if path, ok := strings.CutPrefix(ref, "file:"); ok {
			abs, err := filepath.Abs(path)
			if err != nil {
				return allow, usagef("make the path of %s absolute: %v", ref, err)
			}
			checked = "file:" + abs
		}
		if allow.Allows(checked) {
			return allow, usagef("--allow-local-refs allows %s, a secret of repolink up itself; list narrower references so that requests cannot read it", ref)
		}
	}
	denied, err := allow.WithOwnSecrets(own)
	if err != nil {
		return allow, usagef("%v", err)
	}
	return denied, nil
}

// servedLocalRefs is the record of repolink up's --allow-local-refs in
// its service lock file, with which run checks a request before it hands
// the execution to the service.
type servedLocalRefs struct {
	// Allow is the value of --allow-local-refs.
	Allow string `json:"allow"`
	// Own are the references to the service's own secrets, with the paths
	// of file: references made absolute.
	Own []string `json:"own"`
	// StoreRefs is the value of --allow-secret-refs.
	StoreRefs string `json:"store_refs,omitempty"`
	// Snowflake are the Snowflake credential references of the mapping
	// files, which requests may name only in $.snowflake.
	Snowflake []string `json:"snowflake,omitempty"`
}

// localRefsRecordPrefix starts the line of the service lock file that
// holds the servedLocalRefs record as JSON.
const localRefsRecordPrefix = "local-refs "

// newServedLocalRefs returns the record of the list and the service's own
// secrets own, resolving relative file: references against the working
// directory, where the service reads them.
func newServedLocalRefs(list string, own []string) (servedLocalRefs, error) {
	record := servedLocalRefs{Allow: list}
	for _, ref := range own {
		if ref == "" {
			continue
		}
		if path, ok := strings.CutPrefix(ref, "file:"); ok {
			abs, err := filepath.Abs(path)
			if err != nil {
				return record, fmt.Errorf("make the path of %s absolute: %w", ref, err)
			}
			ref = "file:" + abs
		}
		record.Own = append(record.Own, ref)
	}
	return record, nil
}

// line returns the record as a line of the service lock file.
func (r servedLocalRefs) line() ([]byte, error) {
	return lockRecordLine(localRefsRecordPrefix, "allowed local references", r)
}

// readServedLocalRefs reads the record of the repolink up that serves dir
// from its service lock file. It reports false when there is none, such as
// while the service starts.
func readServedLocalRefs(dir string) (servedLocalRefs, bool) {
	var record servedLocalRefs
	ok := readLockRecord(dir, localRefsRecordPrefix, &record)
	return record, ok
}

// servedLocalRefsFix is the change that lets run hand a request with a
// rejected env: or file: reference to repolink up.
const servedLocalRefsFix = "use an aws-secretsmanager:, azure-keyvault: or gcp-secretmanager: reference, " +
	"or restart repolink up with the reference in --allow-local-refs"

// checkServedLocalRefs returns a usage error naming each credential
// reference of req that the repolink up serving dir rejects: an env: or
// file: reference that its --allow-local-refs does not allow, or one that
// names a secret of the service itself. The service's steps would reject
// it only after an execution had started. It checks nothing when the
// service has not recorded its list yet, and the steps reject such a
// reference then.
func checkServedLocalRefs(dir string, req request.Request) error {
	reason, err := servedLocalRefsRejection(dir, req)
	if err != nil || reason == "" {
		return err
	}
	return usagef("%s\nnothing was created", reason)
}

// servedLocalRefsRejection returns why the repolink up serving dir rejects
// a credential reference of req, or "" when it rejects none. Plan reports
// the reason as the one that run would give.
func servedLocalRefsRejection(dir string, req request.Request) (string, error) {
	fields, err := servedLocalRefErrors(dir, req, servedLocalRefsFix)
	if err != nil || len(fields) == 0 {
		return "", err
	}
	return fmt.Sprintf("the repolink up that serves %s rejects a credential reference of the request:%s",
		dir, formatFieldErrors(fields)), nil
}

// servedExecutionRefsFix is the change that lets redrive or teardown hand
// an execution whose request has a rejected env: or file: reference to
// repolink up. Changing the request file does not help, because both
// commands run the request stored in the execution's input.
const servedExecutionRefsFix = "restart repolink up with the reference in --allow-local-refs, " +
	"or stop repolink up and run this command again, so that it runs the steps and reads the reference itself"

// checkServedExecutionRefs is checkServedLocalRefs for the request req of
// execution name of machine, which redrive and teardown hand to the
// repolink up serving dir. It rejects the references that the service's
// steps would reject only after the redrive or the teardown had started.
// For the teardown machine it checks only the Snowflake credential, because
// teardown_snowflake logs in with it and no teardown step reads the
// repository credential.
func checkServedExecutionRefs(dir, name, machine string, req request.Request) error {
	fields, err := servedLocalRefErrors(dir, req, servedExecutionRefsFix)
	if err != nil {
		return err
	}
	fields = slices.DeleteFunc(fields, func(field request.FieldError) bool { return !machineReadsRef(machine, field.Path) })
	if len(fields) == 0 {
		return nil
	}
	closing := "nothing was started"
	if machine == teardownMachine {
		closing = nothingDeleted
	}
	return usagef("the repolink up that serves %s rejects a credential reference of the request of execution %s:%s\n%s",
		dir, name, formatFieldErrors(fields), closing)
}

// machineReadsRef reports whether the steps of an execution of machine
// read the credential reference at path in its request. A teardown reads
// only the Snowflake credential, because teardown_snowflake logs in with it
// and no teardown step reads the repository credential.
func machineReadsRef(machine, path string) bool {
	return machine != teardownMachine || strings.HasPrefix(path, "$.snowflake.")
}

// servedLocalRefErrors returns an error for each credential reference of
// req that the repolink up serving dir rejects, each message ending in
// fix. It returns none when the service has not recorded its list yet.
func servedLocalRefErrors(dir string, req request.Request, fix string) ([]request.FieldError, error) {
	record, ok := readServedLocalRefs(dir)
	if !ok {
		return nil, nil
	}
	allow, err := secrets.ParseAllowList(strings.Split(record.Allow, ","))
	if err == nil {
		allow, err = allow.WithOwnSecrets(record.Own)
	}
	if err != nil {
		return nil, usagef("read the --allow-local-refs of the repolink up that serves %s: %v", dir, err)
	}
	allow, err = allow.WithStoreRefs(strings.Split(record.StoreRefs, ","), servedStoreRefsFix)
	if err != nil {
		return nil, usagef("read the --allow-secret-refs of the repolink up that serves %s: %v", dir, err)
	}
	return allow.WithSnowflakeSecrets(record.Snowflake).FieldErrors(req, fix), nil
}

// formatFieldErrors returns one indented "PATH: MESSAGE" line for each
// field error, each starting with a newline.
func formatFieldErrors(fields []request.FieldError) string {
	var lines strings.Builder
	for _, field := range fields {
		fmt.Fprintf(&lines, "\n  %s: %s", field.Path, field.Message)
	}
	return lines.String()
}
