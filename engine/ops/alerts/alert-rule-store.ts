import type { Collection } from 'mongodb';
import { VersionedStore, type DefinitionVersion, type SaveMeta } from '../../definitions/versioned-store.ts';
import type { Store } from '../../store/store.ts';
import { storeCall } from '../../store/store-call.ts';
import type { AlertRuleDefinition, AlertRuleState } from './alert-api-types.ts';

/** The collection of alert rule versions (one version per document, never rewritten). */
export const ALERT_RULES_COLLECTION = 'alert_rules';
/** Which version of each rule is evaluated, and whether: one small document per deployed rule. */
export const ALERT_RULE_STATES_COLLECTION = 'alert_rule_states';

export type AlertRuleVersion = DefinitionVersion<AlertRuleDefinition>;

/** A rule's deployment; no document: never deployed (`undeployed`). */
export interface AlertRuleStateRecord {
  _id: string;
  state: Exclude<AlertRuleState, 'undeployed'>;
  version: number;
  /** Digest of the rule file last imported at start, so an unchanged file never overrides console edits. */
  fileDigest?: string;
  updatedAt: Date;
  updatedBy: string;
}

/**
 * Alert rules in the store: their versions (VersionedStore in `alert_rules`, as mappings and
 * tables) and their deployments (`alert_rule_states`). Versions are immutable, so the evaluator
 * keeps those it read by `<id>@<version>`. Every failure is STORE_UNAVAILABLE.
 */
export class AlertRuleStore {
  readonly versions: VersionedStore<AlertRuleDefinition>;
  private readonly states: Collection<AlertRuleStateRecord>;
  private readonly read = new Map<string, AlertRuleVersion>();

  constructor(store: Store) {
    this.versions = new VersionedStore<AlertRuleDefinition>(store, ALERT_RULES_COLLECTION, 'alert rule');
    this.states = store.collection<AlertRuleStateRecord>(ALERT_RULE_STATES_COLLECTION);
  }

  start(): Promise<void> {
    return this.versions.start();
  }

  save(definition: AlertRuleDefinition, meta: SaveMeta) {
    return this.versions.save(definition.id, definition, meta);
  }

  /** One version, from memory once read (versions never change). */
  async version(id: string, version: number): Promise<AlertRuleVersion | undefined> {
    const key = `${id}@${version}`;
    const known = this.read.get(key);
    if (known) return known;
    const v = await this.versions.version(id, version);
    if (v) this.read.set(key, v);
    return v;
  }

  async state(id: string): Promise<AlertRuleStateRecord | undefined> {
    return (await storeCall(() => this.states.findOne({ _id: id }), 'alerts.ruleState')) ?? undefined;
  }

  /** Every deployment (a few documents: one per deployed rule). */
  allStates(): Promise<AlertRuleStateRecord[]> {
    return storeCall(() => this.states.find({}).toArray(), 'alerts.ruleStates');
  }

  async setState(id: string, s: Omit<AlertRuleStateRecord, '_id' | 'updatedAt'>): Promise<void> {
    await storeCall(() => this.states.replaceOne({ _id: id }, { ...s, updatedAt: new Date() }, { upsert: true }), 'alerts.setRuleState');
  }

  /** The enabled rules with the definition of their deployed version. */
  async enabled(): Promise<AlertRuleVersion[]> {
    const states = (await this.allStates()).filter((s) => s.state === 'enabled');
    const versions = await Promise.all(states.map((s) => this.version(s._id, s.version)));
    return versions.filter((v): v is AlertRuleVersion => v !== undefined);
  }
}
