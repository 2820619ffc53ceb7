import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import type { Actor } from '../channels/channel-service.ts';
import { VersionedStore, type DefinitionOrigin, type DefinitionVersion } from '../definitions/versioned-store.ts';
import { SwitchboardError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import { parseTableCsv } from './table-csv.ts';
import { diffTables, type TableDiff } from './table-diff.ts';
import { validateTable, type TableDefinition, type TableProblem } from './table-schema.ts';

/** One stored version of a lookup table. */
export type TableVersion = DefinitionVersion<TableDefinition>;

/** A channel version whose mapping names a table. */
export interface TableUse {
  channelId: string;
  channelVersion: number;
  mappingId: string;
}

/** Which channel versions' mappings use the table `name` (the mappings provide it). */
export type TableUsers = (name: string) => Promise<TableUse[]>;

/** A table as lists show it: its latest version, without the rows. */
export interface TableSummary {
  name: string;
  version: number;
  description: string | null;
  columns: readonly string[];
  rows: number;
  updatedAt: Date;
  updatedBy: string;
}

export type TableSaved = { ok: true; version: TableVersion; created: boolean } | { ok: false; problems: TableProblem[] };

/**
 * A table as stored: FerretDB stores no array directly inside an array, so each row is its JSON
 * text (also the most compact form in a document).
 */
type StoredTable = Omit<TableDefinition, 'rows'> & { rows: string[] };

const stored = (t: TableDefinition): StoredTable => ({ ...t, rows: t.rows.map((r) => JSON.stringify(r)) });
const opened = (v: DefinitionVersion<StoredTable>): TableVersion => ({
  ...v,
  definition: { ...v.definition, rows: v.definition.rows.map((r) => JSON.parse(r) as string[]) },
});
const openedIf = (v: DefinitionVersion<StoredTable> | undefined) => (v ? opened(v) : undefined);

/** The collection of lookup table versions. */
export const TABLES_COLLECTION = 'lookup_tables';
/** A table's rows as JSON at most this large: a stored version is one document, and documents stop at 16 MiB. */
const MAX_ROWS_BYTES = 12 * 1024 * 1024;

/**
 * Lookup tables: named, versioned code tables that mappings and filters read. Each change is the
 * next version, never rewritten (VersionedStore in `lookup_tables`), validated first and audited
 * as `config.change` on `table:<name>@<version>` with what changed; a save of the same content
 * is no new version and no audit entry. Imported and exported as CSV (table-csv.ts).
 */
export class TableService {
  private readonly versions: VersionedStore<StoredTable>;

  constructor(private readonly o: { store: Store; audit: AuditLog; usedBy: TableUsers }) {
    this.versions = new VersionedStore<StoredTable>(o.store, TABLES_COLLECTION, 'lookup table');
  }

  async start(): Promise<void> {
    await this.versions.start();
  }

  /** Saves `table` (a definition as posted) as the next version of its name; its problems when not valid. */
  async save(o: { table: unknown; actor: Actor; origin: DefinitionOrigin; comment?: string }): Promise<TableSaved> {
    const problems = validateTable(o.table);
    if (problems.length > 0) return { ok: false, problems };
    return this.store(o.table as TableDefinition, o);
  }

  /**
   * Saves a CSV file as the next version of table `name` (origin `import`): the description and
   * onMissing of the latest version are kept, a new table errors on a missing key. Its problems
   * name their lines.
   */
  async importCsv(o: { name: string; csv: string; actor: Actor; comment?: string }): Promise<TableSaved> {
    const latest = await this.latest(o.name);
    const parsed = parseTableCsv(o.csv, {
      name: o.name,
      ...(latest?.definition.description ? { description: latest.definition.description } : {}),
      onMissing: latest?.definition.onMissing ?? { error: true },
    });
    if (!parsed.ok) return parsed;
    return this.store(parsed.table, { ...o, origin: 'import' });
  }

  async latest(name: string): Promise<TableVersion | undefined> {
    return openedIf(await this.versions.latest(name));
  }

  /** The latest version's number, without reading its rows. */
  latestVersion(name: string): Promise<number | undefined> {
    return this.versions.latestVersion(name);
  }

  async version(name: string, version: number): Promise<TableVersion | undefined> {
    return openedIf(await this.versions.version(name, version));
  }

  /** The newest 200 versions of a table, newest first. */
  async history(name: string): Promise<TableVersion[]> {
    return (await this.versions.history(name)).map(opened);
  }

  /** The latest version of every table, by name (its rows counted, not read). */
  async list(): Promise<TableSummary[]> {
    return (await this.versions.all()).map((v) => ({
      name: v.id,
      version: v.version,
      description: v.definition.description ?? null,
      columns: v.definition.columns,
      rows: v.definition.rows.length,
      updatedAt: v.at,
      updatedBy: v.author,
    }));
  }

  /** What changed from version `from` to `to` of a table; NOT_FOUND when either is missing. */
  async diff(name: string, from: number, to: number): Promise<TableDiff> {
    const [a, b] = await Promise.all([this.version(name, from), this.version(name, to)]);
    if (!a || !b) throw new SwitchboardError('NOT_FOUND', `no version ${a ? to : from} of table ${name}`);
    return diffTables(a.definition, b.definition);
  }

  /** The channel versions whose mappings use the table. */
  usedBy(name: string): Promise<TableUse[]> {
    return this.o.usedBy(name);
  }

  /** Stores a valid definition and audits a new version with its diff from the one before. */
  private async store(table: TableDefinition, o: { actor: Actor; origin: DefinitionOrigin; comment?: string }): Promise<TableSaved> {
    const definition = stored(table);
    if (definition.rows.reduce((n, r) => n + Buffer.byteLength(r), 0) > MAX_ROWS_BYTES)
      return { ok: false, problems: [{ path: '/rows', message: `the rows take more than ${MAX_ROWS_BYTES / 1024 / 1024} MiB` }] };
    const saved = await this.versions.save(table.name, definition, {
      origin: o.origin,
      author: o.actor.username,
      ...(o.comment ? { comment: o.comment } : {}),
    });
    if (saved.created) {
      const previous = saved.previous && opened(saved.previous).definition;
      const diff = diffTables(previous ?? { name: table.name, columns: [], rows: [], onMissing: { error: true } }, table, 100);
      await this.o.audit.append({
        actor: o.actor.username,
        action: AuditAction.configChange,
        outcome: 'success',
        target: `table:${table.name}@${saved.version.version}`,
        details: { origin: o.origin, diff, changes: diff.counts.added + diff.counts.removed + diff.counts.changed + diff.settings.length },
        ...(o.actor.sourceIp ? { sourceIp: o.actor.sourceIp } : {}),
      });
    }
    return { ok: true, version: opened(saved.version), created: saved.created };
  }
}
