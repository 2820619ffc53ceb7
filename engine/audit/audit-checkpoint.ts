import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { SwitchboardError } from '../errors.ts';

/**
 * Where the audit log was cut (AUDIT_RETENTION_DAYS), signed: the position and hash of the last
 * entry removed, which the first entry kept names as its `prevHash`. `switchboard audit verify`
 * starts the chain from here instead of from the first entry ever written. Stored in
 * `audit_checkpoints` before anything is deleted, and kept (a few hundred bytes per cut).
 *
 * Signed with Ed25519, not an HMAC: whoever holds an HMAC key can also make a checkpoint, so every
 * auditor able to check the log could cut it and forge the seam. With Ed25519 the engine holds the
 * private key (AUDIT_SIGNING_KEY) and an auditor only the public one (AUDIT_VERIFY_KEY), which
 * verifies and cannot sign; a database administrator who deletes entries cannot make the
 * checkpoint that would cover the gap.
 */
export interface AuditCheckpoint {
  /** `checkpoint-<seq>`: one per cut position. */
  _id: string;
  /** Position of the last entry removed by this cut. */
  seq: number;
  /** That entry's hash. */
  hash: string;
  /** When the cut was made. */
  at: Date;
  /** Entries this cut removed (those from the previous cut, or the first, through `seq`). */
  removed: number;
  /** The first 16 hex digits of SHA-256 over the public key: which key signed it. */
  keyId: string;
  /** Ed25519 signature over checkpointPayload, base64. */
  signature: string;
}

/** The exact bytes signed: every field but the signature and the id, one per line. */
export function checkpointPayload(cp: Omit<AuditCheckpoint, 'signature' | '_id'>): Buffer {
  return Buffer.from(['switchboard-audit-checkpoint/1', cp.seq, cp.hash, cp.at.toISOString(), cp.removed, cp.keyId].join('\n'), 'utf8');
}

/** PKCS#8 and SPKI headers of an Ed25519 key (RFC 8410), before its 32 raw bytes. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

const keyIdOf = (publicKey: Buffer): string => createHash('sha256').update(publicKey).digest('hex').slice(0, 16);

/** Checks checkpoints against one public key (AUDIT_VERIFY_KEY, or the public half of AUDIT_SIGNING_KEY). */
export class CheckpointVerifier {
  readonly keyId: string;
  private readonly key: KeyObject;

  constructor(publicKey: Buffer) {
    if (publicKey.length !== 32)
      throw new SwitchboardError('CONFIG_INVALID', 'AUDIT_VERIFY_KEY is a base64 Ed25519 public key of 32 bytes');
    this.key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    this.keyId = keyIdOf(publicKey);
  }

  static fromBase64(b64: string): CheckpointVerifier {
    return new CheckpointVerifier(Buffer.from(b64, 'base64'));
  }

  /** Whether `cp` was signed by this key and is unchanged since. */
  verify(cp: AuditCheckpoint): boolean {
    if (cp.keyId !== this.keyId || typeof cp.signature !== 'string' || !(cp.at instanceof Date)) return false;
    try {
      return verify(null, checkpointPayload(cp), this.key, Buffer.from(cp.signature, 'base64'));
    } catch {
      return false;
    }
  }
}

/** Signs checkpoints with AUDIT_SIGNING_KEY (a 32-byte Ed25519 seed, base64); also verifies them. */
export class CheckpointSigner {
  readonly verifier: CheckpointVerifier;
  private readonly key: KeyObject;

  constructor(seed: Buffer) {
    if (seed.length !== 32) throw new SwitchboardError('CONFIG_INVALID', 'AUDIT_SIGNING_KEY is a base64 Ed25519 private key of 32 bytes');
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    this.verifier = new CheckpointVerifier(rawPublicKey(createPublicKey(this.key)));
  }

  static fromBase64(b64: string): CheckpointSigner {
    return new CheckpointSigner(Buffer.from(b64, 'base64'));
  }

  /** The checkpoint of a cut through entry `seq` whose hash is `hash`, signed. */
  sign(o: { seq: number; hash: string; removed: number; at?: Date }): AuditCheckpoint {
    const body = { seq: o.seq, hash: o.hash, at: o.at ?? new Date(), removed: o.removed, keyId: this.verifier.keyId };
    return { _id: `checkpoint-${o.seq}`, ...body, signature: sign(null, checkpointPayload(body), this.key).toString('base64') };
  }
}

/** A new key pair, base64: the private key for AUDIT_SIGNING_KEY, the public one for AUDIT_VERIFY_KEY (`switchboard audit keygen`). */
export function generateCheckpointKeys(): { signingKey: string; verifyKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return { signingKey: seed.toString('base64'), verifyKey: rawPublicKey(publicKey).toString('base64') };
}

/** The verifier the settings give: AUDIT_VERIFY_KEY, else the public half of AUDIT_SIGNING_KEY; undefined with neither. */
export function checkpointVerifierOf(o: {
  AUDIT_SIGNING_KEY?: string | undefined;
  AUDIT_VERIFY_KEY?: string | undefined;
}): CheckpointVerifier | undefined {
  if (o.AUDIT_VERIFY_KEY) return CheckpointVerifier.fromBase64(o.AUDIT_VERIFY_KEY);
  return o.AUDIT_SIGNING_KEY ? CheckpointSigner.fromBase64(o.AUDIT_SIGNING_KEY).verifier : undefined;
}
