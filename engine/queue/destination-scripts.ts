import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SharedScripts } from '../connector.ts';
import { SwitchboardError } from '../errors.ts';
import type { DeliveryTarget } from './delivery-queues.ts';

type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: string[]) => Promise<unknown>;

/**
 * The `shared` capability the engine gives a destination connector (see ConnectorDeps): scripts on
 * the engine's Redis connection, with key names confined to
 * `<prefix>:destination:{<channelId>.<destinationId>}:` (the braces keep one destination's keys in one
 * cluster slot). Each script is defined once on the connection (ioredis `defineCommand`), so it
 * is sent by its SHA-1 (EVALSHA) and loaded again only when Redis lost it. Made by ChannelRuntime
 * for each destination it runs.
 */
export function destinationScripts(redis: Redis, prefix: string, target: DeliveryTarget): SharedScripts {
  const space = `${prefix}:destination:{${target.channelId}.${target.destinationId}}:`;
  return {
    async run(lua, names, args) {
      try {
        return await commandFor(redis, lua)(names.length, ...names.map((n) => space + n), ...args.map(String));
      } catch (err) {
        throw new SwitchboardError('QUEUE_UNAVAILABLE', 'Redis did not run a destination script', { cause: err });
      }
    },
  };
}

/** The connection's command for `lua`, defined the first time it is asked for. */
function commandFor(redis: Redis, lua: string): ScriptCommand {
  const name = `sbScript${createHash('sha1').update(lua).digest('hex')}`;
  const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
  if (!commands[name]) redis.defineCommand(name, { lua });
  return commands[name]!.bind(redis);
}
