import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { SwitchboardError } from '../errors.ts';

/** Signature algorithms SMART Backend Services requires (https://hl7.org/fhir/smart-app-launch/backend-services.html). */
const ALGORITHMS = {
  RS384: { hash: 'sha384', kty: 'RSA', dsaEncoding: undefined },
  ES384: { hash: 'sha384', kty: 'EC', dsaEncoding: 'ieee-p1363' },
} as const;

export interface VerifiedJwt {
  header: { alg: string; kid?: string; typ?: string };
  claims: Record<string, unknown>;
}

/** Why a JWT was refused, in words safe to return to the client: AUTH_REQUIRED (the caller is not authenticated). */
export class JwtError extends SwitchboardError {
  constructor(reason: string) {
    super('AUTH_REQUIRED', reason);
    this.name = 'JwtError';
  }
}

const b64json = (part: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new JwtError('the assertion is not a well-formed JWT');
  return value as Record<string, unknown>;
};

/**
 * Verifies a compact JWS signed with RS384 or ES384 by one of `jwks` (the key named by `kid`, or
 * any of the right type when there is no `kid`), and returns its header and claims. Checks the
 * signature only: the caller checks iss, sub, aud, exp and jti. Throws JwtError.
 */
export function verifyJwt(token: string, jwks: readonly JsonWebKey[]): VerifiedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('the assertion is not a well-formed JWT');
  const [h, p, s] = parts as [string, string, string];
  const header = b64json(h) as VerifiedJwt['header'];
  const alg = ALGORITHMS[header.alg as keyof typeof ALGORITHMS];
  if (!alg) throw new JwtError(`alg ${String(header.alg)} is not accepted (RS384 or ES384)`);
  const candidates = jwks.filter((k) => k.kty === alg.kty && (header.kid === undefined || k.kid === header.kid));
  if (candidates.length === 0) throw new JwtError('no registered key matches the assertion (kid, kty)');
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const ok = candidates.some((jwk) => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      return false;
    }
    return verify(alg.hash, data, alg.dsaEncoding ? { key, dsaEncoding: alg.dsaEncoding } : key, signature);
  });
  if (!ok) throw new JwtError('the assertion signature does not verify');
  return { header, claims: b64json(p) };
}
