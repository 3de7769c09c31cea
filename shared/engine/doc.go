// Package engine runs Amazon States Language state machines (JSONPath query
// language) the way AWS Step Functions runs Standard workflows, on one
// machine. Executions, history, timers and task tokens live in SQLite. The
// transitions of many executions commit together in one transaction, a
// task function runs only after its TaskStarted event committed, and its
// outcome commits before anything that follows it, so a restarted process
// resumes each open execution where the last one stopped.
//
// The engine implements ASL only and imports no step code. A Task state calls a function registered with
// Register, in one of three forms:
//
//   - "Resource": "${name}" or "name" passes the effective input to the
//     function and uses its output as the result, like a Lambda ARN.
//   - "arn:aws:states:::lambda:invoke" with Parameters FunctionName and
//     Payload passes Payload and wraps the output as
//     {"Payload": ..., "StatusCode": 200}.
//   - "arn:aws:states:::lambda:invoke.waitForTaskToken" runs the function
//     with a Payload that carries $$.Task.Token, then waits for
//     SendTaskSuccess, SendTaskFailure, TimeoutSeconds or HeartbeatSeconds.
//
// History events show a ${name} placeholder, in Resource or in
// FunctionName, as the function name, because Step Functions fills it from
// DefinitionSubstitutions before an execution starts.
//
// Supported: the Task, Pass, Choice, Wait, Succeed, Fail, Parallel and
// inline Map states; InputPath, Parameters, ResultSelector, ResultPath and
// OutputPath; the context object; the 18 States.* intrinsic functions; Retry
// and Catch; state machine TimeoutSeconds; the 256 KiB payload limit and
// the 25,000 event history limit; redrive. A DISTRIBUTED Map state over an
// ItemsPath array runs its iterations like an inline one, in the history of
// its execution, and applies ToleratedFailureCount and
// ToleratedFailurePercentage (and their Path forms).
//
// JSON objects keep the key order of their document, as in Step Functions.
// A state's output keeps the order of its input, and Parameters and other
// templates keep their written order. [*], .*, .., filters and
// States.Format list an object's members in that order. Path.Get also reads
// values that encoding/json decoded into maps, and lists a map's members in
// sorted key order, because a map keeps no document order.
//
// Choice string operators (StringLessThan, StringGreaterThan, their Equals
// and Path forms) and filter comparisons order strings by UTF-16 code units,
// as Java's String.compareTo does. Jayway JsonPath, the JSONPath library of
// Step Functions, compares this way. The Choice operators are assumed to
// match it, because Step Functions runs on Java. The order differs from Go's
// byte order only where a character above U+FFFF meets one in
// U+E000..U+FFFF.
//
// In a filter, an operand that selects nothing equals no value, not even
// null, as in Jayway JsonPath. So [?(@.x != 1)] matches an item without x,
// while ==, <, <=, > and >= do not.
//
// States.Format writes a string argument as it is, a number, boolean or
// null as its JSON text, and an object or array as Java's Map.toString and
// List.toString do, such as {a=1, b=[x, y]}.
//
// Not supported: the JSONata query language, variables (Assign), the
// Distributed Map fields ItemReader, ItemBatcher and ResultWriter, child
// executions of a Distributed Map, other service integrations, and the
// .sync integration pattern.
//
// A cursor is one thread of control in an execution: its top-level states,
// one Parallel branch or one Map iteration. Run picks cursors that are due
// from the store, so a timer, a retry delay or a task token completed by
// another process is just a cursor whose due time has come.
package engine
