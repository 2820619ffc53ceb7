import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { ChannelDefinition } from '../../channel.ts';
import { interpolateEnv } from '../../config/interpolate.ts';
import { CertificateRole } from './alert-api-types.ts';
import type { CertificateReading } from './alert-conditions.ts';

/** A certificate file the engine uses, and where. */
export interface CertificateFile {
  role: CertificateRole;
  /** `admin`, a channel id, or `<channel>/<destination>`: ids, never a subject name. */
  source: string;
  file: string;
}

const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
const settingsOf = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/**
 * The certificate files the deployed channels and the HTTPS server name: each source's listener
 * certificate (`tls.certFile` of its settings, MLLP), each destination's client certificate
 * (`tls.clientCertificate.certFile`, HTTPS and MLLP destinations), and HTTPS_CERT_FILE. `${VAR}`
 * references are resolved from `env`; one that cannot be is left out (the channel would not run).
 */
export function certificateFiles(
  channels: Iterable<ChannelDefinition>,
  httpsCertFile: string | undefined,
  env: NodeJS.ProcessEnv,
): CertificateFile[] {
  const files: CertificateFile[] = [];
  const resolve = (v: string) => {
    try {
      return interpolateEnv(v, env);
    } catch {
      return undefined;
    }
  };
  if (httpsCertFile) files.push({ role: CertificateRole.httpsServer, source: 'admin', file: httpsCertFile });
  for (const channel of channels) {
    const source = channel.source as unknown as Record<string, unknown>;
    const listener = text(settingsOf(source['tls'] ?? settingsOf(source['config'])['tls'])['certFile']);
    const l = listener && resolve(listener);
    if (l) files.push({ role: CertificateRole.mllpSource, source: channel.id, file: l });
    for (const d of channel.destinations) {
      const client = text(settingsOf(settingsOf(d.config['tls'])['clientCertificate'])['certFile']);
      const c = client && resolve(client);
      if (c) files.push({ role: CertificateRole.destinationClient, source: `${channel.id}/${d.id}`, file: c });
    }
  }
  return files;
}

/**
 * Reads certificate files for their expiry (`notAfter` of the first certificate in the PEM: the
 * leaf), keeping what it read by path and modification time, so a file is parsed again only when
 * it changes (certificates are rotated by replacing the file). A file that cannot be read or
 * parsed reads as `notAfter: null`. Used by the certificate-expiry rules and by
 * `switchboard_tls_certificate_expiry_seconds`.
 */
export class CertificateReader {
  private readonly known = new Map<string, { mtimeMs: number; notAfter: Date | null }>();

  async read(files: readonly CertificateFile[]): Promise<CertificateReading[]> {
    return Promise.all(files.map(async (f) => ({ role: f.role, source: f.source, notAfter: await this.notAfter(f.file) })));
  }

  private async notAfter(file: string): Promise<Date | null> {
    try {
      const { mtimeMs } = await stat(file);
      const known = this.known.get(file);
      if (known?.mtimeMs === mtimeMs) return known.notAfter;
      const notAfter = new Date(new X509Certificate(await readFile(file)).validTo);
      const valid = Number.isNaN(notAfter.getTime()) ? null : notAfter;
      this.known.set(file, { mtimeMs, notAfter: valid });
      return valid;
    } catch {
      return null;
    }
  }
}
