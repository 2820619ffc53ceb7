import { Value } from '@sinclair/typebox/value';
import type { Static, TSchema } from '@sinclair/typebox';
import { SwitchboardError } from './errors.ts';

/**
 * Applies a connector's declared defaults to raw settings (strings of numbers and booleans
 * converted, as `${VAR}` placeholders leave them) and checks them against its schema.
 * CONFIG_INVALID names the source or destination (`where`) and the first bad field; secret values
 * are never echoed.
 */
export function parseConnectorConfig<S extends TSchema>(def: { config: S }, raw: unknown, where: string): Static<S> {
  const value = Value.Default(def.config, Value.Convert(def.config, structuredClone(raw)));
  const error = Value.Errors(def.config, value).First();
  if (error) {
    throw new SwitchboardError('CONFIG_INVALID', `${where}${error.path || '/'}: ${error.message}`);
  }
  return value as Static<S>;
}
