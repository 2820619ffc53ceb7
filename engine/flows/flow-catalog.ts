import type { ConnectorRegistry } from '../connector.ts';
import { DefinitionOrigin, VersionedStore } from '../definitions/versioned-store.ts';
import { SwitchboardError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { FlowDefinition } from './flow-schema.ts';
import { validateFlow } from './validate-flow.ts';

/** The collection of flow definition versions (the definition as JSON text: FerretDB refuses arrays in arrays). */
export const FLOW_VERSIONS_COLLECTION = 'flow_versions';

/** A flow as this process runs it: its definition and the stored version number that instances record. */
export interface LoadedFlow {
  definition: FlowDefinition;
  version: number;
}

/**
 * The flows this deployment runs (issue 24), loaded once at engine start from the explicit list the
 * wiring file hands in (flows/index.ts). Each is checked by validateFlow first: a flow whose steps
 * form a cycle, name an unknown step, connector or output field is refused, and the engine does not
 * start (CONFIG_INVALID naming the flow, the place and the problem). Each is then stored as a
 * version in `flow_versions` (a changed file makes the next version), so an instance records the
 * version it runs and the console shows the history. Instances run the version they were created
 * with: `at(id, version)` reads an earlier one back.
 */
export class FlowCatalog {
  private readonly byId = new Map<string, LoadedFlow>();
  /** The flows each channel's events start (intake asks per message: looked up, not filtered). */
  private readonly byChannel = new Map<string, LoadedFlow[]>();
  private readonly earlier = new Map<string, Promise<FlowDefinition | undefined>>();

  private constructor(private readonly versions: VersionedStore<string>) {}

  static async load(o: {
    flows: readonly FlowDefinition[];
    connectors: ConnectorRegistry;
    env: NodeJS.ProcessEnv;
    store: Store;
  }): Promise<FlowCatalog> {
    const problems = o.flows.flatMap((f) =>
      validateFlow(f, { connectors: o.connectors, env: o.env }).map((p) => `flow ${f.id ?? '?'} ${p.path}: ${p.message}`),
    );
    const ids = o.flows.map((f) => f.id);
    for (const id of new Set(ids)) if (ids.indexOf(id) !== ids.lastIndexOf(id)) problems.push(`flow ${id} is declared twice`);
    if (problems.length > 0) throw new SwitchboardError('CONFIG_INVALID', `flows refused: ${problems.join('; ')}`);
    const versions = new VersionedStore<string>(o.store, FLOW_VERSIONS_COLLECTION, 'flow');
    await versions.start();
    const catalog = new FlowCatalog(versions);
    for (const definition of o.flows) {
      const { version } = await versions.save(definition.id, JSON.stringify(definition), { origin: DefinitionOrigin.file, author: 'file' });
      const loaded = { definition, version: version.version };
      catalog.byId.set(definition.id, loaded);
      const channel = definition.trigger.channelId;
      catalog.byChannel.set(channel, [...(catalog.byChannel.get(channel) ?? []), loaded]);
    }
    return catalog;
  }

  /** Every flow, in the order given. */
  all(): LoadedFlow[] {
    return [...this.byId.values()];
  }

  get(id: string): LoadedFlow | undefined {
    return this.byId.get(id);
  }

  /** The flows a channel's events start. */
  triggeredBy(channelId: string): readonly LoadedFlow[] {
    return this.byChannel.get(channelId) ?? [];
  }

  /** The definition of `id` at `version` (an instance's); undefined when no such version is stored. */
  at(id: string, version: number): Promise<FlowDefinition | undefined> {
    const current = this.byId.get(id);
    if (current?.version === version) return Promise.resolve(current.definition);
    const key = `${id}@${version}`;
    let found = this.earlier.get(key);
    if (!found) {
      found = this.versions.version(id, version).then((v) => (v ? (JSON.parse(v.definition) as FlowDefinition) : undefined));
      this.earlier.set(key, found);
      found.catch(() => this.earlier.delete(key));
    }
    return found;
  }

  /** The stored versions of a flow, newest first (the console's history). */
  history(id: string) {
    return this.versions.history(id);
  }
}
