import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecurityConfig } from '../config/security-config.ts';
import { SwitchboardError } from '../errors.ts';

/**
 * AES-256-GCM encryption at rest under named keys. A sealed value is
 * `0x01 | kid length | kid | 12-byte IV | 16-byte tag | ciphertext`: the key id travels with every
 * value, so keys can be rotated (the first key of the ring encrypts; all of them decrypt) and a
 * record names the key it needs. GCM authenticates: a changed byte fails to open (CONFIG_INVALID
 * naming the key id when the key is unknown, STORE_UNAVAILABLE when the value was altered).
 */
export class Keyring {
  readonly activeKeyId: string;

  private constructor(private readonly keys: ReadonlyMap<string, Buffer>) {
    this.activeKeyId = [...keys.keys()][0]!;
  }

  /** From ENCRYPTION_KEYS, or else ENCRYPTION_KEY_FILE; undefined when neither is set (encryption off). */
  static fromConfig(config: Pick<SecurityConfig, 'ENCRYPTION_KEYS' | 'ENCRYPTION_KEY_FILE'>): Keyring | undefined {
    let spec = config.ENCRYPTION_KEYS;
    if (!spec && config.ENCRYPTION_KEY_FILE) {
      try {
        spec = readFileSync(config.ENCRYPTION_KEY_FILE, 'utf8')
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter(Boolean)
          .join(',');
      } catch (err) {
        throw new SwitchboardError(
          'CONFIG_INVALID',
          `ENCRYPTION_KEY_FILE cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    }
    return spec ? Keyring.parse(spec) : undefined;
  }

  /** `id:base64key,…`; each key 32 bytes. */
  static parse(spec: string): Keyring {
    const keys = new Map<string, Buffer>();
    for (const item of spec.split(',')) {
      const [id, b64] = item.split(':');
      const key = Buffer.from(b64 ?? '', 'base64');
      if (!id || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || key.length !== 32)
        throw new SwitchboardError('CONFIG_INVALID', 'encryption keys are `id:base64` with 32-byte keys');
      if (keys.has(id)) throw new SwitchboardError('CONFIG_INVALID', `encryption key id ${id} appears twice`);
      keys.set(id, key);
    }
    if (keys.size === 0) throw new SwitchboardError('CONFIG_INVALID', 'no encryption key given');
    return new Keyring(keys);
  }

  /** HMAC-SHA256 of `value` under the active key, base64url: to compare secrets without storing them. */
  mac(value: string): string {
    return createHmac('sha256', this.keys.get(this.activeKeyId)!).update(value, 'utf8').digest('base64url');
  }

  seal(plain: Uint8Array): Buffer {
    const kid = Buffer.from(this.activeKeyId, 'ascii');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([1, kid.length]), kid, iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Uint8Array): Buffer {
    const b = Buffer.from(sealed);
    if (b[0] !== 1) throw new SwitchboardError('STORE_UNAVAILABLE', 'sealed value has an unknown format');
    const kidEnd = 2 + b[1]!;
    const kid = b.subarray(2, kidEnd).toString('ascii');
    const key = this.keys.get(kid);
    if (!key) throw new SwitchboardError('CONFIG_INVALID', `a stored record needs encryption key ${kid}, which is not configured`);
    const decipher = createDecipheriv('aes-256-gcm', key, b.subarray(kidEnd, kidEnd + 12));
    decipher.setAuthTag(b.subarray(kidEnd + 12, kidEnd + 28));
    try {
      return Buffer.concat([decipher.update(b.subarray(kidEnd + 28)), decipher.final()]);
    } catch (err) {
      throw new SwitchboardError('STORE_UNAVAILABLE', 'a sealed value failed authentication (altered or wrong key)', { cause: err });
    }
  }
}

/** Keyed hash for fields searched by equality only (SEARCH_HASH_KEY): `h1:` + HMAC-SHA256, base64url. */
export class SearchHasher {
  constructor(private readonly key: Buffer) {}

  hash(value: string): string {
    return `h1:${createHmac('sha256', this.key).update(value, 'utf8').digest('base64url')}`;
  }
}
