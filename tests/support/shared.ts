import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * `../shared` beside the project: the conformance corpora and FHIR samples. CI always has it.
 * `SWITCHBOARD_SHARED_DIR` points elsewhere (tests/unit/shared-required.test.ts uses it to take it away).
 */
export const SHARED = path.resolve(REPO_ROOT, process.env.SWITCHBOARD_SHARED_DIR ?? '../shared');
export const CORPUS = path.join(SHARED, 'hl7-corpus');
export const hasShared = existsSync(CORPUS);
/** Why a test that needs ../shared failed without it. */
export const MISSING_SHARED = `../shared not found at ${SHARED} (its hl7-corpus/ and fhir-samples/ are needed; CI always has it)`;

/**
 * Fails the calling test when ../shared is absent (a missing prerequisite never counts as a pass).
 * Returns false then, so the test can stop: `if (!requireShared(t)) return;`.
 */
export function requireShared(t: ExecutionContext): boolean {
  if (hasShared) return true;
  t.fail(MISSING_SHARED);
  return false;
}

export async function corpusCase(name: string): Promise<{ bytes: Buffer; expect: Record<string, unknown> }> {
  const bytes = await readFile(path.join(CORPUS, `${name}.hl7`));
  const expect = JSON.parse(await readFile(path.join(CORPUS, `${name}.expect.json`), 'utf8')) as Record<string, unknown>;
  return { bytes, expect };
}
