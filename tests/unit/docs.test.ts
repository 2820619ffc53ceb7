import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalModelsDoc, connectorsDoc, transformsDoc } from '../../scripts/docs.ts';

const docs = path.resolve(import.meta.dirname, '../../docs');

test(
  'docs/canonical-models.md, docs/transforms.md and docs/connectors.md match the code (run `npm run ' + 'docs` after a change)',
  async (t) => {
    t.is(await readFile(path.join(docs, 'canonical-models.md'), 'utf8'), canonicalModelsDoc());
    t.is(await readFile(path.join(docs, 'transforms.md'), 'utf8'), transformsDoc());
    t.is(await readFile(path.join(docs, 'connectors.md'), 'utf8'), connectorsDoc());
    t.regex(connectorsDoc(), /\| `mllp-out` \| [^|]+ \| ChargeEvent, EncounterEvent \| no \|/, 'each connector with the models it sends');
  },
);
