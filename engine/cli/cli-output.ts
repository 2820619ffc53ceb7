import { toSwitchboardError } from '../errors.ts';
import type { ReplayRecord } from '../store/message-record.ts';

/**
 * Rows as a plain-text table: a header, then each row, columns padded to their widest cell and
 * separated by two spaces (the last column unpadded). An empty list gives the header alone.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const BAR = 24;

/**
 * One line of a replay's progress: a bar of the deliveries handled (replayed, refused or skipped)
 * out of those selected, the percentage, and the counts; `done` when the replay has finished.
 */
export function progressLine(r: Pick<ReplayRecord, 'progress' | 'state'>): string {
  const { selected, replayed, refused, skipped } = r.progress;
  const handled = Math.min(selected, replayed + refused + skipped);
  const share = selected === 0 ? (r.state === 'done' ? 1 : 0) : handled / selected;
  const filled = Math.round(share * BAR);
  const percent = `${Math.floor(share * 100)}%`.padStart(4);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}]`;
  return `${bar} ${percent} ${replayed}/${selected} replayed, ${refused} refused, ${skipped} skipped${r.state === 'done' ? ', done' : ''}`;
}

/** `<command> failed: <CODE>: <what>` for an error a command did not expect; never a stack trace. */
export function failure(command: string, err: unknown): string {
  const e = toSwitchboardError(err);
  const text = ['BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'CONFIG_INVALID', 'FORBIDDEN', 'ARCHIVE_INVALID'].includes(e.code)
    ? e.message
    : e.publicText;
  return `${command} failed: ${e.code}: ${text}`;
}
