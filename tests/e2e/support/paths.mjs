// Where things are, relative to tests/e2e: the shopdesk binary under test and the
// artefacts directory (screenshots, server logs; git-ignored).
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = resolve(e2eDir, '..', '..');

// CTest passes SHOPDESK_BINARY ($<TARGET_FILE:shopdesk>); `npm test` by hand falls
// back to the default build tree.
export const shopdeskBinary =
  process.env.SHOPDESK_BINARY || join(repoDir, 'build', 'app', 'shopdesk');

export const chromiumPath = process.env.SHOPDESK_E2E_CHROMIUM || '/usr/bin/chromium';

export const artifactsDir = join(e2eDir, 'artifacts');

// Path of an artefact file, creating the directory on first use.
export function artifactPath(name) {
  mkdirSync(artifactsDir, { recursive: true });
  return join(artifactsDir, name);
}
