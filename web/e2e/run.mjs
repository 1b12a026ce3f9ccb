// `npm run e2e`: the end-to-end tests with Node's own test runner, one file at a time (each
// starts its own server and browser), reporting in TAP (`# pass`, `# fail` at the end).
// Node 20 needs a flag for its WebSocket client, which the tests use to fill big sessions.

import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(here)
  .filter((name) => name.endsWith('.test.mjs'))
  .sort()
  .map((name) => `${here}${name}`);
// Screenshots and downloads of this run only.
rmSync(fileURLToPath(new URL('../test-output/', import.meta.url)), { recursive: true, force: true });

const flags = typeof WebSocket === 'undefined' ? ['--experimental-websocket'] : [];
const reporter = process.env.E2E_REPORTER ?? 'tap';
const run = spawnSync(
  process.execPath,
  [...flags, '--test', '--test-concurrency=1', `--test-reporter=${reporter}`, ...process.argv.slice(2), ...files],
  { stdio: 'inherit' },
);
process.exit(run.status ?? 1);
