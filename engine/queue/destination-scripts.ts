import type { Redis } from 'ioredis';
import type { SharedScripts } from '../connector.ts';
import { SwitchboardError } from '../errors.ts';

/**
 * The `shared` capability the engine gives a destination connector (see ConnectorDeps): scripts on
 * the engine's Redis connection, with key names confined to
 * `<prefix>:destination:{<destinationId>}:` (the braces keep one destination's keys in one
 * cluster slot). Made by ChannelRuntime for each destination it runs.
 */
export function destinationScripts(redis: Redis, prefix: string, destinationId: string): SharedScripts {
  const space = `${prefix}:destination:{${destinationId}}:`;
  return {
    async run(lua, names, args) {
      try {
        return await redis.eval(lua, names.length, ...names.map((n) => space + n), ...args.map(String));
      } catch (err) {
        throw new SwitchboardError('QUEUE_UNAVAILABLE', 'Redis did not run a destination script', { cause: err });
      }
    },
  };
}
