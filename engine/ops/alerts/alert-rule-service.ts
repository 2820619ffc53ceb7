import { AuditAction, type AuditLog } from '../../audit/audit-log.ts';
import { digestOf } from '../../channels/channel-store.ts';
import type { Actor } from '../../channels/channel-service.ts';
import type { DefinitionOrigin } from '../../definitions/versioned-store.ts';
import { SwitchboardError } from '../../errors.ts';
import type { AlertRuleBundle, AlertRuleDefinition, AlertRuleProblem, AlertRuleState } from './alert-api-types.ts';
import { diffDefinitions, type DefinitionChange } from './alert-rule-diff.ts';
import { validateAlertRule } from './alert-rule-schema.ts';
import type { AlertRuleStateRecord, AlertRuleStore, AlertRuleVersion } from './alert-rule-store.ts';

export type AlertRuleSaved = { ok: true; version: AlertRuleVersion; created: boolean } | { ok: false; problems: AlertRuleProblem[] };

/** A rule as lists show it: its latest (or asked) version and its deployment. */
export interface AlertRuleView {
  version: AlertRuleVersion;
  deployment: AlertRuleStateRecord | undefined;
}

/** At most this many rules in one import. */
const MAX_IMPORT = 500;

/**
 * Alert rules as versioned data, with the lifecycle of channels, mappings and tables: each change
 * validated (alert-rule-schema.ts), saved as the next version, never rewritten; deployed (a version
 * is evaluated), enabled or disabled; exported and imported as a bundle; files in alerts/ imported
 * at start when they changed. Every new version and every deployment change is audited as
 * `config.change` on `alert-rule:<id>[@<version>]`, with what changed. Called by the API
 * (alert-rules.routes.ts) and at start (open-alerts.ts). Errors: NOT_FOUND for an unknown rule or
 * version, CONFIG_INVALID for an invalid file at start, CONFLICT for a save race, STORE_UNAVAILABLE.
 */
export class AlertRuleService {
  constructor(private readonly o: { rules: AlertRuleStore; audit: AuditLog }) {}

  validate(rule: unknown): AlertRuleProblem[] {
    return validateAlertRule(rule);
  }

  /** Saves a definition as the next version of its rule (not deployed); its problems when it is not valid. */
  async save(o: { rule: unknown; actor: Actor; origin: DefinitionOrigin; comment?: string }): Promise<AlertRuleSaved> {
    const problems = validateAlertRule(o.rule);
    if (problems.length > 0) return { ok: false, problems };
    const rule = o.rule as AlertRuleDefinition;
    const saved = await this.o.rules.save(rule, {
      origin: o.origin,
      author: o.actor.username,
      ...(o.comment ? { comment: o.comment } : {}),
    });
    if (saved.created) {
      const changes = diffDefinitions(saved.previous?.definition ?? {}, rule);
      await this.audit(o.actor, `alert-rule:${rule.id}@${saved.version.version}`, { origin: o.origin, changes: changes.slice(0, 50) });
    }
    return { ok: true, version: saved.version, created: saved.created };
  }

  /** The latest (or asked) version of a rule with its deployment; undefined when there is none. */
  async get(id: string, version?: number): Promise<AlertRuleView | undefined> {
    const [v, deployment] = await Promise.all([
      version ? this.o.rules.version(id, version) : this.o.rules.versions.latest(id),
      this.o.rules.state(id),
    ]);
    return v && { version: v, deployment };
  }

  /** Every rule's latest version with its deployment, by id. */
  async list(): Promise<AlertRuleView[]> {
    const [versions, states] = await Promise.all([this.o.rules.versions.all(), this.o.rules.allStates()]);
    const byId = new Map(states.map((s) => [s._id, s]));
    return versions.map((version) => ({ version, deployment: byId.get(version.id) }));
  }

  /** The newest 200 versions of a rule, newest first. */
  history(id: string): Promise<AlertRuleVersion[]> {
    return this.o.rules.versions.history(id);
  }

  /** What changed from version `from` to `to`; NOT_FOUND when either is missing. */
  async diff(id: string, from: number, to: number): Promise<DefinitionChange[]> {
    const [a, b] = await Promise.all([this.o.rules.version(id, from), this.o.rules.version(id, to)]);
    if (!a || !b) throw new SwitchboardError('NOT_FOUND', `no version ${a ? to : from} of alert rule ${id}`);
    return diffDefinitions(a.definition, b.definition);
  }

  /**
   * Deploys a version (`deploy`: default the latest, enabled), or enables or disables the deployed
   * one. NOT_FOUND when the rule or version does not exist, CONFLICT to enable a rule never deployed.
   * Audited; the evaluator follows at its next pass.
   */
  async setState(o: { id: string; to: 'deploy' | 'enable' | 'disable'; version?: number; actor: Actor }): Promise<AlertRuleStateRecord> {
    const current = await this.o.rules.state(o.id);
    if (o.to !== 'deploy' && !current)
      throw new SwitchboardError('CONFLICT', `alert rule ${o.id} was never deployed: deploy a version first`);
    const version = o.to === 'deploy' ? (o.version ?? (await this.o.rules.versions.latestVersion(o.id))) : current!.version;
    if (version === undefined || !(await this.o.rules.version(o.id, version)))
      throw new SwitchboardError('NOT_FOUND', `no alert rule ${o.id}${o.version ? ` version ${o.version}` : ''}`);
    const state: Exclude<AlertRuleState, 'undeployed'> = o.to === 'disable' ? 'disabled' : 'enabled';
    const next = { state, version, updatedBy: o.actor.username, ...(current?.fileDigest ? { fileDigest: current.fileDigest } : {}) };
    await this.o.rules.setState(o.id, next);
    await this.audit(o.actor, `alert-rule:${o.id}`, { [o.to]: version, state, ...(current ? { was: current.state } : {}) });
    return { _id: o.id, ...next, updatedAt: new Date() };
  }

  /** Every rule's latest version, as a bundle `import` takes. */
  async exportAll(): Promise<AlertRuleBundle> {
    return { format: 'switchboard-alert-rules', version: 1, rules: (await this.o.rules.versions.all()).map((v) => v.definition) };
  }

  /**
   * Saves each rule of a bundle as its next version (origin `import`, not deployed). Nothing is
   * saved when one is invalid: the problems name `/rules/<index>/…`.
   */
  async importAll(o: {
    bundle: unknown;
    actor: Actor;
  }): Promise<{ ok: true; saved: { version: AlertRuleVersion; created: boolean }[] } | { ok: false; problems: AlertRuleProblem[] }> {
    const b = o.bundle as Partial<AlertRuleBundle> | null;
    if (!b || b.format !== 'switchboard-alert-rules' || !Array.isArray(b.rules))
      return {
        ok: false,
        problems: [{ path: '/format', message: 'a bundle is { format: "switchboard-alert-rules", version: 1, rules: [...] }' }],
      };
    if (b.rules.length > MAX_IMPORT) return { ok: false, problems: [{ path: '/rules', message: `at most ${MAX_IMPORT} rules` }] };
    const problems = b.rules.flatMap((r, i) =>
      validateAlertRule(r).map((p) => ({ path: `/rules/${i}${p.path === '/' ? '' : p.path}`, message: p.message })),
    );
    if (problems.length > 0) return { ok: false, problems: problems.slice(0, 20) };
    const saved: { version: AlertRuleVersion; created: boolean }[] = [];
    for (const rule of b.rules) {
      const s = await this.save({ rule, actor: o.actor, origin: 'import' });
      if (s.ok) saved.push({ version: s.version, created: s.created });
    }
    return { ok: true, saved };
  }

  /**
   * At start: each rule file of alerts/ that changed since it was last imported is saved (origin
   * `file`) and deployed enabled; an unchanged file leaves the console's edits alone, as channel
   * files do. CONFIG_INVALID names the first invalid file.
   */
  async syncFiles(files: readonly AlertRuleDefinition[]): Promise<void> {
    const system = { username: 'system' };
    for (const file of files) {
      const digest = digestOf(file);
      const state = await this.o.rules.state(file.id);
      if (state?.fileDigest === digest) continue;
      const saved = await this.save({ rule: file, actor: system, origin: 'file', comment: `alerts/${file.id}` });
      if (!saved.ok)
        throw new SwitchboardError('CONFIG_INVALID', `alert rule ${file.id}${saved.problems[0]!.path}: ${saved.problems[0]!.message}`);
      await this.o.rules.setState(file.id, {
        state: 'enabled',
        version: saved.version.version,
        fileDigest: digest,
        updatedBy: system.username,
      });
      await this.audit(system, `alert-rule:${file.id}`, { deploy: saved.version.version, state: 'enabled', origin: 'file' });
    }
  }

  private async audit(actor: Actor, target: string, details: Record<string, unknown>): Promise<void> {
    await this.o.audit.append({
      actor: actor.username,
      action: AuditAction.configChange,
      outcome: 'success',
      target,
      details,
      ...(actor.sourceIp ? { sourceIp: actor.sourceIp } : {}),
    });
  }
}
