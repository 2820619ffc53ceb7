import type { ChannelDefinition, DestinationSpec } from '../../engine/channel.ts';
import { loadConfig, type EngineConfig } from '../../engine/config/config.ts';
import { loadSecurityConfig, type SecurityConfig } from '../../engine/config/security-config.ts';
import type { Engine, EngineAddresses, EngineOptions } from '../../engine/engine.ts';
import { createEngine } from '../../wiring.ts';
import { createLogger, silentLogger, type Logger } from '../../engine/log.ts';
import ehrMllp from '../../channels/ehr-mllp.channel.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import type { FlowDefinition } from '../../engine/flows/flow-schema.ts';
import { sharedMongoUrl, sharedRedisUrl } from './services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/** The demo channel on a free port, delivering to `erpUrl`, with fast retries for tests. */
export function testChannel(options: { erpUrl: string; retry?: DestinationSpec['retry']; id?: string }): ChannelDefinition {
  return {
    ...ehrMllp,
    id: options.id ?? ehrMllp.id,
    source: { ...ehrMllp.source, host: '127.0.0.1', port: 0 },
    destinations: ehrMllp.destinations.map((d) => ({
      ...d,
      config: { ...d.config, baseUrl: options.erpUrl, timeoutMs: 2000 },
      retry: options.retry ?? { attempts: 5, initialDelayMs: 50, maxDelayMs: 500 },
    })),
  };
}

export interface TestEngine {
  engine: Engine;
  addresses: EngineAddresses;
  mllpPort: number;
  config: EngineConfig;
  /** `authorization` header of an API token of the administrator the harness created. */
  adminHeaders: { authorization: string };
  close(): Promise<void>;
}

/**
 * An encryption key for tests whose channels carry literal secrets (tokens, API keys): those are
 * stored only sealed, so such an engine needs ENCRYPTION_KEYS.
 */
export const TEST_ENCRYPTION = { ENCRYPTION_KEYS: `test:${Buffer.alloc(32, 7).toString('base64')}` } as const;

/** The first administrator of every test engine. */
export const TEST_ADMIN = { username: 'admin', password: 'correct horse battery staple' } as const;

/**
 * An in-process engine on real services, with its own database and queue prefix so tests run in
 * parallel; the relay runs every 200 ms on work older than 500 ms.
 */
export async function startTestEngine(options: {
  channels: ChannelDefinition[];
  redisUrl?: string;
  mongoUrl?: string;
  config?: Partial<EngineConfig>;
  dbName?: string;
  prefix?: string;
  verbose?: boolean;
  transforms?: ReadonlyMap<string, Transform>;
  /** The process flows it runs; default none. */
  flows?: readonly FlowDefinition[];
  /** Where `${VAR}` placeholders of channels and flows are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
  security?: Partial<SecurityConfig>;
  /** Where the engine's log lines go (default: nowhere, or the console when verbose). */
  log?: Logger;
  /** Receives what the engine prints once (the setup token when no administrator is configured). */
  announce?: (line: string) => void;
  /** Alert rules as files of alerts/ would give them. */
  alertRules?: EngineOptions['alertRules'];
}): Promise<TestEngine> {
  const config: EngineConfig = {
    ...loadConfig({
      REDIS_URL: options.redisUrl ?? sharedRedisUrl(),
      MONGODB_URL: options.mongoUrl ?? sharedMongoUrl(),
      MONGODB_DB: options.dbName ?? uniqueName('sbtest'),
      QUEUE_PREFIX: options.prefix ?? uniqueName('sbq'),
      HTTP_PORT: '0',
      RELAY_INTERVAL_MS: '200',
      RELAY_STALE_MS: '500',
      STORE_TIMEOUT_MS: '3000',
      SHUTDOWN_GRACE_MS: '2000',
      STARTUP_TIMEOUT_MS: '3000',
    }),
    ...options.config,
  };
  const log = options.log ?? (options.verbose ? createLogger({ level: 'debug' }) : silentLogger());
  const security = {
    ...loadSecurityConfig({ SWITCHBOARD_ADMIN_USER: TEST_ADMIN.username, SWITCHBOARD_ADMIN_PASSWORD: TEST_ADMIN.password }),
    ...options.security,
  };
  const engine = createEngine({
    config,
    security,
    channels: options.channels,
    log,
    ...(options.transforms ? { transforms: options.transforms } : {}),
    ...(options.flows ? { flows: options.flows } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.announce ? { announce: options.announce } : {}),
    ...(options.alertRules ? { alertRules: options.alertRules } : {}),
  });
  const addresses = await engine.start();
  const mllpPort = Object.values(addresses.mllp)[0]!;
  const token = engine.auth ? (await engine.auth.createApiToken(TEST_ADMIN.username, 'tests')).token : 'none (no HTTP in this role)';
  return { engine, addresses, mllpPort, config, adminHeaders: { authorization: `Bearer ${token}` }, close: () => engine.close() };
}

/** Polls `probe` until it returns a truthy value; fails after `timeoutMs` naming `what`. Not a timing assertion: a bound on waiting. */
type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export async function waitFor<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 30_000): Promise<Truthy<Awaited<T>>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as Truthy<Awaited<T>>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
