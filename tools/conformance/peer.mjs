// Runs one conformance case on aws-local-stepfunctions. The case format is
// described in shared/engine/conformance_test.go.
//
// aws-local-stepfunctions replaces a Task state by a local function keyed
// by state name, so every Task state gets a function that resolves the
// state's Resource to a function name, as the embedded engine does, and
// plays that name's script. Wait states and retry delays take 0 ms unless
// the case sets peerWaitMilliseconds, where -1 keeps the state's own
// duration.

// Names that the cases see in the context object, as in the Go test.
const region = 'us-east-1';
const account = '123456789012';
const machine = 'conformance';
const defaultExecution = 'conformance-run';

const lambdaInvoke = 'arn:aws:states:::lambda:invoke';

// caseTimeoutMs bounds one execution, so that a case that never ends
// fails instead of hanging the run.
const caseTimeoutMs = 30_000;

// functionName strips ${...} around a name and reduces a Lambda function
// ARN to its function name.
export function functionName(resource) {
  let name = resource.trim();
  if (name.startsWith('${') && name.endsWith('}')) {
    name = name.slice(2, -1);
  }
  const i = name.indexOf(':function:');
  if (i >= 0) {
    name = name.slice(i + ':function:'.length).split(':')[0];
  }
  return name;
}

// collectStates collects the Task, Wait and retrying states of a definition
// and of its Parallel branches and Map processors, by name.
function collectStates(definition, found = { tasks: new Map(), waits: [], retrying: [] }) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (state.Type === 'Task') {
      const seen = found.tasks.get(name);
      if (seen !== undefined && seen !== state.Resource) {
        throw new Error(`two Task states named ${name} have different resources, which the peer cannot tell apart`);
      }
      found.tasks.set(name, state.Resource);
    }
    if (state.Type === 'Wait') {
      found.waits.push(name);
    }
    if (state.Retry) {
      found.retrying.push(name);
    }
    for (const branch of state.Branches ?? []) {
      collectStates(branch, found);
    }
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) {
      collectStates(processor, found);
    }
  }
  return found;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// scriptedError is the error a Task reports: its name is the ASL error
// name and its message the cause, as aws-local-stepfunctions reads them.
function scriptedError(name, cause) {
  const err = new Error(cause ?? '');
  err.name = name;
  return err;
}

class Scripts {
  constructor(tasks) {
    this.scripts = new Map(Object.entries(tasks ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    this.calls = new Map();
  }

  async call(name, input) {
    const script = this.scripts.get(name);
    const n = this.calls.get(name) ?? 0;
    this.calls.set(name, n + 1);
    if (!script || script.length === 0) {
      throw scriptedError('ScriptMissing', `the case has no script for ${name}`);
    }
    const outcome = script[Math.min(n, script.length - 1)];
    if (outcome.callback) {
      throw scriptedError('CallbackUnsupported', 'aws-local-stepfunctions has no task tokens');
    }
    if (outcome.seconds) {
      await sleep(outcome.seconds * 1000);
    }
    if (outcome.error) {
      throw scriptedError(outcome.error, outcome.cause);
    }
    if (outcome.echo) {
      return input;
    }
    return outcome.output === undefined ? null : outcome.output;
  }
}

// handlerFor returns the local function that replaces a Task resource.
// lambda:invoke passes Payload to the function named by FunctionName and
// wraps its result as the Lambda service integration does.
function handlerFor(resource, scripts) {
  if (resource === lambdaInvoke) {
    return async (input) => {
      const payload = await scripts.call(functionName(String(input.FunctionName)), input.Payload ?? {});
      return { Payload: payload, StatusCode: 200 };
    };
  }
  if (resource.startsWith(`${lambdaInvoke}.`)) {
    return () => { throw scriptedError('IntegrationUnsupported', `the peer runner has no ${resource}`); };
  }
  const name = functionName(resource);
  return (input) => scripts.call(name, input);
}

function statusOf(expect) {
  if (expect.status) return expect.status;
  return expect.error ? 'FAILED' : 'SUCCEEDED';
}

// jsonEqual compares decoded JSON values.
function jsonEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  }
  return v;
}

// runPeerCase runs a case and returns what differed from its expectation.
export async function runPeerCase(peer, testCase) {
  const expect = testCase.expect ?? {};
  const unsupported = ['startError', 'events', 'callbackErrors'].filter((k) => expect[k] !== undefined);
  if (testCase.redrive) {
    unsupported.push('redrive');
  }
  if (unsupported.length > 0) {
    return [`the case uses ${unsupported.join(', ')}, which this runner cannot check: mark it peer "skip"`];
  }
  const definition = testCase.definition;
  let stateMachine;
  try {
    stateMachine = new peer.StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  } catch (err) {
    if (expect.definitionError) return [];
    return [`the definition was rejected: ${err.message}`];
  }
  if (expect.definitionError) {
    return ['the definition was accepted, want it rejected'];
  }

  const states = collectStates(definition);
  const scripts = new Scripts(testCase.tasks);
  const taskResourceLocalHandlers = {};
  for (const [name, resource] of states.tasks) {
    taskResourceLocalHandlers[name] = handlerFor(resource, scripts);
  }
  const waitTimeOverrides = {};
  for (const name of states.waits) {
    const ms = testCase.peerWaitMilliseconds?.[name] ?? 0;
    if (ms >= 0) {
      waitTimeOverrides[name] = ms;
    }
  }
  const retryIntervalOverrides = Object.fromEntries(states.retrying.map((name) => [name, 0]));

  const execution = testCase.execution ?? defaultExecution;
  const context = {
    Execution: {
      Id: `arn:aws:states:${region}:${account}:execution:${machine}:${execution}`,
      Name: execution,
      RedriveCount: 0,
    },
    StateMachine: {
      Id: `arn:aws:states:${region}:${account}:stateMachine:${machine}`,
      Name: machine,
    },
  };

  const run = stateMachine.run(testCase.input ?? {}, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
    context,
  });
  const timer = setTimeout(() => run.abort(), caseTimeoutMs);
  const got = { status: 'SUCCEEDED' };
  try {
    got.output = await run.result;
  } catch (err) {
    if (err instanceof peer.ExecutionTimeoutError) {
      Object.assign(got, { status: 'TIMED_OUT', error: 'States.Timeout' });
    } else if (err instanceof peer.ExecutionAbortedError) {
      Object.assign(got, { status: 'ABORTED', error: `did not end within ${caseTimeoutMs} ms` });
    } else if (err instanceof peer.ExecutionError) {
      Object.assign(got, { status: 'FAILED', error: err.cause?.name, cause: err.cause?.message });
    } else {
      throw err;
    }
  } finally {
    clearTimeout(timer);
  }

  const problems = [];
  if (got.status !== statusOf(expect)) {
    problems.push(`status = ${got.status} (error ${JSON.stringify(got.error)}, cause ${JSON.stringify(got.cause)}), want ${statusOf(expect)}`);
  }
  if (expect.error && got.error !== expect.error) {
    problems.push(`error = ${JSON.stringify(got.error)} (cause ${JSON.stringify(got.cause)}), want ${JSON.stringify(expect.error)}`);
  }
  if (expect.cause !== undefined && got.cause !== expect.cause) {
    problems.push(`cause = ${JSON.stringify(got.cause)}, want ${JSON.stringify(expect.cause)}`);
  }
  if (expect.output !== undefined && !jsonEqual(got.output, expect.output)) {
    problems.push(`output: got ${JSON.stringify(sorted(got.output))}, want ${JSON.stringify(sorted(expect.output))}`);
  }
  for (const [name, n] of Object.entries(expect.calls ?? {})) {
    const calls = scripts.calls.get(name) ?? 0;
    if (calls !== n) {
      problems.push(`${name} ran ${calls} times, want ${n}`);
    }
  }
  return problems;
}
