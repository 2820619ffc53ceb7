import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import { diffValues } from '../audit/config-audit.ts';
import type { ChannelDefinition } from '../channel.ts';
import type { DefinitionVersion, SaveMeta } from '../definitions/versioned-store.ts';
import { SwitchboardError } from '../errors.ts';
import type { LookupTable, LookupTables } from '../../transforms/lookups/lookup-table.ts';
import { compileMapping, mappingTables, type MappingProblem } from '../../transforms/mapping/compile-mapping.ts';
import type { MappingDefinition } from '../../transforms/mapping/mapping-definition.ts';
import { fixtureSource, readSample, runFixtures, type FixtureResult } from '../../transforms/mapping/mapping-fixtures.ts';
import type { FieldError } from '../../transforms/dsl/define-transform.ts';
import type { TransformCatalog } from './transform-catalog.ts';
import type { TableVersions } from './table-versions.ts';
import { shippedTables } from '../../transforms/lookups/shipped-tables.ts';
import type { MappingStore } from './mapping-store.ts';

/** What checking a draft mapping found: problems block a save; failing fixtures block a deploy. */
export interface MappingCheck {
  problems: MappingProblem[];
  fixtures: FixtureResult[];
}

/**
 * The lifecycle of data mappings (issue 23): check a draft (every problem, and every fixture run),
 * save it as the next version (audited with its diff), preview it on a sample, list, read, and
 * the deploy gate of a channel version (its pinned mappings pass their fixtures with its pinned
 * tables). A draft is checked against the latest version of every lookup table it names; a
 * channel version pins the versions it runs with (TransformCatalog).
 */
export class MappingService {
  constructor(
    private readonly o: {
      mappings: MappingStore;
      tables: TableVersions;
      catalog: TransformCatalog;
      audit: AuditLog;
    },
  ) {}

  /** Every problem of the draft, and each fixture's result (none run when it does not compile). */
  async check(definition: unknown, tables?: LookupTables): Promise<MappingCheck> {
    const compiled = compileMapping(definition, 0, tables ?? (await this.latestTables(definition)));
    if (!compiled.ok) return { problems: compiled.problems, fixtures: [] };
    return { problems: [], fixtures: runFixtures(compiled.transform, (definition as MappingDefinition).fixtures) };
  }

  /** Saves the draft as the next version when it compiles (fixtures may fail: they block deploys, not saves). */
  async save(
    definition: MappingDefinition,
    meta: SaveMeta & { sourceIp?: string },
  ): Promise<
    { ok: true; version: DefinitionVersion<MappingDefinition>; created: boolean; check: MappingCheck } | { ok: false; check: MappingCheck }
  > {
    const check = await this.check(definition);
    if (check.problems.length > 0) return { ok: false, check };
    const saved = await this.o.mappings.save(definition, meta);
    if (saved.created) {
      const diff = diffValues(saved.previous?.definition ?? {}, definition);
      await this.o.audit.append({
        actor: meta.author,
        action: AuditAction.configChange,
        outcome: 'success',
        target: `mapping:${definition.id}@${saved.version.version}`,
        details: { origin: meta.origin, diff: diff.slice(0, 500), changes: diff.length },
        ...(meta.sourceIp ? { sourceIp: meta.sourceIp } : {}),
      });
    }
    return { ok: true, version: saved.version, created: saved.created, check };
  }

  /**
   * Runs the draft on one sample (HL7v2 text or FHIR JSON): its events (without `source`) and
   * every field error, for the editor's live preview. BAD_REQUEST when the sample cannot be read.
   */
  async preview(
    definition: unknown,
    sample: string,
  ): Promise<{ problems: MappingProblem[]; events: Record<string, unknown>[]; errors: FieldError[] }> {
    const compiled = compileMapping(definition, 0, await this.latestTables(definition));
    if (!compiled.ok) return { problems: compiled.problems, events: [], errors: [] };
    let input;
    try {
      input = readSample(compiled.transform.input, sample);
    } catch (err) {
      throw new SwitchboardError('BAD_REQUEST', `the sample cannot be read: ${(err as Error).message}`);
    }
    const { events, errors } = compiled.transform.tryRun(input, fixtureSource(input));
    return { problems: [], events: events.map(({ source: _source, ...e }) => e), errors };
  }

  /**
   * Why the channel version may not be deployed: each pinned mapping whose fixtures fail with the
   * pinned tables, naming the fixture and its first differing field. Empty when it may.
   */
  async deployProblems(channel: ChannelDefinition): Promise<string[]> {
    if (!channel.mappings?.length) return [];
    const tables = await this.o.catalog.pinnedTables(channel);
    const problems: string[] = [];
    for (const pin of channel.mappings) {
      const stored = await this.o.mappings.version(pin.id, pin.version);
      if (!stored) {
        problems.push(`mapping ${pin.id} has no version ${pin.version}`);
        continue;
      }
      const check = await this.check(stored.definition, tables);
      for (const p of check.problems) problems.push(`mapping ${pin.id}@${pin.version}${p.path}: ${p.message}`);
      for (const f of check.fixtures.filter((x) => !x.passed))
        problems.push(`mapping ${pin.id}@${pin.version} fails its fixture ${f.name}: ${why(f)}`);
    }
    return problems;
  }

  latest(id: string) {
    return this.o.mappings.latest(id);
  }

  version(id: string, version: number) {
    return this.o.mappings.version(id, version);
  }

  history(id: string) {
    return this.o.mappings.history(id);
  }

  list() {
    return this.o.mappings.all();
  }

  /** The latest version of each lookup table the draft names, then the shipped tables: what a draft is checked against. */
  private async latestTables(definition: unknown): Promise<LookupTables> {
    const byName = new Map<string, LookupTable>();
    for (const name of mappingTables(definition)) {
      const table = await this.o.tables.latest(name);
      if (table) byName.set(name, table);
    }
    return { get: (name) => byName.get(name) ?? shippedTables.get(name) };
  }
}

/** A failing fixture's first reason, naming fields, never values (the caller may log it). */
function why(f: FixtureResult): string {
  if (f.unreadable) return 'its sample cannot be read';
  const error = f.errors[0];
  if (error) return `field ${error.target}: ${error.reason}`;
  const change = f.changes[0];
  return change ? `event ${change.event} field ${change.path} differs from what is expected` : 'its output differs';
}
