import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** `../shared` beside the project: the conformance corpora. CI always has it. */
export const SHARED = path.resolve(REPO_ROOT, '../shared');
export const CORPUS = path.join(SHARED, 'hl7-corpus');
export const hasShared = existsSync(CORPUS);

/** Skips the calling test with a reason when ../shared is absent. Returns false when skipped. */
export function requireShared(t: ExecutionContext): boolean {
  if (hasShared) return true;
  t.log(`../shared not found at ${SHARED}: corpus cases skipped`);
  t.pass();
  return false;
}

export async function corpusCase(name: string): Promise<{ bytes: Buffer; expect: Record<string, unknown> }> {
  const bytes = await readFile(path.join(CORPUS, `${name}.hl7`));
  const expect = JSON.parse(await readFile(path.join(CORPUS, `${name}.expect.json`), 'utf8')) as Record<string, unknown>;
  return { bytes, expect };
}

