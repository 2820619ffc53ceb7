import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import { Agent } from 'undici';
import { SwitchboardError } from '../../engine/errors.ts';
import { classifyNetworkError } from './http-failures.ts';

/**
 * TLS settings of an HTTPS destination: the CA to trust (default: Node's bundled public CAs) and,
 * for mutual TLS, the client certificate and key that identify Switchboard to the peer.
 * Files, not inline PEM: certificates are mounted and rotated by the platform, and a path in a
 * channel definition is not a secret. The key's passphrase is.
 */
export const TlsClientConfig = Type.Object(
  {
    caFile: Type.Optional(
      Type.String({ minLength: 1, description: 'PEM file of the CA(s) that sign the peer certificate; replaces the public CAs' }),
    ),
    clientCertificate: Type.Optional(
      Type.Object(
        {
          certFile: Type.String({ minLength: 1, description: 'PEM client certificate (chain)' }),
          keyFile: Type.String({ minLength: 1, description: 'PEM private key of the certificate' }),
          keyPassphrase: Type.Optional(Type.String({ minLength: 1, description: 'Passphrase of an encrypted key (secret)' })),
        },
        { description: 'Mutual TLS: the certificate that identifies Switchboard to the peer' },
      ),
    ),
    serverName: Type.Optional(
      Type.String({ minLength: 1, description: 'Name expected in the peer certificate when it differs from the URL host' }),
    ),
  },
  { description: 'TLS for https:// URLs; a clientCertificate turns on mutual TLS' },
);
export type TlsClientConfig = Static<typeof TlsClientConfig>;

/** Pool sizing of one destination's connections; keep-alive as fetch's default dispatcher. */
const POOL = { connections: 32, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 } as const;

/**
 * Opens the dispatcher (connection pool) a destination's requests go through: one per connector,
 * closed with it. Reads the files now, so a missing or unreadable file fails `connect()` with
 * PEER_NOT_CONNECTED (nothing was sent) and a detail that names the setting, never the content.
 */
export async function openDispatcher(config: TlsClientConfig | undefined): Promise<Agent> {
  const options = await loadTlsOptions(config);
  return new Agent({ ...POOL, ...(options ? { connect: options } : {}) });
}

async function loadTlsOptions(tls: TlsClientConfig | undefined): Promise<tls.ConnectionOptions | undefined> {
  if (!tls) return undefined;
  const load = async (setting: string, file: string | undefined) => {
    if (!file) return undefined;
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new SwitchboardError('PEER_NOT_CONNECTED', `cannot read tls.${setting} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
        cause: err,
      });
    }
  };
  const client = tls.clientCertificate;
  const [ca, cert, key] = await Promise.all([
    load('caFile', tls.caFile),
    load('clientCertificate.certFile', client?.certFile),
    load('clientCertificate.keyFile', client?.keyFile),
  ]);
  return {
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    ...(client?.keyPassphrase ? { passphrase: client.keyPassphrase } : {}),
    ...(tls.serverName ? { servername: tls.serverName } : {}),
  };
}

/**
 * Opens one TLS connection to `url` and waits until the peer has accepted our client certificate.
 * Why: under TLS 1.3 the server judges the client certificate after the client's handshake is
 * over, so a refusal reaches an HTTP client only as "other side closed" once the request is
 * written, which is indistinguishable from a connection lost mid-request (ambiguous). The probe
 * sees it plainly: a session ticket means accepted, an alert or a close means refused
 * (PEER_TLS_FAILED, nothing sent). A peer that sends no ticket within `settleMs` is taken as
 * accepting. Called by `connect()` of destinations configured with a client certificate.
 */
export async function probeMutualTls(o: { url: URL; tls: TlsClientConfig; timeoutMs: number; settleMs?: number }): Promise<void> {
  const options = await loadTlsOptions(o.tls);
  const port = Number(o.url.port || 443);
  await new Promise<void>((resolve, reject) => {
    const socket = tls.connect({
      ...options,
      host: o.url.hostname,
      port,
      ALPNProtocols: ['http/1.1'],
      ...(options?.servername || isIP(o.url.hostname) ? {} : { servername: o.url.hostname }),
    });
    let timer = setTimeout(() => finish(new SwitchboardError('PEER_TIMEOUT', 'TLS handshake timed out')), o.timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (!err) return resolve();
      reject(err instanceof SwitchboardError ? err : classifyNetworkError(err, false));
    };
    socket.resume();
    socket.once('secureConnect', () => {
      if (socket.getProtocol() !== 'TLSv1.3') return finish();
      clearTimeout(timer);
      timer = setTimeout(() => finish(), o.settleMs ?? 1_000);
    });
    socket.once('session', () => finish());
    socket.once('error', (err) => finish(err));
    socket.once('close', () =>
      finish(new SwitchboardError('PEER_TLS_FAILED', 'the peer closed the TLS connection: client certificate refused')),
    );
  });
}
