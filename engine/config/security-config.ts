import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SwitchboardError } from '../errors.ts';

/**
 * Security settings from the environment (beside config.ts, which holds the engine's own): the
 * first administrator, sessions, HTTPS, encryption at rest and the destination host allow-list.
 * Values marked secret are never logged or returned by the API.
 */
export const SecurityConfigSchema = Type.Object({
  SWITCHBOARD_ADMIN_USER: Type.String({
    default: 'admin',
    pattern: '^[A-Za-z0-9._@-]{1,64}$',
    description: 'Name of the first administrator, created at first start.',
  }),
  SWITCHBOARD_ADMIN_PASSWORD: Type.Optional(
    Type.String({
      minLength: 12,
      description: 'Password of the first administrator (a secret). Unset: a one-time setup token is printed once instead.',
    }),
  ),
  SESSION_IDLE_MINUTES: Type.Integer({
    default: 15,
    minimum: 1,
    maximum: 720,
    description: 'A console session unused this long ends (automatic logoff).',
  }),
  SESSION_MAX_HOURS: Type.Integer({
    default: 12,
    minimum: 1,
    maximum: 168,
    description: 'A session ends this long after sign-in, used or not.',
  }),
  LOGIN_MAX_FAILURES: Type.Integer({ default: 5, minimum: 1, description: 'Failed sign-ins in a row before the account is locked.' }),
  LOGIN_LOCK_MINUTES: Type.Integer({ default: 15, minimum: 1, description: 'How long a locked account stays locked.' }),
  CONSOLE_ORIGIN: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Origins the console is served from (`https://switchboard.example.org`, comma-separated): a change to the admin API whose Origin ' +
        "or Referer names another is refused. Unset: the request's own origin (the scheme this server speaks and the Host header); set " +
        'it behind a proxy.',
    }),
  ),
  HTTPS_CERT_FILE: Type.Optional(
    Type.String({ minLength: 1, description: 'PEM certificate: with HTTPS_KEY_FILE, the HTTP server speaks HTTPS only.' }),
  ),
  HTTPS_KEY_FILE: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of HTTPS_CERT_FILE.' })),
  ENCRYPTION_KEYS: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]{43,44}(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]{43,44})*$',
      description: 'Message encryption at rest (a secret): `id:base64key,…`, 32-byte AES-256-GCM keys, the first encrypts, all decrypt.',
    }),
  ),
  ENCRYPTION_KEY_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'A file holding ENCRYPTION_KEYS (one `id:base64key` per line, first line encrypts); used when ENCRYPTION_KEYS is unset.',
    }),
  ),
  SEARCH_HASH_KEY: Type.Optional(
    Type.String({
      minLength: 44,
      description:
        'Base64 key (32+ bytes, a secret): MRN, control id and ordering keys are stored as keyed hashes, searchable by equality only.',
    }),
  ),
  ALLOWED_DESTINATION_HOSTS: Type.String({
    default: 'localhost,127.0.0.1,::1',
    description:
      'Hosts destinations and alert notifications (ALERT_WEBHOOK_URL, ALERT_SMTP_HOST) may connect to (`*.example.org` allowed); ' +
      'anything else is refused at channel load or start (no server-side request forgery).',
  }),
});
export type SecurityConfig = Static<typeof SecurityConfigSchema>;

/** Whether `s` is an origin and nothing more (no path, query or user). */
function isOrigin(s: string): boolean {
  try {
    const url = new URL(s.trim());
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === s.trim().replace(/\/$/, '').toLowerCase();
  } catch {
    return false;
  }
}

/** Reads and checks security settings; CONFIG_INVALID names the variable, never its value. */
export function loadSecurityConfig(env: NodeJS.ProcessEnv = process.env): SecurityConfig {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(SecurityConfigSchema.properties)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const value = Value.Default(SecurityConfigSchema, Value.Convert(SecurityConfigSchema, input)) as SecurityConfig;
  const error = Value.Errors(SecurityConfigSchema, value).First();
  if (error)
    throw new SwitchboardError(
      'CONFIG_INVALID',
      `${error.path.replace(/^\//, '')}: does not match its format (see the README configuration table)`,
    );
  if (value.CONSOLE_ORIGIN !== undefined && !value.CONSOLE_ORIGIN.split(',').every(isOrigin))
    throw new SwitchboardError(
      'CONFIG_INVALID',
      'CONSOLE_ORIGIN: each entry is a scheme, host and optional port, such as https://switchboard.example.org',
    );
  if (Boolean(value.HTTPS_CERT_FILE) !== Boolean(value.HTTPS_KEY_FILE))
    throw new SwitchboardError('CONFIG_INVALID', 'HTTPS_CERT_FILE and HTTPS_KEY_FILE go together');
  return value;
}
