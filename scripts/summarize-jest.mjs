// Prints the plain closing line "N passed, N failed, N skipped" from a jest --json results file.
// A missing or unreadable file, or a run that executed no test, is a failure.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let results;
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.log(`Could not read jest results from ${file}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = results.numPassedTests;
const failed =
  results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
