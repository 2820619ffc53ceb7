/**
 * MLLP over TLS, both ends: the listener's options and client-certificate allow-lists (an MLLP
 * source), and the client connection of the `mllp-out` destination. Certificates and keys are PEM
 * files, read when the listener starts or the destination connects; their content is never logged.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import { SwitchboardError } from '../../engine/errors.ts';
import { classifyNetworkError } from '../http/http-failures.ts';
import { TlsClientConfig } from '../http/tls-client.ts';

/**
 * An MLLP source's `tls`: the listener speaks TLS (1.2 or later) only. PEM files, read at start.
 * `requireClientCertificate` (`true`/`'true'`) turns on mutual TLS: a client must present a
 * certificate signed by a CA in `caFile`, or its handshake is refused. With `allowedSubjects` or
 * `allowedFingerprints` as well, the certificate must also match one entry of either list, or the
 * connection is closed before any frame is read. A subject entry lists the attributes to match
 * (`'CN=lab-analyzer-1'`, `'CN=lab-analyzer-1, O=GENHOSP'`); a fingerprint is the certificate's
 * SHA-256 in hex, colons optional, any case.
 */
export const MllpListenerTlsConfig = Type.Object(
  {
    certFile: Type.String({ minLength: 1 }),
    keyFile: Type.String({ minLength: 1 }),
    /** CA(s) that sign client certificates; required with `requireClientCertificate`. */
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    requireClientCertificate: Type.Optional(Type.Union([Type.Boolean(), Type.String()])),
    allowedSubjects: Type.Optional(Type.Array(Type.String())),
    allowedFingerprints: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type MllpListenerTlsSpec = Static<typeof MllpListenerTlsConfig>;

/** A listener's TLS, loaded: the server options, and the allow-list check run after each handshake. */
export interface MllpListenerTls {
  options: tls.TlsOptions;
  /**
   * Undefined when the client may speak: no allow-list, or its certificate matches an entry of
   * either list (a subject entry matches when the certificate has each of its attributes with that
   * value; a fingerprint is the leaf certificate's SHA-256). Otherwise the identity of the refused
   * certificate, for the log. Called after a successful handshake, so any certificate chains to `caFile`.
   */
  refusal(socket: tls.TLSSocket): { subject: string; fingerprint256: string } | undefined;
}

/**
 * Reads and checks a listener's TLS settings. CONFIG_INVALID, prefixed with `where` (e.g.
 * `channel ehr-mllp`), for an unreadable file (the error code, never the content), for an allow-list
 * without `requireClientCertificate`, for mutual TLS without `caFile` (the public CAs would admit
 * any publicly issued certificate), and for a malformed subject entry or fingerprint.
 */
export async function loadListenerTls(spec: MllpListenerTlsSpec, where: string): Promise<MllpListenerTls> {
  const invalid = (detail: string, cause?: unknown) =>
    new SwitchboardError('CONFIG_INVALID', `${where}: ${detail}`, cause ? { cause } : {});
  const requireCert = parseFlag(spec.requireClientCertificate, () => invalid('tls.requireClientCertificate must be true or false'));
  const subjects = (spec.allowedSubjects ?? []).map((entry, i) =>
    parseSubjectEntry(entry, () => invalid(`tls.allowedSubjects[${i}] is not a list of ATTRIBUTE=value`)),
  );
  const fingerprints = new Set(
    (spec.allowedFingerprints ?? []).map((entry, i) => {
      const hex = normaliseFingerprint(entry);
      if (!/^[0-9A-F]{64}$/.test(hex)) throw invalid(`tls.allowedFingerprints[${i}] is not a SHA-256 fingerprint`);
      return hex;
    }),
  );
  const restricted = subjects.length > 0 || fingerprints.size > 0;
  if (restricted && !requireCert) throw invalid('tls.allowedSubjects and tls.allowedFingerprints need tls.requireClientCertificate');
  if (requireCert && !spec.caFile) throw invalid('tls.requireClientCertificate needs tls.caFile (the CA that signs client certificates)');
  const read = (setting: string, file: string | undefined) => readPem(setting, file, (detail, cause) => invalid(detail, cause));
  const [cert, key, ca] = await Promise.all([read('certFile', spec.certFile), read('keyFile', spec.keyFile), read('caFile', spec.caFile)]);
  return {
    options: {
      cert,
      key,
      ...(ca ? { ca } : {}),
      minVersion: 'TLSv1.2',
      ...(requireCert ? { requestCert: true, rejectUnauthorized: true } : {}),
    },
    refusal(socket) {
      if (!restricted) return undefined;
      const peer = socket.getPeerX509Certificate();
      if (!peer) return { subject: '', fingerprint256: '' };
      const attributes = subjectAttributes(peer.subject);
      const allowed =
        fingerprints.has(normaliseFingerprint(peer.fingerprint256)) ||
        subjects.some((entry) => entry.every(([k, v]) => attributes.some(([a, b]) => a === k && b === v)));
      return allowed ? undefined : { subject: peer.subject.split('\n').join(', '), fingerprint256: peer.fingerprint256 };
    },
  };
}

function parseFlag(value: boolean | string | undefined, invalid: () => Error): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw invalid();
}

/** `CN=a, O=Hospital, Inc.` → [['CN','a'], ['O','Hospital, Inc.']]: a comma starts a new pair only before `NAME=`. */
function parseSubjectEntry(entry: string, invalid: () => Error): [string, string][] {
  return entry.split(/,(?=\s*[A-Za-z][A-Za-z0-9.-]*\s*=)/).map((part) => {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim().toUpperCase();
    const value = part.slice(eq + 1).trim();
    if (eq < 0 || !name || !value) throw invalid();
    return [name, value] as [string, string];
  });
}

/** A certificate subject as `X509Certificate.subject` prints it (one `NAME=value` per line). */
function subjectAttributes(subject: string): [string, string][] {
  return subject.split('\n').map((line) => {
    const eq = line.indexOf('=');
    return [line.slice(0, eq).trim().toUpperCase(), line.slice(eq + 1).trim()];
  });
}

const normaliseFingerprint = (value: string) => value.replace(/[:\s]/g, '').toUpperCase();

async function readPem(
  setting: string,
  file: string | undefined,
  fail: (detail: string, cause: unknown) => Error,
): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw fail(`cannot read tls.${setting} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
}

/** TLS of an `mllp-out` destination: the same settings as an HTTPS destination's `tls`. */
export const MllpOutTlsConfig = Type.Object(TlsClientConfig.properties, {
  description: 'MLLP over TLS: the CA that signs the peer certificate (default: the public CAs); a clientCertificate turns on mutual TLS',
});
export type MllpOutTlsConfig = Static<typeof MllpOutTlsConfig>;

/** How long a TLS 1.3 connection waits for the peer's verdict on it when the peer sends no session ticket. */
const VERDICT_SETTLE_MS = 1_000;

/**
 * Opens a TLS connection to an MLLP peer and resolves once the peer has accepted it; nothing is
 * written before that. Every failure means nothing was sent: PEER_TLS_FAILED when the handshake
 * fails or the peer refuses the connection (our certificate, or the lack of one), otherwise
 * PEER_NOT_CONNECTED (refused, unreachable, timed out, a file unreadable).
 *
 * Why wait: under TLS 1.3 the client's handshake is over before the server has judged the client
 * certificate, and the server's refusal (an alert, or a bare close) comes after it. Writing the
 * message at once would race that refusal, and a reset connection would then look like a message
 * lost in flight (ambiguous). So a TLS 1.3 connection is taken as accepted only on the peer's
 * session ticket (sent once the server has finished the handshake), or after VERDICT_SETTLE_MS
 * without one; an alert or a close before then is PEER_TLS_FAILED. Switchboard's own listeners
 * close a connection their allow-lists refuse before any ticket is sent, so that refusal is
 * PEER_TLS_FAILED too. A peer that refuses only after sending its tickets is seen once the message
 * is written: a certificate alert is still PEER_TLS_FAILED (the destination's close handler), but a
 * bare close cannot be told from a peer lost after reading the message, and stays ambiguous.
 */
export async function connectTls(o: { host: string; port: number; tls: MllpOutTlsConfig; timeoutMs: number }): Promise<tls.TLSSocket> {
  const notConnected = (detail: string, cause: unknown) => new SwitchboardError('PEER_NOT_CONNECTED', detail, { cause });
  const client = o.tls.clientCertificate;
  const [ca, cert, key] = await Promise.all([
    readPem('caFile', o.tls.caFile, notConnected),
    readPem('clientCertificate.certFile', client?.certFile, notConnected),
    readPem('clientCertificate.keyFile', client?.keyFile, notConnected),
  ]);
  const servername = o.tls.serverName ?? (isIP(o.host) ? undefined : o.host);
  const socket = tls.connect({
    host: o.host,
    port: o.port,
    minVersion: 'TLSv1.2',
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    ...(client?.keyPassphrase ? { passphrase: client.keyPassphrase } : {}),
    ...(servername ? { servername } : {}),
  });
  // Installed for the socket's whole life: an error between the verdict and the caller's own listeners must not throw.
  socket.on('error', () => undefined);
  return tlsVerdict(socket, o.timeoutMs);
}

/**
 * The peer's verdict on a TLS connection under way: the socket once it is accepted, or
 * PEER_TLS_FAILED (refused, dropped or closed after our handshake) or PEER_NOT_CONNECTED (not
 * reached, or no verdict within `timeoutMs`), the socket then destroyed.
 */
function tlsVerdict(socket: tls.TLSSocket, timeoutMs: number): Promise<tls.TLSSocket> {
  const notConnected = (detail: string, cause: unknown) => new SwitchboardError('PEER_NOT_CONNECTED', detail, { cause });
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    let timer = setTimeout(() => finish(new SwitchboardError('PEER_NOT_CONNECTED', 'TLS connect timed out')), timeoutMs);
    let handshakeDone = false;
    const onSecure = () => {
      handshakeDone = true;
      if (socket.getProtocol() !== 'TLSv1.3') return finish();
      clearTimeout(timer);
      timer = setTimeout(() => finish(), VERDICT_SETTLE_MS);
    };
    // Node emits a session only after it has verified the peer's certificate. It does so from inside
    // OpenSSL's read, where a write (the caller's message) would be lost: resolve on the next turn.
    const onSession = () => setImmediate(() => finish());
    const onError = (err: Error) => {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const classified = classifyNetworkError(err, false);
      if (classified.code === 'PEER_TLS_FAILED') return finish(classified);
      // After our handshake, a reset is the peer refusing us; before it, the peer was not reached.
      finish(
        handshakeDone
          ? new SwitchboardError('PEER_TLS_FAILED', `the peer dropped the TLS connection before accepting it (${code})`, { cause: err })
          : notConnected(`cannot connect (${code})`, err),
      );
    };
    const onClose = () =>
      finish(
        new SwitchboardError(
          'PEER_TLS_FAILED',
          'the peer closed the TLS connection before accepting it (our certificate, or its absence, refused)',
        ),
      );
    let settled = false;
    const finish = (err?: SwitchboardError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('secureConnect', onSecure).off('session', onSession).off('error', onError).off('close', onClose);
      if (!err) return resolve(socket);
      socket.destroy();
      reject(err);
    };
    socket.once('secureConnect', onSecure);
    socket.once('session', onSession);
    socket.once('error', onError);
    socket.once('close', onClose);
    // Nothing is expected from an MLLP peer before our first message; reading lets a close be seen.
    socket.resume();
  });
}
