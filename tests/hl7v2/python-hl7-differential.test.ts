import test from 'ava';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeBytes, parseMessage, type Hl7Message } from '../../hl7v2/index.ts';
import { CORPUS, hasShared, requireShared, SHARED } from '../support/shared.ts';

/**
 * Differential test against Debian's python3-hl7, an independent reader. It does not unescape, so
 * both trees hold raw strings: segment → field → repetition → component → subcomponent.
 */
const PY = String.raw`
import hl7, json, sys
out = {}
for path in sys.argv[1:]:
    text = open(path, 'rb').read().decode('utf-8-sig')
    text = '\r'.join(l for l in text.replace('\r\n', '\r').replace('\n', '\r').split('\r') if l.strip()).strip()
    m = hl7.parse(text)
    def tree(node, depth):
        if isinstance(node, str): return node
        return [tree(x, depth + 1) for x in node]
    segs = []
    for seg in m:
        fields = []
        for i, f in enumerate(seg):
            if i == 0: continue
            if str(seg[0]) == 'MSH' and i <= 2:
                fields.append(str(f)); continue
            reps = f if isinstance(f, hl7.containers.Field) and any(isinstance(x, hl7.containers.Repetition) for x in f) else [f]
            fields.append([[[str(s) for s in (c if isinstance(c, hl7.containers.Component) else [c])]
                            for c in (r if isinstance(r, hl7.containers.Repetition) else [r])] for r in reps])
        segs.append([str(seg[0]), fields])
    out[path] = segs
print(json.dumps(out))
`;

const files = hasShared
  ? [
      ...(await readdir(CORPUS)).filter((f) => /^0\d\d-.*\.hl7$/.test(f) && !f.startsWith('007')).map((f) => path.join(CORPUS, f)),
      ...(await readdir(path.join(SHARED, 'hl7-corpus/peer/fhir-converter')))
        .filter((f) => f.endsWith('.hl7'))
        .map((f) => path.join(SHARED, 'hl7-corpus/peer/fhir-converter', f)),
    ]
  : [];

/** Our tree in the same raw shape. */
function ours(m: Hl7Message) {
  const d = m.delimiters;
  return m.segments().map((s) => {
    const fields: unknown[] = [];
    for (let f = 1; f <= s.fieldCount(); f++) {
      if (s.name === 'MSH' && f <= 2) fields.push(s.field(f));
      else
        fields.push(
          s
            .field(f)
            .split(d.repetition)
            .map((r) => r.split(d.component).map((c) => c.split(d.subcomponent))),
        );
    }
    return [s.name, fields];
  });
}

test('the same segment, field, repetition, component and subcomponent tree as python3-hl7', async (t) => {
  if (!requireShared(t)) return;
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', PY, ...files], { maxBuffer: 64 << 20 });
  const theirs = JSON.parse(stdout) as Record<string, unknown>;
  for (const file of files) {
    // python-hl7 strips the whole text (a trailing space of the last field included): both readers get the same text.
    const text = decodeBytes(await readFile(file))
      .text.replace(/^\uFEFF/, '')
      .split(/\r\n|\r|\n/)
      .filter((l) => l.trim() !== '')
      .join('\r')
      .trim();
    const m = parseMessage(text);
    t.deepEqual(ours(m), theirs[file], path.basename(file));
  }
});
