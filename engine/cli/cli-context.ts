import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AuditLog } from '../audit/audit-log.ts';
import { loadSecurityConfig, type SecurityConfig } from '../config/security-config.ts';
import { SwitchboardError } from '../errors.ts';
import { Keyring, SearchHasher } from '../security/encryption.ts';
import type { Principal } from '../security/roles.ts';
import { Store } from '../store/store.ts';
import { RecordSealer } from '../store/record-sealer.ts';
import { failure } from './cli-output.ts';

/** Where a command writes: `out` for results (stdout), `err` for problems and progress (stderr). */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Writes to stderr without a newline (a progress line redrawn in place); only on a terminal. */
  redraw?: (s: string) => void;
}

/** The options every support command takes: `--json` for scripts, `--actor NAME` for the audit log. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean', default: false },
  actor: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** A refused command line: the command prints its usage and exits 2. */
export class UsageError extends Error {}

/** util.parseArgs, strict; an unknown or malformed option becomes a UsageError. */
export function parseCommandLine<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const ACTOR = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * Who a command acts as: `cli:<name>`, the name from `--actor` or else the operating-system user.
 * The `cli:` prefix marks every audit entry the command line writes (as `switchboard channels
 * import` does). The command line acts with the store's own credentials, so with every permission
 * on every channel, but without the PHI permission: what it prints is masked as for such a user.
 */
export function cliPrincipal(actor: string | undefined): Principal {
  const name = actor ?? userInfo().username;
  if (!ACTOR.test(name)) throw new UsageError(`--actor takes 1 to 64 letters, digits, '.', '_', '@' or '-'`);
  return { username: `cli:${name}`, role: 'admin', channels: '*', phi: false, via: 'cli' };
}

/** The store and audit log a support command works on, opened from MONGODB_URL and MONGODB_DB. */
export interface CliContext {
  store: Store;
  audit: AuditLog;
  security: SecurityConfig;
  close(): Promise<void>;
}

/**
 * Opens the store as the engine does (with ENCRYPTION_KEYS and SEARCH_HASH_KEY when set, so sealed
 * messages open) and the audit log. UsageError without MONGODB_URL; CONFIG_INVALID for bad
 * security settings; STORE_UNAVAILABLE when the store does not answer (the store is closed again).
 */
export async function openCliContext(env: NodeJS.ProcessEnv): Promise<CliContext> {
  if (!env.MONGODB_URL) throw new UsageError('MONGODB_URL is not set');
  const security = loadSecurityConfig(env);
  const keyring = Keyring.fromConfig(security);
  const hasher = security.SEARCH_HASH_KEY ? new SearchHasher(Buffer.from(security.SEARCH_HASH_KEY, 'base64')) : undefined;
  const sealer = new RecordSealer({ ...(keyring ? { keyring } : {}), ...(hasher ? { hasher } : {}) });
  const store = new Store({ url: env.MONGODB_URL, dbName: env.MONGODB_DB || 'switchboard', sealer });
  try {
    await store.start();
    const audit = new AuditLog(store);
    await audit.start();
    return { store, audit, security, close: () => store.close() };
  } catch (err) {
    await store.close();
    throw err instanceof SwitchboardError ? err : new SwitchboardError('STORE_UNAVAILABLE', 'cannot open the store', { cause: err });
  }
}

/**
 * Runs a command's body: a UsageError prints the message and `usage` (exit 2), any other error one
 * line naming its code (exit 1, see failure()); else the body's exit code.
 */
export async function runCommand(name: string, usage: string, io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n${usage}`);
      return 2;
    }
    io.err(failure(name, err));
    return 1;
  }
}

/** Opens the context (openCliContext), runs `body` with it, and closes it whatever happens. */
export async function withContext<T>(env: NodeJS.ProcessEnv, body: (ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = await openCliContext(env);
  try {
    return await body(ctx);
  } finally {
    await ctx.close();
  }
}

/** All of standard input as text (a secret given with `--password-stdin`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
