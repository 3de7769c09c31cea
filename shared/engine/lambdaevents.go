package engine

import "strings"

// lambdaFunctionEvents maps each Task event type to the LambdaFunction
// event type of the same step. A Task state whose Resource is a Lambda
// function ARN records LambdaFunction events, as Step Functions does (API
// reference, HistoryEvent). Every other Task, the lambda:invoke
// integration and a ${name} placeholder included, records Task events.
var lambdaFunctionEvents = map[string]string{
	"TaskScheduled": "LambdaFunctionScheduled",
	"TaskStarted":   "LambdaFunctionStarted",
	"TaskSucceeded": "LambdaFunctionSucceeded",
	"TaskFailed":    "LambdaFunctionFailed",
	"TaskTimedOut":  "LambdaFunctionTimedOut",
}

// taskEventTypes maps each LambdaFunction event type to the Task event
// type of the same step.
var taskEventTypes = map[string]string{
	"LambdaFunctionScheduled":   "TaskScheduled",
	"LambdaFunctionStarted":     "TaskStarted",
	"LambdaFunctionSucceeded":   "TaskSucceeded",
	"LambdaFunctionFailed":      "TaskFailed",
	"LambdaFunctionTimedOut":    "TaskTimedOut",
	"LambdaFunctionStartFailed": "TaskStartFailed",
}

// TaskEventType returns the Task event type of the same step as typ:
// TaskScheduled for LambdaFunctionScheduled, TaskFailed for
// LambdaFunctionFailed, and so on. It returns any other type unchanged,
// so a reader of task events can handle both forms, and the histories of
// Step Functions, in one switch.
func TaskEventType(typ string) string {
	if task, ok := taskEventTypes[typ]; ok {
		return task
	}
	return typ
}

// isLambdaFunctionARN reports whether resource is the ARN of a Lambda
// function, with or without a version or alias:
// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER].
func isLambdaFunctionARN(resource string) bool {
	// The fields are read without strings.Split, which would allocate for
	// every task event.
	var parts [8]string
	n := 0
	for rest := resource; ; {
		if n == len(parts) {
			return false
		}
		part, tail, found := strings.Cut(rest, ":")
		parts[n] = part
		n++
		if !found {
			break
		}
		rest = tail
	}
	if n != 7 && n != 8 {
		return false
	}
	return parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" && parts[6] != ""
}

// emitTask appends the event of a task step. typ is the Task event type,
// and taskDetails its details. For a Lambda function ARN the event is the
// LambdaFunction type of that step instead, with the details of that type.
//
// NOTE: Step Functions also records LambdaFunctionScheduleFailed and
// LambdaFunctionStartFailed. The engine records neither, because the API
// reference gives only their error and cause fields and not the failures
// that produce them. So a task whose function is not registered fails with
// States.Runtime in a LambdaFunctionFailed event after LambdaFunctionStarted.
// A Parameters or TimeoutSecondsPath that fails to evaluate records no
// task event, as a recording of Step Functions shows for the
// TimeoutSecondsPath of an aws-sdk Task.
func (t *txn) emitTask(typ string, s *state, taskDetails map[string]any) error {
	lambdaType, ok := lambdaFunctionEvents[typ]
	if !ok || !isLambdaFunctionARN(s.Resource) {
		return t.emit(typ, s.Name, taskDetails)
	}
	return t.emit(lambdaType, s.Name, lambdaFunctionDetails(typ, s, taskDetails))
}

// lambdaFunctionDetails converts the details of a Task event of type typ
// into the details of the matching LambdaFunction event, which has fewer
// fields. LambdaFunctionScheduled has resource, input and
// timeoutInSeconds, LambdaFunctionStarted has none, LambdaFunctionSucceeded
// has output, and the failed and timed out events have error and cause.
func lambdaFunctionDetails(typ string, s *state, taskDetails map[string]any) map[string]any {
	details := make(map[string]any, 3)
	switch typ {
	case "TaskScheduled":
		details["resource"] = s.Resource
		copyDetail(details, "input", taskDetails, "parameters")
		copyDetail(details, "timeoutInSeconds", taskDetails, "timeoutInSeconds")
	case "TaskSucceeded":
		copyDetail(details, "output", taskDetails, "output")
	case "TaskFailed", "TaskTimedOut":
		copyDetail(details, "error", taskDetails, "error")
		copyDetail(details, "cause", taskDetails, "cause")
	}
	return details
}

// copyDetail sets details[to] to from[fromKey] when from has that key.
func copyDetail(details map[string]any, to string, from map[string]any, fromKey string) {
	if v, ok := from[fromKey]; ok {
		details[to] = v
	}
}
