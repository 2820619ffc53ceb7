import { fileURLToPath, pathToFileURL } from 'node:url';
import { readChannelDir } from './channels/channel-files.ts';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { ChannelDefinition } from './channel.ts';
import { loadConfig, type EngineConfig } from './config/config.ts';
import { loadSecurityConfig } from './config/security-config.ts';
import type { Engine, EngineAddresses } from './engine.ts';
import { createEngine, flows } from '../wiring.ts';
import { SwitchboardError, toSwitchboardError } from './errors.ts';
import type { FlowDefinition } from './flows/flow-schema.ts';
import { createLogger } from './log.ts';
import { startBanner } from './start-banner.ts';
import { readAlertRuleDir } from './ops/alerts/alert-rule-files.ts';

const CHANNELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../channels');
const ALERTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../alerts');

/** Every `*.channel.ts`, `.js` or `.json` in the channels folder. */
export function loadChannels(dir = CHANNELS_DIR): Promise<ChannelDefinition[]> {
  return readChannelDir(dir);
}

/** What only the caller knows, for the start banner (scripts/demo.ts names the files it keeps secrets in). */
export interface MainOptions {
  /** How to sign in to the console; default: how the first administrator is made. Never a password. */
  signIn?: string;
  /** Where FHIR clients find their credentials. Never a token. */
  fhirCredentials?: string;
}

/** The flows of flows/index.ts that FLOWS names (`*` all, `none`); CONFIG_INVALID for an id none has. */
function chosenFlows(setting: string): FlowDefinition[] {
  if (setting === '*') return [...flows];
  if (setting === 'none') return [];
  const ids = setting.split(',');
  const unknown = ids.filter((id) => !flows.some((f) => f.id === id));
  if (unknown.length > 0) throw new SwitchboardError('CONFIG_INVALID', `FLOWS names no flow ${unknown.join(', ')} (flows/index.ts)`);
  return flows.filter((f) => ids.includes(f.id));
}

/**
 * `switchboard start`: loads settings and channels, starts the engine, stops it cleanly on
 * SIGTERM/SIGINT. A start failure prints one clear line and exits 1. Once started, when standard
 * output is a terminal, prints the start banner there (start-banner.ts); the log (standard error)
 * is JSON lines or readable lines as LOG_FORMAT and the terminal decide (log.ts, chooseLogFormat).
 */
export async function main(options: MainOptions = {}): Promise<void> {
  const log = createLogger({ component: 'engine' });
  let engine: Engine | undefined;
  try {
    const config = loadConfig();
    boundHeapGrowth(config.HEAP_GROWING_PERCENT);
    engine = createEngine({
      config,
      channels: await loadChannels(
        process.env.SWITCHBOARD_CHANNELS_DIR ? path.resolve(process.env.SWITCHBOARD_CHANNELS_DIR) : CHANNELS_DIR,
      ),
      flows: chosenFlows(config.FLOWS),
      alertRules: await readAlertRuleDir(
        process.env.SWITCHBOARD_ALERTS_DIR ? path.resolve(process.env.SWITCHBOARD_ALERTS_DIR) : ALERTS_DIR,
      ),
      log,
    });
    const addresses = await engine.start();
    if (process.stdout.isTTY) process.stdout.write(banner(engine, config.SWITCHBOARD_ROLE, addresses, options));
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

function banner(engine: Engine, role: EngineConfig['SWITCHBOARD_ROLE'], addresses: EngineAddresses, options: MainOptions): string {
  const security = loadSecurityConfig();
  const signIn =
    options.signIn ??
    `an account of this deployment (the first, ${security.SWITCHBOARD_ADMIN_USER}, ` +
      `gets SWITCHBOARD_ADMIN_PASSWORD or the one-time setup token)`;
  return startBanner({
    role,
    addresses,
    https: Boolean(security.HTTPS_CERT_FILE),
    httpSources: engine.httpSources(),
    signIn,
    ...(options.fhirCredentials ? { fhirCredentials: options.fhirCredentials } : {}),
  });
}

/**
 * Sets V8's heap growing factor for this process (HEAP_GROWING_PERCENT). V8's own factor here is 4:
 * in a 240 s soak at 500 msg/s (one process, 60–75 MiB of live data) the heap swung between 111 and
 * 337 MiB and RSS between 273 and 495 MiB. With 60%, RSS stayed within 243–265 MiB, and the engine
 * delivered more (27,804 against 22,578 messages) with a lower ACK p99 (1.7 s against 6.9 s). 30%
 * held RSS as well but is too tight at high rates: about 10 full collections a second in ACK-only
 * mode (12,140 msg/s against 27,084) and 20% less durable ingest at 64 connections; 60% costs neither
 * (30,005 and 1,718 msg/s). See docs/performance.md. V8 reads the flag at each full collection, so
 * setting it once the process runs takes effect from the next one.
 */
function boundHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
