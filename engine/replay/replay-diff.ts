import type { CanonicalEvent } from '../store/message-record.ts';

/** One (message, destination) pair of a dry run: what the current transforms would send differently. */
export interface ReplayChange {
  messageId: string;
  destinationId: string;
  transformVersions: { before: string[]; after: string[] };
  /** Leaf paths of the events that the current transforms would send differently (`[n].path`). */
  diff: { path: string; before: unknown; after: unknown }[];
}

/** Leaf-by-leaf difference of two event lists (`[n].field.path`), the `source` envelope left out. */
export function diffEvents(before: CanonicalEvent[], after: CanonicalEvent[]): ReplayChange['diff'] {
  const flat = (events: CanonicalEvent[]) => {
    const out = new Map<string, unknown>();
    const walk = (v: unknown, path: string) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, c] of Object.entries(v)) walk(c, `${path}.${k}`);
      else out.set(path, v);
    };
    events.forEach((e, i) => {
      const { source: _source, ...rest } = e.event;
      walk({ model: e.model, ...rest }, `[${i}]`);
    });
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  const diff: ReplayChange['diff'] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    if (JSON.stringify(a.get(path)) !== JSON.stringify(b.get(path))) diff.push({ path, before: a.get(path), after: b.get(path) });
  }
  return diff;
}
