/**
 * `npm start`'s last step (after scripts/start.sh provisioned Redis and FerretDB): runs the ERP
 * simulator on ERP_SIM_PORT (default 8090) unless ERP_BASE_URL points at a real ERP, makes a FHIR
 * channel token unless FHIR_API_TOKEN is set, gives the demo's administrator a password unless
 * SWITCHBOARD_ADMIN_PASSWORD is set (made once, kept in var/demo-admin-password, mode 0600, so it
 * stays right on later runs against the same store), then the engine.
 */
import { startErpSimulator } from '../tests/peers/erp-simulator.ts';
import { main } from '../engine/main.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

if (!process.env.ERP_BASE_URL) {
  const port = Number(process.env.ERP_SIM_PORT ?? 8090);
  const erp = await startErpSimulator({ port, host: '127.0.0.1' });
  process.env.ERP_BASE_URL = erp.url;
  console.error(JSON.stringify({ level: 'info', message: 'ERP simulator started (demo)', url: erp.url, postings: `${erp.url}/_sim/postings` }));
}
if (!process.env.FHIR_API_TOKEN) {
  process.env.FHIR_API_TOKEN = randomBytes(24).toString('base64url');
  console.error(JSON.stringify({ level: 'info', message: 'FHIR channel token generated for this demo run (set FHIR_API_TOKEN to choose one)', token: process.env.FHIR_API_TOKEN }));
}
if (!process.env.SWITCHBOARD_ADMIN_PASSWORD) {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../var/demo-admin-password');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  process.env.SWITCHBOARD_ADMIN_PASSWORD = readFileSync(file, 'utf8').trim();
  console.error(`Demo administrator: ${process.env.SWITCHBOARD_ADMIN_USER ?? 'admin'} / ${process.env.SWITCHBOARD_ADMIN_PASSWORD} (kept in var/demo-admin-password)`);
}
await main();
