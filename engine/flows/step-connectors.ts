import { interpolateEnv } from '../config/interpolate.ts';
import { parseConnectorConfig } from '../connector-config.ts';
import type { ConnectorRegistry, DestinationConnector, DestinationDefinition } from '../connector.ts';
import { SwitchboardError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { FlowStepDefinition } from './flow-schema.ts';

/** A step's connector, made and connected once per process. */
export interface StepConnector {
  connector: DestinationConnector;
  definition: DestinationDefinition;
}

/**
 * The connectors a flow's steps and compensations call, one per flow version, step and use (`call`
 * or `undo`), made from the step's `connector` settings (placeholders read from `env`, as channels'
 * are) on first use and connected before the first send (again after a failed connect). Closed
 * with the flow's worker.
 */
export class StepConnectors {
  private readonly made = new Map<string, { made: StepConnector; connected?: Promise<void> }>();

  constructor(private readonly o: { connectors: ConnectorRegistry; env: NodeJS.ProcessEnv; log: Logger; signal: AbortSignal }) {}

  /** The connected connector of a step's call or compensation; PEER_NOT_CONNECTED when it cannot connect. */
  async get(flowKey: string, step: FlowStepDefinition, use: 'call' | 'undo'): Promise<StepConnector> {
    const settings = use === 'call' ? step.connector : step.compensation?.connector;
    if (!settings) throw new SwitchboardError('CONFIG_INVALID', `step ${step.id} has no ${use === 'call' ? 'connector' : 'compensation'}`);
    const key = `${flowKey}/${step.id}/${use}`;
    let entry = this.made.get(key);
    if (!entry) {
      const definition = this.o.connectors.destination(settings.kind);
      if (!definition) throw new SwitchboardError('CONFIG_INVALID', `step ${step.id}: unknown connector ${settings.kind}`);
      const where = `flow step ${step.id}`;
      const config = parseConnectorConfig(definition, interpolateEnv(settings.config, this.o.env, where), where);
      entry = { made: { connector: definition.create(config, { log: this.o.log }), definition } };
      this.made.set(key, entry);
    }
    const e = entry;
    e.connected ??= e.made.connector.connect(this.o.signal).catch((err: unknown) => {
      e.connected = undefined;
      throw err instanceof SwitchboardError ? err : new SwitchboardError('PEER_NOT_CONNECTED', 'connect failed', { cause: err });
    });
    await e.connected;
    return e.made;
  }

  async close(): Promise<void> {
    await Promise.all([...this.made.values()].map((e) => e.made.connector.close().catch(() => undefined)));
    this.made.clear();
  }
}
