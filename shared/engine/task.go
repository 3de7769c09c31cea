package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// schedule evaluates a Task state's parameters and makes the task due to
// run: on entry, and again after each retry delay. input is the decoded
// state input, which schedule does not change.
func (t *txn) schedule(c *cursor, s *state, input any) error {
	effective, err := t.inputPath(c, s, input)
	if err != nil {
		return t.fail(c, s, err)
	}
	c.Token = ""
	if s.Resource == resourceLambdaToken {
		c.Token = newTaskToken()
	}
	if s.Parameters != nil {
		if effective, err = s.Parameters.eval(effective, t.templateContext(c, s, s.Parameters)); err != nil {
			return t.fail(c, s, err)
		}
	}
	c.Effective, err = encodeJSON(effective)
	if err != nil {
		return t.fail(c, s, newStateError(ErrorRuntime, "%v", err))
	}
	if err := checkSize(c.Effective, "parameters of state "+s.Name); err != nil {
		return t.fail(c, s, err)
	}
	timeout, err := secondsField(s.TimeoutSeconds, s.TimeoutSecondsPath, "TimeoutSecondsPath",
		t.pathDocument(s.TimeoutSecondsPath, c, s, input))
	if err != nil {
		return t.fail(c, s, err)
	}
	heartbeat, err := secondsField(s.HeartbeatSeconds, s.HeartbeatSecondsPath, "HeartbeatSecondsPath",
		t.pathDocument(s.HeartbeatSecondsPath, c, s, input))
	if err != nil {
		return t.fail(c, s, err)
	}
	c.TaskDeadline = 0
	if timeout > 0 {
		c.TaskDeadline = t.now.Add(time.Duration(timeout) * time.Second).UnixNano()
	}
	c.HeartbeatSeconds = heartbeat

	details := map[string]any{
		"resourceType": "lambda",
		"resource":     resourceLabel(s.Resource),
		"region":       t.e.region,
		"parameters":   raw(historyParameters(s, effective, c.Effective)),
	}
	if timeout > 0 {
		details["timeoutInSeconds"] = timeout
	}
	if heartbeat > 0 {
		details["heartbeatInSeconds"] = heartbeat
	}
	if err := t.emitTask("TaskScheduled", s, details); err != nil {
		return err
	}
	if c.Token != "" {
		_, err := t.tx.ExecContext(t.ctx, `INSERT INTO tokens (token, cursor, execution, status, heartbeat_at)
			VALUES (?, ?, ?, 'pending', ?)`, c.Token, c.ID, t.exec.Name, t.now.UnixNano())
		if err != nil {
			return fmt.Errorf("store task token: %w", err)
		}
	}
	c.Phase = phaseTask
	zero := int64(0)
	c.DueAt = &zero
	return t.saveCursor(c)
}

// pathDocument returns the document that a reference path such as
// ItemsPath or SecondsPath reads: the context object for a path that
// starts with $$, and input for any other.
func (t *txn) pathDocument(path *Path, c *cursor, s *state, input any) any {
	if path != nil && path.IsContext() {
		return t.contextObject(c, s)
	}
	return input
}

// secondsField reads TimeoutSeconds or HeartbeatSeconds, or their Path
// form, which must point to a positive integer in doc.
func secondsField(fixed int, path *Path, field string, doc any) (int, error) {
	if path == nil {
		return fixed, nil
	}
	v, err := path.Get(doc)
	n, ok := integerArg(v)
	if err != nil || !ok || n <= 0 {
		return 0, newStateError(ErrorRuntime, "%s %s must point to a positive integer", field, path)
	}
	return n, nil
}

// resourceLabel is the resource as the history shows it: the pattern of
// a Lambda integration (invoke or invoke.waitForTaskToken), or the
// function name of a ${name} placeholder. Step Functions fills such a
// placeholder from DefinitionSubstitutions when the state machine is
// deployed, so its history never shows one.
func resourceLabel(resource string) string {
	if rest, ok := strings.CutPrefix(resource, "arn:aws:states:::lambda:"); ok {
		return rest
	}
	return unwrapPlaceholder(resource)
}

// historyParameters returns the parameters of a task as the history shows
// them: those of a Lambda integration with a ${name} placeholder in
// FunctionName get the function name in its place, as resourceLabel does
// for the resource. encoded is effective as JSON.
func historyParameters(s *state, effective any, encoded json.RawMessage) json.RawMessage {
	if s.Resource != resourceLambdaInvoke && s.Resource != resourceLambdaToken {
		return encoded
	}
	params, ok := effective.(*jsonObject)
	if !ok {
		return encoded
	}
	name, ok := params.Value("FunctionName").(string)
	if !ok || unwrapPlaceholder(name) == name {
		return encoded
	}
	withName := params.Clone()
	withName.Set("FunctionName", unwrapPlaceholder(name))
	out, err := encodeJSON(withName)
	if err != nil {
		return encoded
	}
	return out
}

// unwrapPlaceholder returns the name inside a ${name} placeholder, and any
// other text unchanged.
func unwrapPlaceholder(text string) string {
	trimmed := strings.TrimSpace(text)
	if strings.HasPrefix(trimmed, "${") && strings.HasSuffix(trimmed, "}") {
		return trimmed[2 : len(trimmed)-1]
	}
	return text
}

// newTaskToken returns a random, URL-safe task token. It starts with a
// letter, so that a command line never reads it as a flag.
func newTaskToken() string {
	var b [48]byte
	_, _ = rand.Read(b[:])
	return "T" + base64.RawURLEncoding.EncodeToString(b[:])
}

// WellFormedTaskToken reports whether token has the form of a task token
// of the engine: 64 URL-safe base64 characters, after the letter T that
// newTaskToken puts first. Tokens from versions before the T prefix have
// no T, and they stay well-formed so that their tasks can still complete.
func WellFormedTaskToken(token string) bool {
	size := base64.RawURLEncoding.EncodedLen(48)
	body := token
	if len(token) == size+1 && token[0] == 'T' {
		// An older token may itself start with T, so only a token one
		// character longer than the body has the prefix.
		body = token[1:]
	}
	if len(body) != size {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(body)
	return err == nil
}

func (t *txn) startTask(c *cursor, s *state) error {
	details := map[string]any{"resourceType": "lambda", "resource": resourceLabel(s.Resource)}
	if err := t.emitTask("TaskStarted", s, details); err != nil {
		return err
	}
	if c.Token != "" {
		// The heartbeat interval starts when the task starts.
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE tokens SET heartbeat_at = ? WHERE token = ?`,
			t.now.UnixNano(), c.Token); err != nil {
			return fmt.Errorf("start heartbeat of task token: %w", err)
		}
	}
	return t.saveCursor(c)
}

// taskDone records the outcome of a task function.
func (t *txn) taskDone(c *cursor, s *state, output json.RawMessage, callErr error) error {
	details := map[string]any{"resourceType": "lambda", "resource": resourceLabel(s.Resource)}
	if callErr != nil {
		return t.taskFailed(c, s, asStateError(callErr))
	}

	result, err := decodeJSON(output)
	if err != nil {
		return t.taskFailed(c, s, newStateError(ErrorTaskFailed, "the task returned invalid JSON: %v", err))
	}
	if s.Resource == resourceLambdaInvoke || s.Resource == resourceLambdaToken {
		result = objectOf("Payload", result, "StatusCode", json.Number("200"))
	}
	encoded, err := encodeJSON(result)
	if err != nil {
		return t.taskFailed(c, s, newStateError(ErrorTaskFailed, "%v", err))
	}
	if err := checkSize(encoded, "result of state "+s.Name); err != nil {
		return t.taskFailed(c, s, asStateError(err))
	}

	details["output"] = raw(encoded)
	if c.Token != "" {
		if err := t.emit("TaskSubmitted", s.Name, details); err != nil {
			return err
		}
		c.Phase = phaseToken
		zero := int64(0)
		c.DueAt = &zero
		return t.saveCursor(c)
	}
	if err := t.emitTask("TaskSucceeded", s, details); err != nil {
		return err
	}
	return t.result(c, s, result)
}

func (t *txn) taskFailed(c *cursor, s *state, se *stateError) error {
	se = se.limited()
	typ := "TaskFailed"
	if se.Name == ErrorTimeout || se.Name == ErrorHeartbeatTimeout {
		typ = "TaskTimedOut"
	}
	details := map[string]any{
		"resourceType": "lambda",
		"resource":     resourceLabel(s.Resource),
		"error":        se.Name,
		"cause":        se.Cause,
	}
	if err := t.emitTask(typ, s, details); err != nil {
		return err
	}
	if c.Token != "" {
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE tokens SET status = 'closed'
			WHERE token = ? AND status = 'pending'`, c.Token); err != nil {
			return fmt.Errorf("close task token: %w", err)
		}
	}
	return t.fail(c, s, se)
}

// checkToken applies the outcome that SendTaskSuccess or SendTaskFailure
// stored for the task token, or fails the task when its timeout or
// heartbeat timeout has passed.
func (t *txn) checkToken(c *cursor, s *state) error {
	var status, errName, cause string
	var output sql.NullString
	var heartbeatAt int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT status, output, error, cause, heartbeat_at FROM tokens
		WHERE token = ?`, c.Token).Scan(&status, &output, &errName, &cause, &heartbeatAt)
	if errors.Is(err, sql.ErrNoRows) {
		return t.taskFailed(c, s, newStateError(ErrorRuntime, "the task token of state %q was lost", s.Name))
	}
	if err != nil {
		return fmt.Errorf("read task token: %w", err)
	}
	switch status {
	case tokenSucceeded:
		result, err := decodeJSON([]byte(output.String))
		if err != nil {
			return t.taskFailed(c, s, newStateError(ErrorTaskFailed, "invalid task output: %v", err))
		}
		details := map[string]any{"resourceType": "lambda", "resource": resourceLabel(s.Resource), "output": raw([]byte(output.String))}
		if err := t.emitTask("TaskSucceeded", s, details); err != nil {
			return err
		}
		return t.result(c, s, result)
	case tokenFailed:
		return t.taskFailed(c, s, &stateError{Name: errName, Cause: cause})
	case tokenClosed:
		c.DueAt = nil
		return t.saveCursor(c)
	}

	now := t.now.UnixNano()
	if c.TaskDeadline > 0 && now >= c.TaskDeadline {
		return t.taskFailed(c, s, newStateError(ErrorTimeout, "the task did not complete within its timeout"))
	}
	var heartbeatDeadline int64
	if c.HeartbeatSeconds > 0 {
		heartbeatDeadline = heartbeatAt + int64(c.HeartbeatSeconds)*int64(time.Second)
		if now >= heartbeatDeadline {
			return t.taskFailed(c, s, newStateError(ErrorHeartbeatTimeout,
				"no heartbeat within %d seconds", c.HeartbeatSeconds))
		}
	}
	c.DueAt = nil
	for _, d := range []int64{c.TaskDeadline, heartbeatDeadline} {
		if d > 0 && (c.DueAt == nil || d < *c.DueAt) {
			c.DueAt = &d
		}
	}
	return t.saveCursor(c)
}

// callTask resolves the function of a task and runs it with the task's
// timeout.
func (e *Engine) callTask(ctx context.Context, c *cursor, s *state) (json.RawMessage, error) {
	fn, payload, err := e.resolveTask(s, c.Effective)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.mu.Lock()
	e.running[c.ID] = cancel
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.running, c.ID)
		e.mu.Unlock()
	}()

	type outcome struct {
		output json.RawMessage
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{err: newStateError(ErrorTaskFailed, "the task function panicked: %v", r)}
			}
		}()
		out, err := fn(ctx, payload)
		done <- outcome{out, err}
	}()

	var timeout <-chan time.Time
	if c.TaskDeadline > 0 {
		timer := e.clock.NewTimer(time.Duration(c.TaskDeadline - e.clock.Now().UnixNano()))
		defer timer.Stop()
		timeout = timer.C()
	}
	select {
	case r := <-done:
		return r.output, r.err
	case <-timeout:
		return nil, newStateError(ErrorTimeout, "the task did not complete within its timeout")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// resolveTask finds the registered function and the payload for a task.
func (e *Engine) resolveTask(s *state, effective json.RawMessage) (TaskFunc, json.RawMessage, error) {
	name := s.Resource
	payload := effective
	if s.Resource == resourceLambdaInvoke || s.Resource == resourceLambdaToken {
		params, err := decodeJSON(effective)
		obj, ok := params.(*jsonObject)
		if err != nil || !ok {
			return nil, nil, newStateError(ErrorRuntime, "the parameters of %s must be an object", s.Resource)
		}
		name, _ = obj.Value("FunctionName").(string)
		payload = json.RawMessage("{}")
		if p, ok := obj.Get("Payload"); ok {
			if payload, err = encodeJSON(p); err != nil {
				return nil, nil, newStateError(ErrorRuntime, "%v", err)
			}
		}
	}
	fnName := functionName(name)
	fn, ok := e.task(fnName)
	if !ok {
		return nil, nil, newStateError(ErrorRuntime,
			"no task function is registered for resource %q: register %q before running", name, fnName)
	}
	return fn, payload, nil
}

// functionName strips ${...} around a name and reduces a Lambda function
// ARN to its function name.
func functionName(resource string) string {
	name := unwrapPlaceholder(strings.TrimSpace(resource))
	if _, rest, ok := strings.Cut(name, ":function:"); ok {
		name, _, _ = strings.Cut(rest, ":")
	}
	return name
}
