// Validates GLB files with the Khronos glTF-Validator (root node_modules) and prints one JSON line
// per file: {"path", "errors", "warnings", "messages": [first few error/warning messages]}.
// Usage: node inference/tests/validate_glb.mjs FILE.glb [FILE.glb ...]
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'package.json'));
const validator = require('gltf-validator');

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    const bytes = new Uint8Array(await readFile(file));
    const report = await validator.validateBytes(bytes, { maxIssues: 100 });
    const messages = report.issues.messages
      .filter((m) => m.severity <= 1)
      .slice(0, 10)
      .map((m) => `${m.code}: ${m.message} (${m.pointer ?? ''})`);
    console.log(
      JSON.stringify({ path: file, errors: report.issues.numErrors, warnings: report.issues.numWarnings, messages }),
    );
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ path: file, errors: -1, warnings: 0, messages: [String(error)] }));
  }
}
process.exitCode = failed ? 1 : 0;
