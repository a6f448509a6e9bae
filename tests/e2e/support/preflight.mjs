// Loaded with `node --import` before any spec: fails the run at once, with the fix in
// the message, when the suite's dependencies or the browser are missing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath, e2eDir, shopdeskBinary } from './paths.mjs';

const problems = [];
if (!existsSync(join(e2eDir, 'node_modules', 'playwright-core', 'package.json'))) {
  problems.push(`${join(e2eDir, 'node_modules')} is missing or incomplete: run \`npm ci\` in ${e2eDir} ` +
    '(infrastructure/dev/test.sh does it)');
}
if (!existsSync(chromiumPath)) {
  problems.push(`${chromiumPath} not found: run infrastructure/dev/setup.sh (Debian's chromium package)`);
}
if (!existsSync(shopdeskBinary)) {
  problems.push(`shopdesk binary ${shopdeskBinary} not found: build it, or set SHOPDESK_BINARY`);
}
if (problems.length) {
  for (const p of problems) console.error(`e2e: ${p}`);
  process.exit(1);
}
