import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalModelsDoc, transformsDoc } from '../../scripts/docs.ts';

const docs = path.resolve(import.meta.dirname, '../../docs');

test('docs/canonical-models.md and docs/transforms.md match the code (run `npm run docs` after a change)', async (t) => {
  t.is(await readFile(path.join(docs, 'canonical-models.md'), 'utf8'), canonicalModelsDoc());
  t.is(await readFile(path.join(docs, 'transforms.md'), 'utf8'), transformsDoc());
});
