import path from 'node:path';
import { BSON, type Document } from 'mongodb';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SwitchboardError } from '../../errors.ts';
import type { MessageContent, MessageState } from '../../store/message-state.ts';

/**
 * The archive's formats (issue 25). One line of a data file is one message, both of its documents
 * (store/message-state.ts: content and state; the state holds its deliveries and every attempt)
 * exactly as stored: each document is its BSON bytes in base64, so dates, binary values, numbers and
 * sealed fields come back bit for bit, and a message stored sealed (encryption at rest) stays
 * sealed in the archive. Beside them, in clear, what a listing needs and what the store already
 * keeps in clear: id, channel, status, time received, and the id of the key that sealed it.
 *
 * Why records as stored and not the file sealed as a whole: the archive is then exactly as
 * protected as the store (what a stolen file shows is what a stolen database dump shows: ids,
 * channels, times, statuses, no patient data), no process ever holds the plain messages to
 * archive them, a restore writes back what was there without re-sealing or re-hashing anything (the
 * searchable keyed hashes stay valid), and a file sealed under a key that was since rotated away
 * still names the key it needs. Without encryption at rest the archive is as plain as the store.
 */
export interface ArchiveLine {
  /** Format of the line. */
  v: 1;
  id: string;
  channelId: string;
  status: string;
  receivedAt: string;
  /** The key that sealed the record (encryption at rest); absent when stored plain. */
  kid?: string;
  content: string;
  state: string;
}

export function encodeLine(content: MessageContent, state: MessageState): string {
  const line: ArchiveLine = {
    v: 1,
    id: content._id,
    channelId: content.channelId,
    status: state.status,
    receivedAt: content.receivedAt.toISOString(),
    ...(content.kid ? { kid: content.kid } : {}),
    content: Buffer.from(BSON.serialize(content as Document)).toString('base64'),
    state: Buffer.from(BSON.serialize(state as Document)).toString('base64'),
  };
  return JSON.stringify(line);
}

/** A line back into its two documents; ARCHIVE_INVALID when it is not one. */
export function decodeLine(text: string): { line: ArchiveLine; content: MessageContent; state: MessageState } {
  let line: ArchiveLine;
  try {
    line = JSON.parse(text) as ArchiveLine;
  } catch {
    throw new SwitchboardError('ARCHIVE_INVALID', 'a line of the archive is not JSON');
  }
  if (line.v !== 1 || typeof line.content !== 'string' || typeof line.state !== 'string')
    throw new SwitchboardError('ARCHIVE_INVALID', 'a line of the archive is not a message of format 1');
  const open = (b64: string) => BSON.deserialize(Buffer.from(b64, 'base64'), { promoteBuffers: true });
  const content = open(line.content) as MessageContent;
  const state = open(line.state) as MessageState;
  if (content._id !== line.id || state._id !== line.id)
    throw new SwitchboardError('ARCHIVE_INVALID', `line of ${line.id}: its documents name another id`);
  return { line, content, state };
}

const FileEntry = Type.Object({
  /** Relative to the archive directory: `<day>/<channel>.<run>.ndjson.gz`. */
  file: Type.String(),
  day: Type.String(),
  channelId: Type.String(),
  messages: Type.Integer({ minimum: 0 }),
  byStatus: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  bytes: Type.Integer({ minimum: 0 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** Earliest and latest time received of its messages (ISO 8601). */
  from: Type.String(),
  to: Type.String(),
});
export type ManifestFile = Static<typeof FileEntry>;

export const ManifestSchema = Type.Object({
  format: Type.Literal('switchboard-archive/1'),
  runId: Type.String(),
  createdAt: Type.String(),
  /** Whether records were sealed (encryption at rest), and the keys they need. */
  sealed: Type.Boolean(),
  keyIds: Type.Array(Type.String()),
  files: Type.Array(FileEntry),
  totals: Type.Object({ files: Type.Integer(), messages: Type.Integer(), bytes: Type.Integer() }),
  from: Type.Optional(Type.String()),
  to: Type.Optional(Type.String()),
});
export type ArchiveManifest = Static<typeof ManifestSchema>;

/** The manifest of a run from its files' entries (sorted by day, then channel). */
export function buildManifest(o: {
  runId: string;
  createdAt: Date;
  files: readonly ManifestFile[];
  keyIds: readonly string[];
}): ArchiveManifest {
  const files = [...o.files].sort(
    (a, b) => a.day.localeCompare(b.day) || a.channelId.localeCompare(b.channelId) || a.file.localeCompare(b.file),
  );
  const froms = files.map((f) => f.from).sort();
  const tos = files.map((f) => f.to).sort();
  return {
    format: 'switchboard-archive/1',
    runId: o.runId,
    createdAt: o.createdAt.toISOString(),
    sealed: o.keyIds.length > 0,
    keyIds: [...new Set(o.keyIds)].sort(),
    files,
    totals: {
      files: files.length,
      messages: files.reduce((n, f) => n + f.messages, 0),
      bytes: files.reduce((n, f) => n + f.bytes, 0),
    },
    ...(froms.length ? { from: froms[0]!, to: tos.at(-1)! } : {}),
  };
}

/** A manifest read from JSON text; ARCHIVE_INVALID naming the first problem. */
export function parseManifest(text: string): ArchiveManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SwitchboardError('ARCHIVE_INVALID', 'the manifest is not JSON');
  }
  const error = Value.Errors(ManifestSchema, value).First();
  if (error) throw new SwitchboardError('ARCHIVE_INVALID', `the manifest does not hold: ${error.path || '/'} ${error.message}`);
  return value as ArchiveManifest;
}

/** Channel ids are `[a-z0-9-]`, run ids UUIDs: names made of them need no escaping. */
const SAFE = /^[A-Za-z0-9_-]+$/;

/** Where a run's data file of one received day and channel goes, relative to the archive directory. */
export function dataFileName(day: string, channelId: string, runId: string): string {
  const name = SAFE.test(channelId) ? channelId : `channel-${Buffer.from(channelId).toString('hex')}`;
  return path.join(day, `${name}.${runId}.ndjson.gz`);
}

/** Where a run's manifest goes, relative to the archive directory. */
export const manifestFileName = (runId: string): string => path.join('manifests', `${runId}.json`);

/**
 * The archive directory and run a data file belongs to, from its path (`<dir>/<day>/<channel>.<run>.ndjson.gz`);
 * undefined when the name is not one of the pruner's.
 */
export function locateDataFile(file: string): { dir: string; runId: string } | undefined {
  const match = /\.([0-9a-f-]{36})\.ndjson\.gz$/.exec(path.basename(file));
  if (!match) return undefined;
  return { dir: path.dirname(path.dirname(path.resolve(file))), runId: match[1]! };
}
