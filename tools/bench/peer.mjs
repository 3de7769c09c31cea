// Measures executions per second of aws-local-stepfunctions on the
// benchmark machine, with every Task state replaced by a local function
// that returns at once. Prints one JSON object.
//
// Usage: node tools/bench/peer.mjs --modules DIR --machine FILE --executions N --warmup N

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const { values: args } = parseArgs({
  options: {
    modules: { type: 'string' },
    machine: { type: 'string' },
    executions: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
  },
});
if (!args.modules || !args.machine) {
  console.error('usage: node tools/bench/peer.mjs --modules DIR --machine FILE --executions N --warmup N');
  process.exit(2);
}
const require = createRequire(path.resolve(args.modules, 'package.json'));
const { StateMachine } = require('aws-local-stepfunctions');
const version = JSON.parse(fs.readFileSync(path.resolve(args.modules, 'aws-local-stepfunctions', 'package.json'), 'utf8')).version;

const definition = JSON.parse(fs.readFileSync(args.machine, 'utf8'));
const stateMachine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
const taskResourceLocalHandlers = {};
for (const [name, state] of Object.entries(definition.States)) {
  if (state.Type === 'Task') {
    taskResourceLocalHandlers[name] = async () => ({ ok: true });
  }
}

// batch starts n executions at once and waits for all of them, as the
// engine benchmark does.
async function batch(n) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    runs.push(stateMachine.run({ n: i }, { overrides: { taskResourceLocalHandlers } }).result);
  }
  const outputs = await Promise.all(runs);
  if (outputs.some((o) => o?.t08?.ok !== true)) {
    throw new Error('an execution ended without the result of the last Task state');
  }
}

const executions = Number(args.executions);
await batch(Number(args.warmup));
const start = process.hrtime.bigint();
await batch(executions);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({
  implementation: `aws-local-stepfunctions ${version}`,
  node: process.version,
  executions,
  seconds,
  per_second: executions / seconds,
}));
