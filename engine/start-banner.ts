import type { EngineAddresses } from './engine.ts';

/** What a person at the terminal needs after `switchboard start` or `npm start`. Secrets are named by where they are kept, never given. */
export interface StartBannerFacts {
  role: 'all' | 'ingest' | 'worker';
  addresses: EngineAddresses;
  /** The HTTP server speaks HTTPS (HTTPS_CERT_FILE and HTTPS_KEY_FILE set). */
  https: boolean;
  /** Paths of running channels served on the HTTP server (FHIR sources: /fhir/<id>). */
  httpSources: readonly string[];
  /** How to sign in to the console: the account, and where its password is kept. */
  signIn: string;
  /** Where FHIR clients find their credentials, e.g. "bearer token in var/demo-fhir-token". */
  fhirCredentials?: string;
}

/** `0.0.0.0` and `::` listen everywhere: a browser on this machine reaches them at localhost. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The banner engine/main.ts prints on standard output once the engine has started, when standard
 * output is a terminal: the console's address and how to sign in, each MLLP port, each FHIR
 * endpoint. It holds ports, paths and file names only: no secret, no message data.
 */
export function startBanner(facts: StartBannerFacts): string {
  const { http, mllp } = facts.addresses;
  const base = http ? `${facts.https ? 'https' : 'http'}://${urlHost(http.host)}:${http.port}` : undefined;
  const rows: [string, string][] = [];
  if (base) rows.push(['Console', `${base}/`], ['Sign in', facts.signIn]);
  for (const [channel, port] of Object.entries(mllp)) rows.push(['MLLP', `port ${port} (channel ${channel})`]);
  if (base) {
    const credentials = facts.fhirCredentials ? `  (${facts.fhirCredentials})` : '';
    for (const path of facts.httpSources) rows.push(['FHIR', `${base}${path}${credentials}`]);
  }
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  const title = facts.role === 'all' ? 'Switchboard is running.' : `Switchboard is running (role ${facts.role}).`;
  const body =
    rows.length > 0
      ? rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)
      : ['  No listeners in this role: it delivers what the ingest processes store.'];
  return ['', title, ...body, '  Stop it with Ctrl-C.', ''].join('\n');
}
