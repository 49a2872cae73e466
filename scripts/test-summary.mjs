// Prints CI's closing line "N passed, N failed, N skipped" from vitest's JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`no test report at ${file}: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;

const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// a suite that failed to load has no tests to count: count it as a failure
const brokenSuites = (report.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
console.log(`${passed} passed, ${report.numFailedTests + brokenSuites} failed, ${skipped} skipped`);
process.exit(report.numFailedTests + brokenSuites > 0 ? 1 : 0);
