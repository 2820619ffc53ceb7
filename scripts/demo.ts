/**
 * `npm start`'s last step (after scripts/start.sh provisioned Redis and FerretDB): runs the ERP
 * simulator on ERP_SIM_PORT (default 8090) unless ERP_BASE_URL points at a real ERP, the simulators of
 * the demo flows' systems on free ports unless FLOW_EHR_URL is set (flows/*.flow.ts), gives the FHIR
 * channel a bearer token unless FHIR_API_TOKEN is set and the demo's administrator a password unless
 * SWITCHBOARD_ADMIN_PASSWORD is set (each made once and kept in var/, mode 0600: var/demo-fhir-token
 * and var/demo-admin-password, so they stay right on later runs against the same store), then the
 * engine. Neither secret is printed or logged: the log and the start banner name the files.
 */
import { startErpSimulator } from '../peers/erp-simulator.ts';
import { DEMO_SEED, flowPeerEnv, startFlowPeers } from '../peers/flow-peers.ts';
import { main } from '../engine/main.ts';
import { createLogger } from '../engine/log.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VAR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../var');

/** The secret kept in var/<file>: made once (24 random bytes, base64url, mode 0600), read on later runs. */
function keptSecret(file: string): string {
  const full = path.join(VAR, file);
  if (!existsSync(full)) {
    mkdirSync(VAR, { recursive: true });
    writeFileSync(full, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(full, 'utf8').trim();
}

const log = createLogger({ component: 'demo' });
if (!process.env.ERP_BASE_URL) {
  const port = Number(process.env.ERP_SIM_PORT ?? 8090);
  const erp = await startErpSimulator({ port, host: '127.0.0.1' });
  process.env.ERP_BASE_URL = erp.url;
  log.info('ERP simulator started', { url: erp.url, postings: `${erp.url}/_sim/postings` });
}
if (!process.env.FLOW_EHR_URL) {
  // The systems of the two demo flows (procedure, onboarding), on free ports, with a small seed.
  const peers = await startFlowPeers(DEMO_SEED);
  // Their steps' URLs; billing posts to the demo's ERP (ERP_BASE_URL, set above).
  for (const [name, url] of Object.entries(flowPeerEnv(peers))) if (name.startsWith('FLOW_')) process.env[name] = url;
  log.info('flow simulators started', {
    inventory: `${peers.urls.procedure.inventory}/_sim/health`,
    identity: peers.urls.onboarding.identity,
  });
}
let fhirCredentials = 'bearer token from FHIR_API_TOKEN';
if (!process.env.FHIR_API_TOKEN) {
  process.env.FHIR_API_TOKEN = keptSecret('demo-fhir-token');
  fhirCredentials = 'bearer token in var/demo-fhir-token';
}
const user = process.env.SWITCHBOARD_ADMIN_USER ?? 'admin';
let signIn = `${user}, password from SWITCHBOARD_ADMIN_PASSWORD`;
if (!process.env.SWITCHBOARD_ADMIN_PASSWORD) {
  process.env.SWITCHBOARD_ADMIN_PASSWORD = keptSecret('demo-admin-password');
  signIn = `${user}, password in var/demo-admin-password`;
}
log.info('demo credentials', { signIn, fhir: fhirCredentials });
await main({ signIn, fhirCredentials });
