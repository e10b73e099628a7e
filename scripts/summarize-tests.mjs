// Prints the plain closing line "N passed, N failed, N skipped" summed over the runners' JSON
// reports: `--jest FILE` (jest --json) and `--playwright FILE` (Playwright's JSON reporter).
// A missing or unreadable report, or a run that executed no test, is a failure.
import { readFileSync } from 'node:fs';

const totals = { passed: 0, failed: 0, skipped: 0 };
let broken = false;

function read(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.log(`Could not read test results from ${file}: ${error.message}`);
    broken = true;
    return undefined;
  }
}

function addJest(report) {
  totals.passed += report.numPassedTests;
  totals.failed +=
    report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  totals.skipped += report.numPendingTests + report.numTodoTests;
}

function addPlaywright(report) {
  const stats = report.stats ?? {};
  totals.passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
  totals.failed += stats.unexpected ?? 0;
  totals.skipped += stats.skipped ?? 0;
  if (report.errors?.length) totals.failed += report.errors.length;
}

const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const report = read(args[i + 1]);
  if (!report) continue;
  if (args[i] === '--jest') addJest(report);
  else if (args[i] === '--playwright') addPlaywright(report);
  else throw new Error(`Unknown option ${args[i]}`);
}
if (broken) totals.failed += 1;
console.log(
  `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`,
);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
