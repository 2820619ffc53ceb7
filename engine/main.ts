import { fileURLToPath, pathToFileURL } from 'node:url';
import { readChannelDir } from './channels/channel-files.ts';
import path from 'node:path';
import type { ChannelDefinition } from './channel.ts';
import { loadConfig } from './config/config.ts';
import { Engine } from './engine.ts';
import { toSwitchboardError } from './errors.ts';
import { createLogger } from './log.ts';

const CHANNELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../channels');

/** Every `*.channel.ts`, `.js` or `.json` in the channels folder. */
export function loadChannels(dir = CHANNELS_DIR): Promise<ChannelDefinition[]> {
  return readChannelDir(dir);
}

/**
 * `switchboard start`: loads settings and channels, starts the engine, stops it cleanly on
 * SIGTERM/SIGINT. A start failure prints one clear line and exits 1.
 */
export async function main(): Promise<void> {
  const log = createLogger({ component: 'engine' });
  let engine: Engine | undefined;
  try {
    const config = loadConfig();
    engine = new Engine({ config, channels: await loadChannels(process.env.SWITCHBOARD_CHANNELS_DIR ? path.resolve(process.env.SWITCHBOARD_CHANNELS_DIR) : CHANNELS_DIR), log });
    await engine.start();
  } catch (err) {
    const e = toSwitchboardError(err);
    log.error(`engine did not start: ${e.code}: ${e.message}`);
    await engine?.close();
    process.exit(1);
  }
  const stop = (signal: string) => {
    log.info('stopping', { signal });
    void engine!.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
