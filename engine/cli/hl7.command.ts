import { readFile } from 'node:fs/promises';
import { decodeBytes, Hl7ParseError, isBatch, parseBatch, parseMessage, type Hl7Message } from '../../hl7v2/index.ts';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = 'usage: switchboard hl7 get FILE PATH... | hl7 json FILE | hl7 validate FILE';

/**
 * `switchboard hl7 …` for analysts: `get` prints the decoded value of each path, one per line;
 * `json` prints the segment/field tree; `validate` exits 0, or 1 with the reason. A batch file
 * gives one block per message, each headed `# message N`. Exit codes: 0 ok, 1 invalid or
 * unreadable input, 2 usage.
 */
export async function runHl7Command(args: string[], io: CliIo): Promise<number> {
  const [verb, file, ...paths] = args;
  if (!file || !['get', 'json', 'validate'].includes(verb ?? '') || (verb === 'get' && paths.length === 0)) {
    io.err(USAGE);
    return 2;
  }
  let messages: Hl7Message[];
  let problems: string[] = [];
  try {
    const { text } = decodeBytes(await readFile(file));
    if (isBatch(text)) {
      const batch = parseBatch(text);
      messages = batch.messages;
      problems = batch.problems;
    } else {
      messages = [parseMessage(text)];
    }
  } catch (err) {
    if (err instanceof Hl7ParseError) {
      io.err(`invalid: ${err.message}`);
      return 1;
    }
    io.err(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return 1;
  }
  const batch = messages.length > 1;
  for (const [i, m] of messages.entries()) {
    if (batch && verb !== 'validate') io.out(`# message ${i + 1}`);
    if (verb === 'get') {
      for (const p of paths) {
        try {
          io.out(m.get(p));
        } catch (err) {
          io.err((err as Error).message);
          return 2;
        }
      }
    } else if (verb === 'json') {
      io.out(JSON.stringify(tree(m), null, 2));
    }
  }
  if (verb === 'validate') {
    for (const p of problems) io.err(`warning: ${p}`);
    io.out(`valid: ${messages.length} message${messages.length === 1 ? '' : 's'}`);
  }
  return 0;
}

/** The message as nested arrays: segments → fields → repetitions → components → subcomponents (decoded). */
function tree(m: Hl7Message) {
  const d = m.delimiters;
  return m.segments().map((s) => {
    const fields: unknown[] = [];
    for (let f = 1; f <= s.fieldCount(); f++) {
      if (s.name === 'MSH' && f <= 2) {
        fields.push(s.field(f));
        continue;
      }
      const reps = s.field(f).split(d.repetition);
      fields.push(
        reps.map((rep, r) =>
          rep
            .split(d.component)
            .map((comp, c) =>
              comp.split(d.subcomponent).map((_sub, x) => s.get({ field: f, repetition: r + 1, component: c + 1, subcomponent: x + 1 })),
            ),
        ),
      );
    }
    return { segment: s.name, fields };
  });
}
