import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (RFC 7914), as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`.
 * N = 2^15, r = 8, p = 1: 32 MiB and about 60 ms per guess on this project's 2-core reference
 * machine. OWASP's cheat sheet asks for N = 2^17; we stay lower so that a burst of sign-ins cannot
 * starve MLLP intake on small hosts. Parameters are stored with each hash, so they can be raised
 * without invalidating existing passwords.
 */
const COST = { log2N: 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, o: { log2N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** o.log2N, r: o.r, p: o.p, maxmem: 256 * 2 ** o.log2N * o.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.log2N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, log2N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), { log2N: Number(log2N), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Why a password is refused, or undefined. At least 12 characters (NIST SP 800-63B §5.1.1.2), at most 256. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 12) return 'a password has at least 12 characters';
  if (password.length > 256) return 'a password has at most 256 characters';
  return undefined;
}
