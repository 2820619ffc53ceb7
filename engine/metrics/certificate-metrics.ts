import type { CertificateRole } from '../ops/alerts/alert-api-types.ts';
import type { PrometheusText } from './prometheus-text.ts';

/** One certificate's expiry as last read. */
export interface CertificateExpiry {
  role: CertificateRole;
  /** `admin`, a channel id, or `<channel>/<destination>`: ids, never a subject name. */
  source: string;
  notAfter: Date;
}

/**
 * `switchboard_tls_certificate_expiry_seconds{role,source}`: seconds until each certificate the
 * engine uses expires (negative once expired), as last read from the files the deployed channels and
 * HTTPS_CERT_FILE name. The alerts (open-alerts.ts) read the files every minute where HTTP is served
 * and `set` the result; the exposition writes it, computing the seconds at scrape time. Labels are
 * the certificate's role (mllp-source, https-server, destination-client) and the channel or
 * destination id: never a subject or issuer name.
 */
export class CertificateMetrics {
  private expiries: readonly CertificateExpiry[] = [];

  set(expiries: readonly CertificateExpiry[]): void {
    this.expiries = expiries;
  }

  write(out: PrometheusText, now = Date.now()): void {
    out.gauge(
      'switchboard_tls_certificate_expiry_seconds',
      'Seconds until a TLS certificate the engine uses expires (negative once expired), by role (mllp-source, https-server, ' +
        'destination-client) and source (admin, the channel id, or channel/destination).',
      this.expiries.map((e) => ({ labels: { role: e.role, source: e.source }, value: Math.round((e.notAfter.getTime() - now) / 1000) })),
    );
  }
}

/** This process's certificate expiries (written by /metrics on the admin server). */
export const certificateMetrics = new CertificateMetrics();
