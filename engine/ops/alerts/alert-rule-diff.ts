/** One setting that differs between two definitions: its JSON pointer, and its value before and after (undefined: absent). */
export interface DefinitionChange {
  path: string;
  from: unknown;
  to: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escape = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The settings that differ between two definitions, by JSON pointer, in key order: objects are
 * compared key by key, anything else (lists included) as a whole value. Pure; used for the diff
 * route and for what an audit entry says changed.
 */
export function diffDefinitions(a: unknown, b: unknown, path = ''): DefinitionChange[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffDefinitions(a[k], b[k], `${path}/${escape(k)}`));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [{ path: path || '/', from: a, to: b }];
}
