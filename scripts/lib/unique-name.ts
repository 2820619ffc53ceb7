/**
 * The names tests give the databases and queue prefixes they make in the shared services:
 * `<prefix>_<time>_<random>`, [A-Za-z0-9_-]. One format for the tests that make them (uniqueName) and
 * for scripts/drop-stale-test-data.ts, which reads the time back (uniqueNameMadeAt) to drop those
 * that earlier runs left behind.
 */

/** A name unique to this run, for queue prefixes and database names: prefix_<time>_<random>, [A-Za-z0-9_-]. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** When `name` was made by uniqueName with a prefix starting `sb` (every test's); undefined for any other name. */
export function uniqueNameMadeAt(name: string): Date | undefined {
  const m = /^sb[a-z0-9-]*_([0-9a-z]{8,9})_[0-9a-z]{1,6}$/.exec(name);
  const at = m ? parseInt(m[1]!, 36) : NaN;
  // Between 2020 and a day ahead: a base-36 stamp, not a word that happens to fit.
  return at > Date.UTC(2020, 0) && at < Date.now() + 86_400_000 ? new Date(at) : undefined;
}
