/**
 * The one place that hands the connectors (connectors/index.ts) to the engine: the engine never
 * imports connectors/, so a new connector is one `define…()` file listed in connectors/index.ts.
 * Used by the engine's entry points (engine/main.ts, the `switchboard` command), the demo, the
 * benchmarks and the tests.
 */
import { connectors } from './connectors/index.ts';
import { Engine, type EngineOptions } from './engine/engine.ts';
import { flows } from './flows/index.ts';

export { connectors, flows };

/** An engine running the shipped connectors. */
export function createEngine(options: Omit<EngineOptions, 'connectors'>): Engine {
  return new Engine({ ...options, connectors });
}
