// Validates Amazon States Language files with the asl-validator package.
//
// Usage: node tools/asl-validate.cjs NODE_MODULES FILE...
//
// The definitions name their Lambda functions with ${task} placeholders that
// Step Functions replaces from DefinitionSubstitutions at deploy time. Each
// placeholder is replaced by a Lambda function ARN first, so that the file is
// checked in the form Step Functions receives, with ARN and path checks on.
//
// The library is called directly because the command-line flag
// --no-arn-check of asl-validator 4.0.0 has no effect.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const [modules, ...files] = process.argv.slice(2);
if (!modules || files.length === 0) {
  console.error('usage: node tools/asl-validate.cjs NODE_MODULES FILE...');
  process.exit(2);
}
const validate = require(path.resolve(modules, 'asl-validator'));

function substitute(text) {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g,
    (_, name) => `arn:aws:lambda:us-east-1:123456789012:function:repolink-${name.replace(/_/g, '-')}`);
}

// isStateNamedLikeField reports the false positive of asl-validator 4.0.0
// for a state named Default, Next or StartAt. Its transition check collects
// every member with one of those names, so it reports the state object
// itself as a missing target, printed as [object Object]. A real target is
// always a string here, because the transition check only runs after the
// schema check passed.
// NOTE: drop this once asl-validator reads only transition fields.
function isStateNamedLikeField(error) {
  return error['Error code'] === 'MISSING_TRANSITION_TARGET' &&
    error.Message.endsWith('target: [object Object]');
}

let invalid = 0;
for (const file of files) {
  let definition;
  try {
    definition = JSON.parse(substitute(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    console.error(`${file}: invalid JSON: ${err.message}`);
    invalid++;
    continue;
  }
  const result = validate(definition, { checkArn: true, checkPaths: true });
  const errors = result.isValid ? [] : result.errors.filter((e) => !isStateNamedLikeField(e));
  const ignored = result.isValid ? 0 : result.errors.length - errors.length;
  if (errors.length === 0) {
    const note = ignored > 0 ? ` (ignored ${ignored} asl-validator false positive for a state named Default, Next or StartAt)` : '';
    console.log(`${file}: valid${note}`);
    continue;
  }
  invalid++;
  for (const e of errors) {
    console.error(`${file}: ${e['Error code']}: ${e.Message}`);
  }
}
if (invalid > 0) {
  console.error(`${invalid} of ${files.length} definitions are invalid`);
  process.exit(1);
}
