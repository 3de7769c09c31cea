// Runs the ASL conformance cases on aws-local-stepfunctions, merges the
// outcome with the report of the embedded engine's Go test, and prints one
// line per failure and the totals. The last line is "N passed, N failed",
// counting one run per case on each implementation.
//
// Usage: node tools/conformance/run.mjs --modules DIR --cases DIR
//          [--engine-report FILE] [--only NAME] [--run-skipped]
//
// --run-skipped also runs the cases marked peer: "skip", to check their
// reasons.
//
// Needs Node 22 or later, as aws-local-stepfunctions 3 does.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

import { runPeerCase } from './peer.mjs';

const { values: args } = parseArgs({
  options: {
    modules: { type: 'string' },
    cases: { type: 'string' },
    'engine-report': { type: 'string' },
    only: { type: 'string' },
    'run-skipped': { type: 'boolean' },
  },
});
if (!args.modules || !args.cases) {
  console.error('usage: node tools/conformance/run.mjs --modules DIR --cases DIR [--engine-report FILE] [--only NAME] [--run-skipped]');
  process.exit(2);
}

const require = createRequire(path.resolve(args.modules, 'package.json'));
const peer = require('aws-local-stepfunctions');

const names = fs.readdirSync(args.cases)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .filter((n) => !args.only || n === args.only)
  .sort();

const totals = {
  engine: { passed: 0, failed: 0 },
  peer: { passed: 0, failed: 0, skipped: 0 },
};
const failures = [];

// The engine's outcome comes from the Go test's report. A case missing
// from it failed to run there.
let engineReport = null;
if (args['engine-report']) {
  try {
    engineReport = JSON.parse(fs.readFileSync(args['engine-report'], 'utf8'));
  } catch (err) {
    console.error(`engine report ${args['engine-report']}: ${err.message}`);
    engineReport = {};
  }
}
if (engineReport) {
  for (const name of names) {
    const result = engineReport[name];
    if (result?.passed) {
      totals.engine.passed++;
      continue;
    }
    totals.engine.failed++;
    const problems = result ? result.problems : ['no result in the engine report: see the go test output'];
    failures.push(`FAIL engine ${name}: ${problems.join('; ')}`);
  }
}

// Cases run concurrently, because most of the peer's time is spent in
// scripted task durations and timeouts.
const outcomes = await Promise.all(names.map(async (name) => {
  const file = path.join(args.cases, `${name}.json`);
  const testCase = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (testCase.peer === 'skip' && !args['run-skipped']) {
    return { name, skipped: true };
  }
  try {
    return { name, problems: await runPeerCase(peer, testCase) };
  } catch (err) {
    return { name, problems: [`runner error: ${err.stack ?? err}`] };
  }
}));
for (const outcome of outcomes) {
  if (outcome.skipped) {
    totals.peer.skipped++;
  } else if (outcome.problems.length === 0) {
    totals.peer.passed++;
  } else {
    totals.peer.failed++;
    failures.push(`FAIL aws-local-stepfunctions ${outcome.name}: ${outcome.problems.join('; ')}`);
  }
}

for (const line of failures) {
  console.log(line);
}
const version = JSON.parse(fs.readFileSync(path.resolve(args.modules, 'aws-local-stepfunctions', 'package.json'), 'utf8')).version;
if (engineReport) {
  console.log(`engine: ${totals.engine.passed} passed, ${totals.engine.failed} failed`);
}
console.log(`aws-local-stepfunctions ${version}: ${totals.peer.passed} passed, ${totals.peer.failed} failed, ` +
  `${totals.peer.skipped} skipped (peer: "skip" in the case file)`);
const passed = totals.engine.passed + totals.peer.passed;
const failed = totals.engine.failed + totals.peer.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
