import { createHash, randomBytes } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SwitchboardError, type ErrorCode } from '../errors.ts';
import { JwtError, verifyJwt } from './jwt.ts';

/** A backend client registered on a FHIR channel: its id, public keys and the scopes it may get. */
export interface SmartClient {
  clientId: string;
  jwks: { keys: JsonWebKey[] };
  /** e.g. `system/ChargeItem.write`, `system/*.write`, or SMART v2 `system/ChargeItem.c`. */
  scopes: readonly string[];
}

export interface GrantedToken {
  clientId: string;
  channelId: string;
  scopes: string[];
}

/** OAuth 2.0 error codes (RFC 6749 §5.2) and the catalog code each is answered as. */
const OAUTH_CODES = {
  invalid_request: 'BAD_REQUEST',
  invalid_client: 'AUTH_REQUIRED',
  invalid_grant: 'BAD_REQUEST',
  invalid_scope: 'BAD_REQUEST',
  unsupported_grant_type: 'BAD_REQUEST',
  temporarily_unavailable: 'QUEUE_UNAVAILABLE',
} as const satisfies Record<string, ErrorCode>;

/**
 * An OAuth 2.0 error (RFC 6749 §5.2) for the token endpoint's answer: `error` and `description`
 * are its body, `status` the catalog's HTTP status of its code (400; 401 for invalid_client; 503
 * when Redis, which holds tokens and jti values, does not answer).
 */
export class OAuthError extends SwitchboardError {
  constructor(
    readonly error: keyof typeof OAUTH_CODES,
    readonly description: string,
  ) {
    super(OAUTH_CODES[error], description);
    this.name = 'OAuthError';
  }

  get status(): number {
    return this.httpStatus;
  }
}

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_S = 300;
const TOKEN_LIFETIME_S = 300;

/**
 * SMART Backend Services (client credentials with `private_key_jwt`) for one FHIR channel:
 * checks the client's signed assertion (RS384/ES384, iss = sub = client id, aud = the token
 * endpoint, exp at most 5 minutes ahead, jti never seen before) and grants the requested scopes the
 * client is registered for. Tokens and seen jti values live in Redis with their expiry; a flushed
 * Redis ends live tokens early (clients ask again) and forgets jti values of at most 5 minutes.
 */
export class SmartAuthority {
  constructor(
    private readonly o: { channelId: string; clients: readonly SmartClient[]; redis: Redis; prefix: string; now?: () => number },
  ) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  async token(
    form: Record<string, string | undefined>,
    tokenEndpoint: string,
  ): Promise<{ access_token: string; token_type: 'bearer'; expires_in: number; scope: string }> {
    if (form.grant_type !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'grant_type must be client_credentials');
    if (form.client_assertion_type !== ASSERTION_TYPE)
      throw new OAuthError('invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
    if (!form.client_assertion) throw new OAuthError('invalid_request', 'client_assertion is required');
    const unverified = this.peekClaims(form.client_assertion);
    const client = this.o.clients.find((c) => c.clientId === unverified.iss);
    if (!client) throw new OAuthError('invalid_client', 'unknown client');
    let claims: Record<string, unknown>;
    try {
      claims = verifyJwt(form.client_assertion, client.jwks.keys).claims;
    } catch (err) {
      throw new OAuthError('invalid_client', err instanceof JwtError ? err.message : 'the assertion could not be verified');
    }
    const nowS = Math.floor(this.now() / 1000);
    if (claims.iss !== client.clientId || claims.sub !== client.clientId)
      throw new OAuthError('invalid_client', 'iss and sub must both be the client id');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(tokenEndpoint)) throw new OAuthError('invalid_client', `aud must be the token endpoint ${tokenEndpoint}`);
    if (typeof claims.exp !== 'number' || claims.exp <= nowS) throw new OAuthError('invalid_client', 'the assertion has expired');
    if (claims.exp > nowS + MAX_ASSERTION_LIFETIME_S) throw new OAuthError('invalid_client', 'exp must be at most 5 minutes ahead');
    if (typeof claims.jti !== 'string' || claims.jti === '') throw new OAuthError('invalid_client', 'jti is required');
    const jtiHash = createHash('sha256').update(claims.jti).digest('hex');
    const jtiKey = `${this.o.prefix}:smart:jti:${this.o.channelId}:${client.clientId}:${jtiHash}`;
    const fresh = await this.guard(() => this.o.redis.set(jtiKey, '1', 'EX', (claims.exp as number) - nowS + 60, 'NX'));
    if (fresh !== 'OK') throw new OAuthError('invalid_client', 'the assertion was already used (jti)');

    const requested = (form.scope ?? '').split(/\s+/).filter(Boolean);
    const granted = requested.filter((s) => client.scopes.includes(s));
    if (granted.length === 0) throw new OAuthError('invalid_scope', `none of the requested scopes is registered for ${client.clientId}`);
    const accessToken = randomBytes(32).toString('base64url');
    const value: GrantedToken = { clientId: client.clientId, channelId: this.o.channelId, scopes: granted };
    await this.guard(() => this.o.redis.set(this.tokenKey(accessToken), JSON.stringify(value), 'EX', TOKEN_LIFETIME_S));
    return { access_token: accessToken, token_type: 'bearer', expires_in: TOKEN_LIFETIME_S, scope: granted.join(' ') };
  }

  /** The grant behind a bearer token issued by this channel, or undefined. */
  async lookup(accessToken: string): Promise<GrantedToken | undefined> {
    const raw = await this.guard(() => this.o.redis.get(this.tokenKey(accessToken)));
    const grant = raw ? (JSON.parse(raw) as GrantedToken) : undefined;
    return grant?.channelId === this.o.channelId ? grant : undefined;
  }

  private tokenKey(token: string): string {
    return `${this.o.prefix}:smart:token:${createHash('sha256').update(token).digest('hex')}`;
  }

  /** The claims before verification, only to find the client whose keys verify them. */
  private peekClaims(jwt: string): { iss?: unknown } {
    try {
      return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
    } catch {
      throw new OAuthError('invalid_client', 'the assertion is not a well-formed JWT');
    }
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch {
      throw new OAuthError('temporarily_unavailable', 'the authorization store is unavailable; retry');
    }
  }
}

/**
 * Whether granted scopes allow writing a resource type: SMART v1 `system/<Type>.write` or `.*`,
 * v2 `system/<Type>.c` (create) / `.u` (update) or any `cruds` combination holding the letter;
 * `<Type>` may be `*`.
 */
export function scopeAllows(scopes: readonly string[], resourceType: string, action: 'create' | 'update'): boolean {
  const letter = action === 'create' ? 'c' : 'u';
  return scopes.some((scope) => {
    const m = /^system\/([A-Za-z*]+)\.([a-z*]+)$/.exec(scope);
    if (!m || (m[1] !== '*' && m[1] !== resourceType)) return false;
    const access = m[2]!;
    return access === 'write' || access === '*' || (/^c?r?u?d?s?$/.test(access) && access.includes(letter));
  });
}
